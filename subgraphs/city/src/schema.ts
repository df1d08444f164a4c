import "reflect-metadata";
import { buildFederatedSchema } from "@situation/subgraph-kit";
import type { GraphQLSchema } from "graphql";
import { ContactResolver } from "./contact-log/contact.resolver.js";
import { DistrictResolver } from "./district/district.resolver.js";
import { DistrictRequestsResolver } from "./district/district-requests.resolver.js";
import { ProviderCategoriesResolver } from "./provider/provider-categories.resolver.js";
import { Provider } from "./provider/provider.model.js";
import { ProviderRequestsResolver } from "./provider/provider-requests.resolver.js";
import { RequestReportResolver } from "./reports/request-report.resolver.js";
import { ServiceCatalogResolver } from "./service-catalog/service-catalog.resolver.js";
import { ServiceRequestResolver, TrackedServiceRequestResolver } from "./service-request/service-request.resolver.js";
import { SyncSourceResolver } from "./sync-source/sync-source.resolver.js";

/** The city subgraph's schema; needs no database, so `npm run compose` prints it from here. */
export function buildCitySchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({
    resolvers: [
      DistrictResolver,
      ContactResolver,
      RequestReportResolver,
      DistrictRequestsResolver,
      ServiceCatalogResolver,
      ServiceRequestResolver,
      TrackedServiceRequestResolver,
      ProviderRequestsResolver,
      ProviderCategoriesResolver,
      SyncSourceResolver,
    ],
    // Reached only through `_entities`: the services subgraph owns it, we extend it.
    orphanedTypes: [Provider],
  });
}
