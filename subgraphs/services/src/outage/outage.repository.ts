import { createHash, randomUUID } from "node:crypto";
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from "mongodb";
import type { ServiceKind } from "../provider/provider.model.js";
import { toMultiPolygon } from "./affected-area.js";
import {
  OutageStatus,
  toOutage,
  type MultiPolygonGeometry,
  type Outage,
  type OutageDocument,
  type PolygonGeometry,
} from "./outage.model.js";

/** One outage as a feed connector hands it over, already validated field by field. */
export interface OutageFeedRecord {
  externalId: string;
  providerId: string;
  kind: ServiceKind;
  planned: boolean;
  startsAt: Date;
  expectedEndAt: Date | null;
  status: OutageStatus;
  description: string;
  affectedArea: PolygonGeometry | MultiPolygonGeometry;
}

export interface FeedUpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface OutagePageRequest {
  status?: OutageStatus | null;
  first: number;
  /** An opaque cursor from a previous page's `endCursor`. */
  after?: string | null;
}

export interface OutagePage {
  outages: Outage[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}

/** A cursor that does not decode; the resolver turns it into a UserInputError on `after`. */
export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

/** A feed record the repository refuses to store; connectors validate first, so this is a bug upstream. */
export class InvalidOutageRecordError extends Error {
  override readonly name = "InvalidOutageRecordError";
  constructor(
    readonly externalId: string,
    readonly field: string,
    reason: string,
  ) {
    super(`outage ${JSON.stringify(externalId)}: ${field} ${reason}`);
  }
}

const DUPLICATE_KEY = 11000;
// Keeps each `$in` read and each bulkWrite a reasonable size for large feeds.
const BATCH_SIZE = 500;

/** The content of a feed outage that its hash covers, in a fixed order so the hash is stable. */
type NormalisedContent = Pick<
  OutageDocument,
  "providerId" | "kind" | "planned" | "startsAt" | "expectedEndAt" | "affectedArea" | "status" | "description"
>;

/** The only code that reads and writes the `outages` collection. */
export class OutageRepository {
  readonly collection: Collection<OutageDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<OutageDocument>("outages");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ affectedArea: "2dsphere" }),
      this.collection.createIndex({ status: 1, startsAt: -1, _id: -1 }),
      this.collection.createIndex({ startsAt: -1, _id: -1 }),
      // One outage per (feed, id in that feed). Partial, because outages entered by hand have no feed.
      this.collection.createIndex(
        { source: 1, externalId: 1 },
        { unique: true, partialFilterExpression: { source: { $type: "string" } }, name: "source_externalId_unique" },
      ),
    ]);
  }

  async findById(id: string): Promise<Outage | null> {
    const document = await this.collection.findOne({ _id: id });
    return document ? toOutage(document) : null;
  }

  async count(filter: { source?: string } = {}): Promise<number> {
    return this.collection.countDocuments(filter.source === undefined ? {} : { source: filter.source });
  }

  /** Outages newest start first, `first` at a time after the cursor. */
  async findPage(request: OutagePageRequest): Promise<OutagePage> {
    const statusFilter: Filter<OutageDocument> = request.status ? { status: request.status } : {};
    const conditions: Filter<OutageDocument>[] = [statusFilter];
    if (request.after) {
      const position = decodeCursor(request.after);
      conditions.push({
        $or: [{ startsAt: { $lt: position.startsAt } }, { startsAt: position.startsAt, _id: { $lt: position.id } }],
      });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find(conditions.length === 1 ? statusFilter : { $and: conditions })
        .sort({ startsAt: -1, _id: -1 })
        .limit(request.first + 1)
        .toArray(),
      this.collection.countDocuments(statusFilter),
    ]);
    const page = documents.slice(0, request.first);
    return {
      outages: page.map(toOutage),
      cursors: page.map((document) => encodeCursor(document.startsAt, document._id)),
      hasNextPage: documents.length > request.first,
      totalCount,
    };
  }

  /**
   * Outages that matter now in an area: announced ones that have not ended, and active ones whose
   * time window contains now. Resolved and cancelled ones are history.
   */
  async findActiveIntersecting(area: MultiPolygonGeometry | PolygonGeometry): Promise<Outage[]> {
    const now = this.now();
    const documents = await this.collection
      .find({
        affectedArea: { $geoIntersects: { $geometry: area } },
        $and: [
          { $or: [{ status: OutageStatus.ANNOUNCED }, { status: OutageStatus.ACTIVE, startsAt: { $lte: now } }] },
          { $or: [{ expectedEndAt: null }, { expectedEndAt: { $gt: now } }] },
        ],
      })
      .sort({ startsAt: 1, _id: 1 })
      .toArray();
    return documents.map(toOutage);
  }

  /**
   * Stores a feed's outages idempotently. Each record is normalised and hashed; the existing hashes of
   * the batch are read first, so only new and changed outages are written and an unchanged feed
   * writes nothing at all (not even `fetchedAt` or `updatedAt`). The unique (source, externalId) index
   * catches a concurrent import of the same outage; the losing write is retried as an update.
   */
  async upsertFromFeed(source: string, records: readonly OutageFeedRecord[]): Promise<FeedUpsertResult> {
    if (source.trim() === "") throw new InvalidOutageRecordError("", "source", "must not be empty");
    const fetchedAt = this.now();
    // A feed that lists an outage twice means its last version.
    const latest = new Map<string, { content: NormalisedContent; contentHash: string }>();
    for (const record of records) {
      const content = normalise(record);
      latest.set(record.externalId.trim(), { content, contentHash: hashContent(content) });
    }
    const total: FeedUpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
    const entries = [...latest.entries()];
    for (let start = 0; start < entries.length; start += BATCH_SIZE) {
      const result = await this.upsertBatch(source, entries.slice(start, start + BATCH_SIZE), fetchedAt);
      total.inserted += result.inserted;
      total.updated += result.updated;
      total.unchanged += result.unchanged;
    }
    return total;
  }

  private async upsertBatch(
    source: string,
    entries: [string, { content: NormalisedContent; contentHash: string }][],
    fetchedAt: Date,
  ): Promise<FeedUpsertResult> {
    const existing = await this.collection
      .find(
        { source, externalId: { $in: entries.map(([externalId]) => externalId) } },
        { projection: { externalId: 1, contentHash: 1 } },
      )
      .toArray();
    const storedHashes = new Map(existing.map((document) => [document.externalId as string, document.contentHash]));

    const operations: AnyBulkWriteOperation<OutageDocument>[] = [];
    // operations[i] writes entries[writtenEntries[i]]; a write error's index maps back through it.
    const writtenEntries: number[] = [];
    let unchanged = 0;
    for (const [entryIndex, [externalId, { content, contentHash }]] of entries.entries()) {
      const storedHash = storedHashes.get(externalId);
      if (storedHash === contentHash) {
        unchanged += 1;
        continue;
      }
      const isNew = !storedHashes.has(externalId);
      writtenEntries.push(entryIndex);
      operations.push(
        isNew
          ? {
              updateOne: {
                filter: { source, externalId },
                update: {
                  $set: { ...content, contentHash, fetchedAt, updatedAt: fetchedAt },
                  $setOnInsert: { _id: randomUUID(), createdAt: fetchedAt },
                },
                upsert: true,
              },
            }
          : changedOperation(source, externalId, content, contentHash, fetchedAt),
      );
    }
    if (operations.length === 0) return { inserted: 0, updated: 0, unchanged };

    try {
      const result = await this.collection.bulkWrite(operations, { ordered: false });
      // A write that matched without changing anything met the same content stored by a concurrent import.
      return {
        inserted: result.upsertedCount,
        updated: result.modifiedCount,
        unchanged: unchanged + operations.length - result.upsertedCount - result.modifiedCount,
      };
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
      // Another import inserted these outages between our read and our write: now they exist, so
      // write them as updates that apply only where the content still differs.
      const retried = writeErrors.map((writeError) => {
        const entry = entries[writtenEntries[writeError.index] ?? -1];
        if (!entry) throw error;
        const [externalId, { content, contentHash }] = entry;
        return changedOperation(source, externalId, content, contentHash, fetchedAt);
      });
      const retryResult = await this.collection.bulkWrite(retried, { ordered: false });
      const inserted = error.result.upsertedCount;
      const updated = error.result.modifiedCount + retryResult.modifiedCount;
      return { inserted, updated, unchanged: unchanged + operations.length - inserted - updated };
    }
  }
}

