// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { GeoPoint } from "@situation/subgraph-kit";
import { Authorized, Field, GraphQLISODateTime, ID, Int, ObjectType } from "type-graphql";
import { EnvironmentPageInfo } from "./environment-page.js";
import { EnvironmentParameter } from "./environment-parameter.js";

export interface PointGeometry {
  type: "Point";
  coordinates: [number, number];
}

/** A measuring station as stored in `stations`. */
export interface StationDocument {
  _id: string;
  /** The provider that runs it; null for stations an operator or admin registered (e.g. community sensors). */
  providerId: string | null;
  name: string;
  location: PointGeometry;
  /** Derived from `location` at every write of it. */
  districtId: string;
  parameters: EnvironmentParameter[];
  active: boolean;
  /** The station's id in its owner's feed; unique per provider. */
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType({ description: "An air-quality or weather station" })
export class EnvironmentStation {
  @Field(() => ID)
  id!: string;

  /** Resolved to `provider`; not part of the schema itself. */
  providerId!: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => GeoPoint)
  location!: PointGeometry;

  @Field(() => ID, { description: "The district the station stands in" })
  districtId!: string;

  @Field(() => [EnvironmentParameter], { description: "What it measures; readings of other parameters are refused" })
  parameters!: EnvironmentParameter[];

  @Field(() => Boolean, { description: "Inactive stations keep their history but accept no readings" })
  active!: boolean;

  @Authorized("provider", "operator", "city-staff")
  @Field(() => String, { nullable: true, description: "The station's id in its owner's feed" })
  externalId!: string | null;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@ObjectType({ description: "A station and the cursor that points at it" })
export class EnvironmentStationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => EnvironmentStation)
  node!: EnvironmentStation;
}

@ObjectType({ description: "A page of stations, by name" })
export class EnvironmentStationConnection {
  @Field(() => [EnvironmentStationEdge])
  edges!: EnvironmentStationEdge[];

  @Field(() => [EnvironmentStation])
  nodes!: EnvironmentStation[];

  @Field(() => EnvironmentPageInfo)
  pageInfo!: EnvironmentPageInfo;

  @Field(() => Int)
  totalCount!: number;
}

export function toStation(document: StationDocument): EnvironmentStation {
  return {
    id: document._id,
    providerId: document.providerId,
    name: document.name,
    location: document.location,
    districtId: document.districtId,
    parameters: document.parameters,
    active: document.active,
    externalId: document.externalId,
    updatedAt: document.updatedAt,
  };
}
