import { ConflictError, NotFoundError, UserInputError, type Logger } from "@situation/platform";
import type { Collection, Db } from "mongodb";
import { CONNECTOR_CONTRACTS, checkConnectorOptions, SYNC_CONNECTOR_KINDS, SYNC_TARGETS, type SyncConnectorKind, type SyncTarget } from "./sync-connectors.js";
import { checkSchedule, NO_SYNC_SCHEDULING, type SyncScheduler } from "./sync-scheduler.js";
import { SyncTrigger, type SyncRunSummary, type SyncScheduleDocument, type SyncSourceDocument } from "./sync-source.model.js";

export const SYNC_SOURCES_COLLECTION = "syncSources";

const SOURCE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const MIN_MAX_AGE_MS = 1_000;
/** A backfill longer than this is almost surely a typo in a year. */
const MAX_BACKFILL_MS = 366 * 24 * 3_600_000;
const DUPLICATE_KEY = 11000;

export interface SyncSourceInput {
  id: string;
  name: string;
  kind: SyncConnectorKind;
  url: string;
  schedule: Partial<SyncScheduleDocument>;
  options?: Record<string, unknown> | null;
  target: SyncTarget;
  maxAgeMs: number;
  paused?: boolean | null;
}

export type SyncSourcePatch = Partial<Omit<SyncSourceInput, "id" | "kind" | "paused">>;

/** What the worker records on its source when a run ends. */
export interface RunOutcome {
  summary: SyncRunSummary;
  /** The run stored the feed's data (or found it unchanged): freshness restarts. */
  succeeded: boolean;
  /** Validators of the body now stored; left as they were when undefined. */
  validators?: { etag: string | null; lastModified: string | null; bodyHash: string | null };
}

/**
 * The only code that reads and writes `syncSources`. Mutations write the database first, then tell
 * the scheduler; a scheduler that fails is logged, not reported as a failed save, because the worker
 * reconciles Redis with the stored sources (at start and every minute).
 */
export class SyncSourceRepository {
  readonly collection: Collection<SyncSourceDocument>;

  constructor(
    db: Db,
    private readonly options: { scheduler?: SyncScheduler; now?: () => Date; logger?: Logger } = {},
  ) {
    this.collection = db.collection<SyncSourceDocument>(SYNC_SOURCES_COLLECTION);
  }

  private get scheduler(): SyncScheduler {
    return this.options.scheduler ?? NO_SYNC_SCHEDULING;
  }

  /** The clock of timestamps and of freshness; tests pass a fixed one. */
  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async ensureIndexes(): Promise<void> {
    // Reconciliation reads the active sources; there are tens, not millions, so this is for tidiness.
    await this.collection.createIndex({ paused: 1 });
  }

  async findById(id: string): Promise<SyncSourceDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  async findAll(): Promise<SyncSourceDocument[]> {
    return this.collection.find({}).sort({ _id: 1 }).toArray();
  }

