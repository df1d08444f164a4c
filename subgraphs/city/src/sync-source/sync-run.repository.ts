import type { Collection, Db, Filter } from "mongodb";
import {
  MAX_QUARANTINED_RAW_CHARS,
  SyncRunStatus,
  type SyncQuarantineDocument,
  type SyncRunDocument,
} from "./sync-source.model.js";

export const SYNC_RUNS_COLLECTION = "syncRuns";
export const SYNC_QUARANTINE_COLLECTION = "syncQuarantine";

/** A cursor that does not decode; the resolver turns it into a UserInputError on `after`. */
export class InvalidSyncCursorError extends Error {
  override readonly name = "InvalidSyncCursorError";
}

export interface SyncPage<T> {
  nodes: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** The counts and outcome a run ends with. */
export type RunEnd = Pick<
  SyncRunDocument,
  "status" | "finishedAt" | "bytes" | "fetched" | "inserted" | "updated" | "unchanged" | "ended" | "quarantined" | "warnings" | "error" | "errorKind"
>;

/** The only code that reads and writes `syncRuns`: one document per attempt, newest first. */
export class SyncRunRepository {
  readonly collection: Collection<SyncRunDocument>;

  constructor(db: Db) {
    this.collection = db.collection<SyncRunDocument>(SYNC_RUNS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ sourceId: 1, startedAt: -1, _id: -1 }),
      this.collection.createIndex({ sourceId: 1, status: 1 }),
    ]);
  }

  async start(run: SyncRunDocument): Promise<void> {
    await this.collection.insertOne(run);
  }

  /** Ends a run that is still running; a run already ended (or abandoned) is left as it is. */
  async finish(runId: string, end: RunEnd): Promise<boolean> {
    const result = await this.collection.updateOne({ _id: runId, status: SyncRunStatus.RUNNING }, { $set: end });
    return result.modifiedCount === 1;
  }

  /**
   * Marks the source's runs still "running" as abandoned. Called by the worker that holds the
   * source's lock, so any such run belongs to a worker that died (kill -9, lost host) mid-run.
   */
  async abandonRunning(sourceId: string, at: Date): Promise<number> {
    const result = await this.collection.updateMany(
      { sourceId, status: SyncRunStatus.RUNNING },
      { $set: { status: SyncRunStatus.ABANDONED, finishedAt: at, error: "its worker stopped before the run ended; the job was retried" } },
    );
    return result.modifiedCount;
  }

  async findById(runId: string): Promise<SyncRunDocument | null> {
    return this.collection.findOne({ _id: runId });
  }

  async findPage(sourceId: string, first: number, after: string | null): Promise<SyncPage<SyncRunDocument>> {
    return page(this.collection, { sourceId }, "startedAt", first, after);
  }
}

/** The only code that reads and writes `syncQuarantine`. */
export class SyncQuarantineRepository {
  readonly collection: Collection<SyncQuarantineDocument>;

  constructor(db: Db) {
    this.collection = db.collection<SyncQuarantineDocument>(SYNC_QUARANTINE_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ sourceId: 1, quarantinedAt: -1, _id: -1 }),
      this.collection.createIndex({ runId: 1, quarantinedAt: -1, _id: -1 }),
    ]);
  }

  async addMany(records: readonly SyncQuarantineDocument[]): Promise<void> {
    if (records.length === 0) return;
    await this.collection.insertMany(
      records.map((record) => ({ ...record, raw: record.raw.slice(0, MAX_QUARANTINED_RAW_CHARS) })),
      { ordered: false },
    );
  }

  async findPage(filter: { sourceId?: string | null; runId?: string | null }, first: number, after: string | null): Promise<SyncPage<SyncQuarantineDocument>> {
    const query: Filter<SyncQuarantineDocument> = {};
    if (filter.sourceId) query.sourceId = filter.sourceId;
    if (filter.runId) query.runId = filter.runId;
    return page(this.collection, query, "quarantinedAt", first, after);
  }

  async count(filter: { sourceId?: string; runId?: string } = {}): Promise<number> {
    return this.collection.countDocuments(filter);
  }
}

/** Newest first by `field` then `_id`, with an opaque cursor of both. */
async function page<T extends { _id: string }>(
  collection: Collection<T>,
  filter: Filter<T>,
  field: "startedAt" | "quarantinedAt",
  first: number,
  after: string | null,
): Promise<SyncPage<T>> {
  let query: Filter<T> = filter;
  if (after) {
    const { at, id } = decodeCursor(after);
    query = { $and: [filter, { $or: [{ [field]: { $lt: at } }, { [field]: at, _id: { $lt: id } }] }] } as Filter<T>;
  }
  const documents = (await collection
    .find(query)
    .sort({ [field]: -1, _id: -1 })
    .limit(first + 1)
    .toArray()) as T[];
  const nodes = documents.slice(0, first);
  const last = nodes.at(-1) as (T & Record<string, unknown>) | undefined;
  return {
    nodes,
    endCursor: last ? encodeCursor(last[field] as Date, last._id) : null,
    hasNextPage: documents.length > first,
  };
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === "string" && typeof decoded[1] === "string") {
      const at = new Date(decoded[0]);
      if (!Number.isNaN(at.getTime())) return { at, id: decoded[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidSyncCursorError("not a cursor from a previous page");
}
