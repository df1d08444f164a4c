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

/** One entry of an outage's timeline: what its status was from when, and why. */
export interface OutageTimelineEntry {
  at: Date;
  status: OutageStatus;
  note: string | null;
}

/** People affected per district, as estimated when the outage's area was last written. */
export interface DistrictImpact {
  districtId: string;
  people: number;
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
  /** Streets named by the provider, besides the area; free text. Absent on feed imports. */
  streets?: string[];
  /** When the outage really ended (set when it is resolved). */
  endedAt?: Date | null;
  /** Status changes and notes, oldest first. Feed imports have none. */
  updates?: OutageTimelineEntry[];
  /** Derived from `affectedArea` at each write of it (see city-area.ts). */
  estimatedPeopleAffected?: number;
  estimatedHouseholdsAffected?: number;
  affectedDistricts?: DistrictImpact[];
  /** The rule the estimate was made by (`ESTIMATE_VERSION`); absent on estimates older than the versioning. */
  estimateVersion?: number;
  /** Provenance of feed-imported outages: which feed, its id there, when fetched, and a hash of the content. */
  source?: string;
  externalId?: string;
  fetchedAt?: Date;
  contentHash?: string;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType("OutageTimelineEntry", { description: "A status change or note in an outage's timeline" })
export class OutageTimelineEntryType {
  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => OutageStatus)
  status!: OutageStatus;

  @Field(() => String, { nullable: true })
  note!: string | null;
}

@ObjectType("OutageDistrictImpact", { description: "Estimated people affected by an outage in one district" })
export class DistrictImpactType {
  @Field(() => ID)
  districtId!: string;

  @Field(() => Int)
  people!: number;
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

  @Field(() => [String], { description: "Streets the provider names, besides the area" })
  streets!: string[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: "When the outage really ended" })
  endedAt!: Date | null;

  @Field(() => [OutageTimelineEntryType], { description: "Status changes and notes, oldest first" })
  updates!: OutageTimelineEntry[];

  @Field(() => Int, {
    description: "Estimated people affected: for each district the area overlaps, the covered share × its population",
  })
  estimatedPeopleAffected!: number;

  @Field(() => Int, { description: "Estimated households affected (people ÷ an average household size)" })
  estimatedHouseholdsAffected!: number;

  @Field(() => [DistrictImpactType], { description: "The estimate per district, biggest first" })
  affectedDistricts!: DistrictImpact[];

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
    streets: document.streets ?? [],
    endedAt: document.endedAt ?? null,
    updates: document.updates ?? [],
    estimatedPeopleAffected: document.estimatedPeopleAffected ?? 0,
    estimatedHouseholdsAffected: document.estimatedHouseholdsAffected ?? 0,
    affectedDistricts: document.affectedDistricts ?? [],
    source: document.source ?? null,
    externalId: document.externalId ?? null,
    updatedAt: document.updatedAt,
  };
}

/** The stored fields each GraphQL field of Outage reads (`provider` resolves from `providerId`). */
const DOCUMENT_FIELDS_OF: Record<string, readonly (keyof OutageDocument)[]> = {
  __typename: [],
  id: ["_id"],
  provider: ["providerId"],
  kind: ["kind"],
  planned: ["planned"],
  startsAt: ["startsAt"],
  expectedEndAt: ["expectedEndAt"],
  affectedArea: ["affectedArea"],
  status: ["status"],
  description: ["description"],
  streets: ["streets"],
  endedAt: ["endedAt"],
  updates: ["updates"],
  estimatedPeopleAffected: ["estimatedPeopleAffected"],
  estimatedHouseholdsAffected: ["estimatedHouseholdsAffected"],
  affectedDistricts: ["affectedDistricts"],
  source: ["source"],
  externalId: ["externalId"],
  updatedAt: ["updatedAt"],
};

/**
 * A projection that reads only what the asked GraphQL fields of Outage need, plus `always`: a list of
 * hundreds of outages then leaves their areas and timelines (most of each document) in the store.
 * Undefined (read everything) when a field is not known here, so a new field can never come back
 * with a default in place of its stored value.
 */
export function outageProjection(
  fields: Iterable<string>,
  always: readonly (keyof OutageDocument)[],
): Partial<Record<keyof OutageDocument, 1>> | undefined {
  const projection: Partial<Record<keyof OutageDocument, 1>> = {};
  for (const field of always) projection[field] = 1;
  for (const field of fields) {
    const stored = DOCUMENT_FIELDS_OF[field];
    if (!stored) return undefined;
    for (const name of stored) projection[name] = 1;
  }
  return projection;
}