function changedOperation(
  source: string,
  externalId: string,
  content: NormalisedContent,
  contentHash: string,
  fetchedAt: Date,
): AnyBulkWriteOperation<OutageDocument> {
  return {
    updateOne: {
      // The hash condition makes the write a no-op when someone else already stored this content.
      filter: { source, externalId, contentHash: { $ne: contentHash } },
      update: { $set: { ...content, contentHash, fetchedAt, updatedAt: fetchedAt } },
    },
  };
}

function normalise(record: OutageFeedRecord): NormalisedContent {
  const externalId = record.externalId.trim();
  if (externalId === "") throw new InvalidOutageRecordError(record.externalId, "externalId", "must not be empty");
  const area = toMultiPolygon(record.affectedArea);
  if (typeof area === "string") throw new InvalidOutageRecordError(externalId, "affectedArea", area);
  if (Number.isNaN(record.startsAt.getTime())) throw new InvalidOutageRecordError(externalId, "startsAt", "is not a date");
  if (record.expectedEndAt && !(record.expectedEndAt.getTime() > record.startsAt.getTime())) {
    throw new InvalidOutageRecordError(externalId, "expectedEndAt", "must be after startsAt");
  }
  return {
    providerId: record.providerId.trim(),
    kind: record.kind,
    planned: record.planned,
    startsAt: record.startsAt,
    expectedEndAt: record.expectedEndAt,
    affectedArea: area,
    status: record.status,
    description: record.description.trim().replace(/\s+/g, " "),
  };
}

/** sha256 over the normalised content with dates as ISO strings and keys in a fixed order. */
export function hashContent(content: NormalisedContent): string {
  const canonical = JSON.stringify([
    content.providerId,
    content.kind,
    content.planned,
    content.startsAt.toISOString(),
    content.expectedEndAt?.toISOString() ?? null,
    content.affectedArea.coordinates,
    content.status,
    content.description,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

function encodeCursor(startsAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([startsAt.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { startsAt: Date; id: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === "string" && typeof decoded[1] === "string") {
      const startsAt = new Date(decoded[0]);
      if (!Number.isNaN(startsAt.getTime())) return { startsAt, id: decoded[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError("not a cursor from a previous page");
}
