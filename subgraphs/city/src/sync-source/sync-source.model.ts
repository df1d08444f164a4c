import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { SyncConnectorKind, SyncTarget } from "./sync-connectors.js";

/** Why a run happened. */
export const SyncTrigger = { SCHEDULED: "scheduled", MANUAL: "manual", BACKFILL: "backfill" } as const;
export type SyncTrigger = (typeof SyncTrigger)[keyof typeof SyncTrigger];
export const SYNC_TRIGGERS: readonly SyncTrigger[] = Object.freeze(Object.values(SyncTrigger));
registerEnumType(SyncTrigger, { name: "SyncTrigger", description: "Why a sync run happened: its schedule, an admin's run-now, or a backfill" });

/**
 * How a run ended. `UNCHANGED`: the feed answered 304 or the same bytes as the last successful run,
 * so nothing was parsed or written. `ABANDONED`: its worker died mid-run (the job is retried).
 */
export const SyncRunStatus = {
  RUNNING: "running",
  SUCCEEDED: "succeeded",
  UNCHANGED: "unchanged",
  FAILED: "failed",
  ABANDONED: "abandoned",
} as const;
export type SyncRunStatus = (typeof SyncRunStatus)[keyof typeof SyncRunStatus];
registerEnumType(SyncRunStatus, { name: "SyncRunStatus", description: "How a sync run ended, or that it is still running" });

/** A failure that retrying may fix (the feed was down) or not (it answered 4xx, or its format changed). */
export const SyncErrorKind = { TRANSIENT: "transient", PERMANENT: "permanent" } as const;
export type SyncErrorKind = (typeof SyncErrorKind)[keyof typeof SyncErrorKind];
registerEnumType(SyncErrorKind, { name: "SyncErrorKind", description: "Whether a failed run is retried (transient) or not (permanent)" });

export interface SyncScheduleDocument {
  pattern: string | null;
  everyMs: number | null;
  timezone: string | null;
}

/** What the last run said, kept on the source so that the freshness of every source is one read. */
export interface SyncRunSummary {
  runId: string;
  status: SyncRunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/** A source as stored in the `syncSources` collection; `_id` is the id admins chose. */
export interface SyncSourceDocument {
  _id: string;
  name: string;
  kind: SyncConnectorKind;
  url: string;
  schedule: SyncScheduleDocument;
  /** The connector's options, validated and with its defaults filled in. */
  options: Record<string, unknown>;
  target: SyncTarget;
  /** Past this age of the last success, the source is stale. */
  maxAgeMs: number;
  paused: boolean;
  /** HTTP validators of the last body stored, for conditional requests, and its sha256. */
  etag: string | null;
  lastModified: string | null;
  bodyHash: string | null;
  lastRun: SyncRunSummary | null;
  lastSuccessAt: Date | null;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  updatedBy: string;
}

/** One attempt at syncing a source, in the `syncRuns` collection. */
export interface SyncRunDocument {
  _id: string;
  sourceId: string;
  /** The BullMQ job and which attempt of it. */
  jobId: string;
  attempt: number;
  trigger: SyncTrigger;
  from: Date | null;
  to: Date | null;
  status: SyncRunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  bytes: number;
  /** Records read from the feed, valid or not. */
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Stored records the feed no longer lists, marked ended. */
  ended: number;
  quarantined: number;
  /** Notes that are not failures, e.g. why records missing from a damaged snapshot were not ended. */
  warnings: string[];
  error: string | null;
  errorKind: SyncErrorKind | null;
}

/** A record a run refused, with the reason and the raw text, in the `syncQuarantine` collection. */
export interface SyncQuarantineDocument {
  _id: string;
  sourceId: string;
  runId: string;
  /** The record's line in the file (the header is line 1), or null for the whole file. */
  line: number | null;
  externalId: string | null;
  field: string;
  reason: string;
  /** The record as read, cut to {@link MAX_QUARANTINED_RAW_CHARS}. */
  raw: string;
  quarantinedAt: Date;
}

export const MAX_QUARANTINED_RAW_CHARS = 10_000;

function parseJsonObjectLiteral(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, parseJsonObjectLiteral(field.value)]));
    case Kind.LIST:
      return node.values.map(parseJsonObjectLiteral);
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    default:
      throw new TypeError("a connector option cannot be a variable inside a literal");
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError("must be a JSON object");
  return value as Record<string, unknown>;
}