  async create(input: SyncSourceInput, actor: string): Promise<SyncSourceDocument> {
    const now = this.now();
    const id = input.id?.trim() ?? "";
    if (!SOURCE_ID.test(id)) throw new UserInputError("id must be 1–64 lower-case letters, digits and '-', not starting or ending with '-'", { field: "id" });
    const checked = checkSource({ ...input, options: input.options ?? {} });
    const document: SyncSourceDocument = {
      _id: id,
      ...checked,
      paused: input.paused === true,
      etag: null,
      lastModified: null,
      bodyHash: null,
      lastRun: null,
      lastSuccessAt: null,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    };
    try {
      await this.collection.insertOne(document);
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) {
        throw new UserInputError(`a sync source with the id ${JSON.stringify(id)} exists already`, { field: "id", cause: error });
      }
      throw error;
    }
    await this.applySchedule(document);
    return document;
  }

  async update(id: string, patch: SyncSourcePatch, actor: string): Promise<SyncSourceDocument> {
    const existing = await this.require(id);
    const merged = checkSource({
      name: patch.name ?? existing.name,
      kind: existing.kind,
      url: patch.url ?? existing.url,
      schedule: patch.schedule ?? existing.schedule,
      options: patch.options ?? existing.options,
      target: patch.target ?? existing.target,
      maxAgeMs: patch.maxAgeMs ?? existing.maxAgeMs,
    });
    const urlChanged = merged.url !== existing.url;
    const set: Partial<SyncSourceDocument> = {
      ...merged,
      updatedAt: this.now(),
      updatedBy: actor,
      // Validators of another URL's body must not make the new one look unchanged.
      ...(urlChanged ? { etag: null, lastModified: null, bodyHash: null } : {}),
    };
    const updated = await this.collection.findOneAndUpdate(
      // Only over the version read: a concurrent edit is reported, not silently merged.
      { _id: id, updatedAt: existing.updatedAt },
      { $set: set },
      { returnDocument: "after" },
    );
    if (!updated) throw new ConflictError(`sync source ${JSON.stringify(id)} was changed meanwhile; read it again`);
    await this.applySchedule(updated);
    return updated;
  }

  async setPaused(id: string, paused: boolean, actor: string): Promise<SyncSourceDocument> {
    await this.require(id);
    const updated = await this.collection.findOneAndUpdate(
      { _id: id },
      { $set: { paused, updatedAt: this.now(), updatedBy: actor } },
      { returnDocument: "after" },
    );
    if (!updated) throw new NotFoundError(`no sync source has the id ${JSON.stringify(id)}`);
    await this.applySchedule(updated);
    return updated;
  }

  /** Queues one run now, also of a paused source (an admin asked for it explicitly). */
  async runNow(id: string): Promise<string> {
    await this.require(id);
    return this.scheduler.enqueue({ sourceId: id, trigger: SyncTrigger.MANUAL });
  }

  /** Queues a run over a past period: conditional requests are skipped and nothing is marked ended. */
  async backfill(id: string, from: Date, to: Date): Promise<string> {
    await this.require(id);
    if (Number.isNaN(from.getTime())) throw new UserInputError("from is not a date", { field: "from" });
    if (Number.isNaN(to.getTime())) throw new UserInputError("to is not a date", { field: "to" });
    if (to.getTime() <= from.getTime()) throw new UserInputError("to must be after from", { field: "to" });
    if (from.getTime() > this.now().getTime()) throw new UserInputError("from must not be in the future", { field: "from" });
    if (to.getTime() - from.getTime() > MAX_BACKFILL_MS) throw new UserInputError("the period must be at most 366 days", { field: "to" });
    return this.scheduler.enqueue({ sourceId: id, trigger: SyncTrigger.BACKFILL, from: from.toISOString(), to: to.toISOString() });
  }

  /**
   * Creates the source, or brings an existing one's connection settings (URL, schedule, options) in
   * line with `input`: for sources whose configuration lives in the environment (OUTAGE_FEED_URL).
   * Its paused flag and history are kept.
   */
  async ensureConfigured(input: SyncSourceInput, actor: string): Promise<SyncSourceDocument> {
    const existing = await this.findById(input.id);
    if (!existing) {
      try {
        return await this.create(input, actor);
      } catch (error) {
        // Another worker created it between our read and our insert: fall through to the update.
        if (!(error instanceof UserInputError && error.field === "id")) throw error;
      }
    }
    const patch = { url: input.url, schedule: input.schedule, options: input.options ?? {} };
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.require(input.id);
      const wanted = checkSource({ ...current, ...patch });
      // Every worker does this at start: an unchanged source is not written (nor its schedule touched).
      if (wanted.url === current.url && sameJson(wanted.schedule, current.schedule) && sameJson(wanted.options, current.options)) return current;
      try {
        return await this.update(input.id, patch, actor);
      } catch (error) {
        // Two workers starting together: the other one's write won; read it and compare again.
        if (!(error instanceof ConflictError) || attempt >= 3) throw error;
      }
    }
  }

  async recordRunStarted(sourceId: string, summary: SyncRunSummary): Promise<void> {
    await this.collection.updateOne({ _id: sourceId }, { $set: { lastRun: summary } });
  }

  async recordRunFinished(sourceId: string, outcome: RunOutcome): Promise<void> {
    const set: Partial<SyncSourceDocument> = { lastRun: outcome.summary, ...(outcome.validators ?? {}) };
    if (outcome.succeeded) set.lastSuccessAt = outcome.summary.finishedAt ?? this.now();
    await this.collection.updateOne({ _id: sourceId }, { $set: set });
  }

  private async require(id: string): Promise<SyncSourceDocument> {
    const source = await this.findById(id);
    if (!source) throw new NotFoundError(`no sync source has the id ${JSON.stringify(id)}`);
    return source;
  }

  private async applySchedule(source: SyncSourceDocument): Promise<void> {
    try {
      await this.scheduler.apply(source);
    } catch (error) {
      this.options.logger?.error({ err: error, sourceId: source._id }, "sync schedule not updated; the worker's reconciliation will apply it");
    }
  }
}

