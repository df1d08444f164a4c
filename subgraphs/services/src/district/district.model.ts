import { GeoMultiPolygon } from "@situation/subgraph-kit";
import { Directive, Field, ID, ObjectType } from "type-graphql";
import type { MultiPolygonGeometry } from "../outage/outage.model.js";

/**
 * The city subgraph's District, extended here with the outages inside it. Its boundary is owned by
 * city: the gateway fetches it there and hands it over in the entity representation (`@requires`).
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class District {
  @Field(() => ID)
  id!: string;

  @Directive("@external")
  @Field(() => GeoMultiPolygon)
  boundary!: MultiPolygonGeometry;
}