/** A connector's options: a JSON object whose shape the connector's schema checks. */
export const SyncOptionsScalar = new GraphQLScalarType({
  name: "SyncOptions",
  description: "A connector's options as a JSON object; workers/README.md lists each connector's",
  serialize: asObject,
  parseValue: asObject,
  parseLiteral: (node) => asObject(parseJsonObjectLiteral(node)),
});

@ObjectType("SyncSchedule", { description: "When a source is synced: a cron pattern or a fixed interval" })
export class SyncScheduleType {
  @Field(() => String, { nullable: true, description: "Cron pattern (5 fields, or 6 with seconds first)" })
  pattern!: string | null;

  @Field(() => Float, { nullable: true, description: "Interval in milliseconds" })
  everyMs!: number | null;

  @Field(() => String, { nullable: true, description: "The cron pattern's IANA time zone" })
  timezone!: string | null;
}

@InputType("SyncScheduleInput", { description: "Either pattern (with an optional timezone) or everyMs" })
export class SyncScheduleInput {
  @Field(() => String, { nullable: true })
  pattern?: string | null;

  @Field(() => Float, { nullable: true })
  everyMs?: number | null;

  @Field(() => String, { nullable: true })
  timezone?: string | null;
}

@ObjectType("SyncFreshness", { description: "How current a source's data is" })
export class SyncFreshness {
  @Field(() => GraphQLISODateTime, { nullable: true, description: "The end of the last run that succeeded (or found the feed unchanged)" })
  lastSuccessAt!: Date | null;

  @Field(() => Float, { nullable: true, description: "Milliseconds since lastSuccessAt; null if never" })
  ageMs!: number | null;

  @Field(() => Boolean, { description: "No success within the source's maxAgeMs (or never)" })
  stale!: boolean;

  @Field(() => SyncRunStatus, { nullable: true, description: "How the last run ended (RUNNING while it runs)" })
  lastRunStatus!: SyncRunStatus | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  lastRunAt!: Date | null;

  @Field(() => String, { nullable: true, description: "The last run's error, if it failed" })
  lastError!: string | null;
}

@ObjectType("SyncSource", { description: "An external feed the workers sync on a schedule" })
export class SyncSource {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => SyncConnectorKind)
  kind!: SyncConnectorKind;

  @Field(() => String, { description: "http(s) URL, or a file: URL under the workers' SYNC_FILE_ROOT" })
  url!: string;

  @Field(() => SyncScheduleType)
  schedule!: SyncScheduleType;

  @Field(() => SyncOptionsScalar, { description: "The connector's options, with defaults filled in" })
  options!: Record<string, unknown>;

  @Field(() => SyncTarget)
  target!: SyncTarget;

  @Field(() => Float, { description: "Past this age (ms) of the last success, the source is stale" })
  maxAgeMs!: number;

  @Field(() => Boolean)
  paused!: boolean;

  @Field(() => SyncFreshness)
  freshness!: SyncFreshness;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@ObjectType("SyncRun", { description: "One attempt at syncing a source" })
export class SyncRun {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sourceId!: string;

  @Field(() => SyncTrigger)
  trigger!: SyncTrigger;

  @Field(() => Int, { description: "Which attempt of its job (retries count up)" })
  attempt!: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "A backfill's period start" })
  from!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  to!: Date | null;

  @Field(() => SyncRunStatus)
  status!: SyncRunStatus;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Float, { description: "Bytes fetched" })
  bytes!: number;

  @Field(() => Int, { description: "Records read, valid or not" })
  fetched!: number;

  @Field(() => Int)
  inserted!: number;

  @Field(() => Int)
  updated!: number;

  @Field(() => Int)
  unchanged!: number;

  @Field(() => Int, { description: "Stored records the feed no longer lists, marked ended" })
  ended!: number;

  @Field(() => Int)
  quarantined!: number;

  @Field(() => [String])
  warnings!: string[];

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => SyncErrorKind, { nullable: true })
  errorKind!: SyncErrorKind | null;
}

