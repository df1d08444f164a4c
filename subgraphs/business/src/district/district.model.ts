import type { MultiPolygonGeometry } from "@situation/city-subgraph/seed-data";
import { GeoMultiPolygon } from "@situation/subgraph-kit";
import { Directive, Field, ID, ObjectType } from "type-graphql";

/**
 * The city subgraph's District, extended here with the businesses inside it. Its boundary is owned by
 * city: the gateway fetches it there and hands it over in the entity representation (`@requires`).
 * There is no reference resolver: the representation itself is the district this subgraph needs.
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