function sameJson(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

type CheckedSource = Pick<SyncSourceDocument, "name" | "kind" | "url" | "schedule" | "options" | "target" | "maxAgeMs">;

/** Validates everything but the id, and returns the fields as stored; each failure names its field. */
function checkSource(input: Omit<SyncSourceInput, "id" | "paused">): CheckedSource {
  const name = input.name?.trim() ?? "";
  if (name.length < 1 || name.length > 200) throw new UserInputError("name must be 1–200 characters", { field: "name" });
  if (!SYNC_CONNECTOR_KINDS.includes(input.kind)) {
    throw new UserInputError(`kind must be one of ${SYNC_CONNECTOR_KINDS.join(", ")}`, { field: "kind" });
  }
  const url = checkUrl(input.url);
  const schedule: SyncScheduleDocument = {
    pattern: input.schedule?.pattern?.trim() || null,
    everyMs: input.schedule?.everyMs ?? null,
    timezone: input.schedule?.timezone?.trim() || null,
  };
  const scheduleProblem = checkSchedule(schedule);
  if (scheduleProblem) throw new UserInputError(`${scheduleProblem.field} ${scheduleProblem.message}`, { field: scheduleProblem.field });
  if (!SYNC_TARGETS.includes(input.target) || !CONNECTOR_CONTRACTS[input.kind].targets.includes(input.target)) {
    throw new UserInputError(`target must be one of ${CONNECTOR_CONTRACTS[input.kind].targets.join(", ")} for a ${input.kind} source`, { field: "target" });
  }
  const options = checkConnectorOptions(input.kind, input.options);
  if (!options.ok) throw new UserInputError(`${options.field} ${options.message}`, { field: options.field });
  if (!Number.isInteger(input.maxAgeMs) || input.maxAgeMs < MIN_MAX_AGE_MS) {
    throw new UserInputError(`maxAgeMs must be an integer of at least ${MIN_MAX_AGE_MS} (ms)`, { field: "maxAgeMs" });
  }
  return { name, kind: input.kind, url, schedule, options: options.options, target: input.target, maxAgeMs: input.maxAgeMs };
}

function checkUrl(text: string | undefined): string {
  let url: URL;
  try {
    url = new URL((text ?? "").trim());
  } catch {
    throw new UserInputError("url must be an absolute http(s) or file: URL", { field: "url" });
  }
  if (url.protocol === "file:") {
    // Whether the worker may read it depends on its SYNC_FILE_ROOT, which only the worker knows.
    return url.href;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UserInputError("url must be http:, https: or file:", { field: "url" });
  if (url.username || url.password) {
    // Stored sources are readable by operators; a password in the URL would be shown to them.
    throw new UserInputError("url must not carry a user name or password", { field: "url" });
  }
  return url.href;
}
