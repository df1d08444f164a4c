import "reflect-metadata";
import { buildFederatedSchema } from "@situation/subgraph-kit";
import type { GraphQLSchema } from "graphql";
import { DistrictResolver } from "./district/district.resolver.js";

/** The city subgraph's schema; needs no database, so `npm run compose` prints it from here. */
export function buildCitySchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [DistrictResolver] });
}
