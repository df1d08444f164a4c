import "reflect-metadata";
import { buildFederatedSchema } from "@situation/subgraph-kit";
import type { GraphQLSchema } from "graphql";
import { BusinessApiKeyResolver } from "./api-key/api-key.resolver.js";
import { BusinessResolver } from "./business/business.resolver.js";
import { District } from "./district/district.model.js";
import { DistrictBusinessesResolver } from "./district/district.resolver.js";
import { BusinessReportResolver } from "./report/report.resolver.js";

/** The business subgraph's schema; needs no database, so `npm run compose` prints it from here. */
export function buildBusinessSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({
    resolvers: [BusinessResolver, BusinessApiKeyResolver, BusinessReportResolver, DistrictBusinessesResolver],
    orphanedTypes: [District],
    referenceResolvers: {
      // The representation (id and the boundary the gateway fetched from city) is all this subgraph
      // needs. Stated explicitly because the kit otherwise looks static resolveReference methods up
      // by type name across every loaded class, and would pick city's District when both subgraphs
      // share a process.
      District: (reference) => reference,
    },
  });
}