@ObjectType("SyncRunConnection")
export class SyncRunConnection {
  @Field(() => [SyncRun])
  nodes!: SyncRun[];

  @Field(() => String, { nullable: true, description: "Pass as `after` for the next page" })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}

@ObjectType("QuarantinedRecord", { description: "A record a sync run refused, kept with the reason and its raw text" })
export class QuarantinedRecord {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sourceId!: string;

  @Field(() => ID)
  runId!: string;

  @Field(() => Int, { nullable: true, description: "Line in the file (header = 1); null for the whole file" })
  line!: number | null;

  @Field(() => String, { nullable: true })
  externalId!: string | null;

  @Field(() => String, { description: "The field at fault, `(row)` for the row's shape, `(file)` for the whole file" })
  field!: string;

  @Field(() => String)
  reason!: string;

  @Field(() => String)
  raw!: string;

  @Field(() => GraphQLISODateTime)
  quarantinedAt!: Date;
}

@ObjectType("QuarantinedRecordConnection")
export class QuarantinedRecordConnection {
  @Field(() => [QuarantinedRecord])
  nodes!: QuarantinedRecord[];

  @Field(() => String, { nullable: true })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}

@InputType("CreateSyncSourceInput")
export class CreateSyncSourceInput {
  @Field(() => ID, { description: "Lower-case letters, digits and '-', at most 64" })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => SyncConnectorKind)
  kind!: SyncConnectorKind;

  @Field(() => String)
  url!: string;

  @Field(() => SyncScheduleInput)
  schedule!: SyncScheduleInput;

  @Field(() => SyncOptionsScalar, { nullable: true })
  options?: Record<string, unknown> | null;

  @Field(() => SyncTarget)
  target!: SyncTarget;

  @Field(() => Float, { description: "At least 1000 (ms)" })
  maxAgeMs!: number;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  paused?: boolean | null;
}

@InputType("UpdateSyncSourceInput", { description: "The fields to change; the connector kind cannot change" })
export class UpdateSyncSourceInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => SyncScheduleInput, { nullable: true })
  schedule?: SyncScheduleInput | null;

  @Field(() => SyncOptionsScalar, { nullable: true, description: "Replaces the options whole" })
  options?: Record<string, unknown> | null;

  @Field(() => SyncTarget, { nullable: true })
  target?: SyncTarget | null;

  @Field(() => Float, { nullable: true })
  maxAgeMs?: number | null;
}

@ObjectType("SyncRunQueued", { description: "A run queued by runSyncSourceNow or backfillSyncSource" })
export class SyncRunQueued {
  @Field(() => ID)
  sourceId!: string;

  @Field(() => ID, { description: "The BullMQ job; its runs show in syncRuns once a worker takes it" })
  jobId!: string;
}

export function toSyncSource(document: SyncSourceDocument, now: Date): SyncSource {
  const ageMs = document.lastSuccessAt ? Math.max(0, now.getTime() - document.lastSuccessAt.getTime()) : null;
  return {
    id: document._id,
    name: document.name,
    kind: document.kind,
    url: document.url,
    schedule: { ...document.schedule },
    options: document.options,
    target: document.target,
    maxAgeMs: document.maxAgeMs,
    paused: document.paused,
    freshness: {
      lastSuccessAt: document.lastSuccessAt,
      ageMs,
      stale: ageMs === null || ageMs > document.maxAgeMs,
      lastRunStatus: document.lastRun?.status ?? null,
      lastRunAt: document.lastRun?.startedAt ?? null,
      lastError: document.lastRun?.error ?? null,
    },
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
}

export function toSyncRun(document: SyncRunDocument): SyncRun {
  const { _id, jobId: _jobId, ...rest } = document;
  return { id: _id, ...rest };
}

export function toQuarantinedRecord(document: SyncQuarantineDocument): QuarantinedRecord {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}
