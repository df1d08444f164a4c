import { GeoMultiPolygon } from "@situation/subgraph-kit";
import { Authorized, Directive, Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { ServiceKind } from "../provider/provider.model.js";

export enum OutageStatus {
  ANNOUNCED = "announced",
  ACTIVE = "active",
  RESOLVED = "resolved",
  CANCELLED = "cancelled",
}

registerEnumType(OutageStatus, {
  name: "OutageStatus",
  description: "Announced (planned or reported, not yet started), active, resolved, or cancelled",
});

export const OUTAGE_STATUSES: readonly OutageStatus[] = Object.values(OutageStatus);

/** GeoJSON geometry as stored; a 2dsphere index on `affectedArea` answers `$geoIntersects`. */
export interface MultiPolygonGeometry {
  type: "MultiPolygon";
  coordinates: number[][][][];
}

export interface PolygonGeometry {
  type: "Polygon";
  coordinates: number[][][];
}

/** An outage as stored in the `outages` collection of the `services` database. */
export interface OutageDocument {
  _id: string;
  providerId: string;
  kind: ServiceKind;
  planned: boolean;
  startsAt: Date;
  expectedEndAt: Date | null;
  affectedArea: MultiPolygonGeometry;
  status: OutageStatus;
  description: string;
  /** Provenance of feed-imported outages: which feed, its id there, when fetched, and a hash of the content. */
  source?: string;
  externalId?: string;
  fetchedAt?: Date;
  contentHash?: string;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType({ description: "An interruption of a public service in an area" })
@Directive('@key(fields: "id")')
export class Outage {
  @Field(() => ID)
  id!: string;

  /** Resolved to `provider` by the outage resolver; not part of the schema itself. */
  providerId!: string;

  @Field(() => ServiceKind)
  kind!: ServiceKind;

  @Field(() => Boolean, { description: "Planned works (true) or an unplanned failure (false)" })
  planned!: boolean;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Null while the provider cannot say" })
  expectedEndAt!: Date | null;

  @Field(() => GeoMultiPolygon)
  affectedArea!: MultiPolygonGeometry;

  @Field(() => OutageStatus)
  status!: OutageStatus;

  @Field(() => String)
  description!: string;

  // Provenance is for the people who run the platform, not for the public.
  @Authorized("operator", "city-staff", "admin")
  @Field(() => String, { nullable: true, description: "The feed an imported outage came from" })
  source!: string | null;

  @Authorized("operator", "city-staff", "admin")
  @Field(() => String, { nullable: true, description: "The outage's id in its source feed" })
  externalId!: string | null;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;

  /** How the gateway finds an outage that another subgraph refers to. */
  static async resolveReference(reference: { id?: unknown }, context: ServicesContext): Promise<Outage | null> {
    return typeof reference.id === "string" ? context.outages.findById(reference.id) : null;
  }
}

@ObjectType({ description: "An outage and the cursor that points at it" })
export class OutageEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Outage)
  node!: Outage;
}

// Named for outages rather than a shared `PageInfo`: a same-named value type in two subgraphs must be
// declared @shareable in both, and the kit does not offer one yet.
@ObjectType()
export class OutagePageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of outages, newest start first" })
export class OutageConnection {
  @Field(() => [OutageEdge])
  edges!: OutageEdge[];

  @Field(() => [Outage])
  nodes!: Outage[];

  @Field(() => OutagePageInfo)
  pageInfo!: OutagePageInfo;

  @Field(() => Int, { description: "How many outages match the filter, on all pages" })
  totalCount!: number;
}

export function toOutage(document: OutageDocument): Outage {
  return {
    id: document._id,
    providerId: document.providerId,
    kind: document.kind,
    planned: document.planned,
    startsAt: document.startsAt,
    expectedEndAt: document.expectedEndAt,
    affectedArea: document.affectedArea,
    status: document.status,
    description: document.description,
    source: document.source ?? null,
    externalId: document.externalId ?? null,
    updatedAt: document.updatedAt,
  };
}
