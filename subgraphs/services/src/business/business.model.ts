import { GeoPoint } from "@situation/subgraph-kit";
import { Directive, Field, ID, ObjectType } from "type-graphql";

export interface PointGeometry {
  type: "Point";
  coordinates: number[];
}

/**
 * The business subgraph's Business, extended here with the outages that affect it. Its location is
 * owned by business: the gateway fetches it there and hands it over in the representation (`@requires`).
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class Business {
  @Field(() => ID)
  id!: string;

  @Directive("@external")
  @Field(() => GeoPoint)
  location!: PointGeometry;
}
