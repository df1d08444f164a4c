import "reflect-metadata";
import { buildFederatedSchema } from "@situation/subgraph-kit";
import type { GraphQLSchema } from "graphql";
import { Business } from "./business/business.model.js";
import { BusinessOutagesResolver } from "./business/business.resolver.js";
import { District } from "./district/district.model.js";
import { DistrictOutagesResolver } from "./district/district.resolver.js";
import { AlertResolver } from "./environment/alert.resolver.js";
import { DistrictEnvironmentResolver } from "./environment/district-environment.resolver.js";
import { ReadingResolver } from "./environment/reading.resolver.js";
import { EnvironmentReadingStationResolver, StationResolver } from "./environment/station.resolver.js";
import { ThresholdResolver } from "./environment/threshold.resolver.js";
import { OutageResolver } from "./outage/outage.resolver.js";
import { ProviderResolver } from "./provider/provider.resolver.js";
import { ServiceStatusResolver } from "./service-status/service-status.resolver.js";

/** The services subgraph's schema; needs no database, so `npm run compose` prints it from here. */
export function buildServicesSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({
    resolvers: [
      ProviderResolver,
      OutageResolver,
      ServiceStatusResolver,
      DistrictOutagesResolver,
      BusinessOutagesResolver,
      StationResolver,
      EnvironmentReadingStationResolver,
      ReadingResolver,
      ThresholdResolver,
      AlertResolver,
      DistrictEnvironmentResolver,
    ],
    orphanedTypes: [District, Business],
  });
}
