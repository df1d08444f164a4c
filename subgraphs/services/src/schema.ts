import "reflect-metadata";
import { buildFederatedSchema } from "@situation/subgraph-kit";
import type { GraphQLSchema } from "graphql";
import { District } from "./district/district.model.js";
import { DistrictOutagesResolver } from "./district/district.resolver.js";
import { OutageResolver } from "./outage/outage.resolver.js";
import { ProviderResolver } from "./provider/provider.resolver.js";

/** The services subgraph's schema; needs no database, so `npm run compose` prints it from here. */
export function buildServicesSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({
    resolvers: [ProviderResolver, OutageResolver, DistrictOutagesResolver],
    orphanedTypes: [District],
  });
}
