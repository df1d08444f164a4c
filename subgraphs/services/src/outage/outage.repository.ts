import { createHash, randomUUID } from "node:crypto";
import { NO_CHANGE_EVENTS, type ChangeEventPublisher } from "@situation/platform";
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from "mongodb";
import type { ServiceKind } from "../provider/provider.model.js";
import { toMultiPolygon } from "./affected-area.js";
import { ESTIMATE_VERSION, seedCityArea, storedEstimate, type CityArea } from "./city-area.js";
import { OUTAGE_EVENT_PROJECTION, publishOutageChanges, type OutageChange, type OutageEventSubject } from "./outage-events.js";
import {
  OutageStatus,
  outageProjection,
  toOutage,
  type MultiPolygonGeometry,
  type Outage,
  type OutageDocument,
  type OutageTimelineEntry,
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

/** One accepted item of a pushed batch, as the repository writes it. */
export type BatchWrite = { index: number; kind: "insert"; document: OutageDocument } | BatchUpdate;

export interface BatchUpdate {
  index: number;
  kind: "update";
  existing: OutageDocument;
  set: Partial<OutageDocument>;
  entry: OutageTimelineEntry;
}

export interface BatchWriteFailure {
  index: number;
  reason: "duplicate" | "changed" | "failed";
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

export interface ActiveOutageQuery {
  districtId?: string | null;
  area?: MultiPolygonGeometry | null;
  near?: NearPoint | null;
  from?: Date | null;
  to?: Date | null;
  kind?: ServiceKind | null;
  providerId?: string | null;
}

export interface NearPoint {
  longitude: number;
  latitude: number;
  radiusMeters: number;
}

export interface DistrictSituation {
  outages: Outage[];
  peopleAffectedNow: number;
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
// What `districtSituations` reads of every outage whatever the client asked: the grouping and the people.
const SITUATION_FIELDS: readonly (keyof OutageDocument)[] = ["_id", "status", "startsAt", "providerId", "affectedDistricts"];
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
    /** The clock of "active now" and of every timestamp written; tests pass a fixed one. */
    readonly now: () => Date = () => new Date(),
    /** Estimates the people an area affects; the city subgraph's seed districts unless given. */
    readonly city: CityArea = seedCityArea(),
    /** Told about every outage a write created or changed, once the write has landed (docs/live-events.md). */
    private readonly events: ChangeEventPublisher = NO_CHANGE_EVENTS,
  ) {
    this.collection = db.collection<OutageDocument>("outages");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ affectedArea: "2dsphere" }),
      this.collection.createIndex({ status: 1, startsAt: -1, _id: -1 }),
      this.collection.createIndex({ startsAt: -1, _id: -1 }),
      this.collection.createIndex({ "affectedDistricts.districtId": 1, startsAt: -1 }),
      // The district view: the announced and active outages of the districts asked, one scan of
      // (status × district) points, not a pass over every outage that ever touched those districts.
      this.collection.createIndex({ status: 1, "affectedDistricts.districtId": 1, startsAt: -1 }),
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

  async findDocument(id: string): Promise<OutageDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  async findByExternalId(source: string, externalId: string): Promise<OutageDocument | null> {
    return this.collection.findOne({ source, externalId });
  }

  /** The stored outages for these (source, externalId) keys, by `source + "\u0000" + externalId`. */
  async findByExternalIds(keys: readonly { source: string; externalId: string }[]): Promise<Map<string, OutageDocument>> {
    const found = new Map<string, OutageDocument>();
    const bySource = new Map<string, string[]>();
    for (const { source, externalId } of keys) bySource.set(source, [...(bySource.get(source) ?? []), externalId]);
    for (const [source, externalIds] of bySource) {
      for (let start = 0; start < externalIds.length; start += BATCH_SIZE) {
        const documents = await this.collection
          .find({ source, externalId: { $in: externalIds.slice(start, start + BATCH_SIZE) } })
          .toArray();
        for (const document of documents) found.set(`${source}\u0000${document.externalId as string}`, document);
      }
    }
    return found;
  }

  /** Inserts a pushed outage, checked beforehand; a duplicate (source, externalId) throws the driver's error. */
  async insertPushed(document: OutageDocument): Promise<Outage> {
    await this.collection.insertOne(document);
    await publishOutageChanges(this.events, [{ outage: document, previousStatus: undefined }]);
    return toOutage(document);
  }

  /**
   * Applies a checked change and appends its timeline entry, only if the outage is still as it was
   * read (same status and `updatedAt`, so a transition is never applied to a status it was not
   * checked against); returns null when someone else changed it meanwhile.
   */
  async applyChange(existing: OutageDocument, set: Partial<OutageDocument>, entry: OutageTimelineEntry): Promise<Outage | null> {
    const updated = await this.collection.findOneAndUpdate(
      { _id: existing._id, status: existing.status, updatedAt: existing.updatedAt },
      { $set: { ...set, updatedAt: entry.at }, $push: { updates: entry } },
      { returnDocument: "after" },
    );
    if (!updated) return null;
    await publishOutageChanges(this.events, [{ outage: updated, previousStatus: existing.status }]);
    return toOutage(updated);
  }

  /**
   * Writes a batch's accepted items in unordered bulk writes; returns the items whose write failed:
   * a duplicate (source, externalId) from a concurrent insert, or an update whose outage changed
   * status since the batch checked it (found by reading back the ones the bulk write did not match).
   */
  async writeBatch(writes: readonly BatchWrite[]): Promise<BatchWriteFailure[]> {
    const failures: BatchWriteFailure[] = [];
    for (let start = 0; start < writes.length; start += BATCH_SIZE) {
      const slice = writes.slice(start, start + BATCH_SIZE);
      const operations: AnyBulkWriteOperation<OutageDocument>[] = slice.map((write) =>
        write.kind === "insert"
          ? { insertOne: { document: write.document } }
          : {
              updateOne: {
                filter: { _id: write.existing._id, status: write.existing.status },
                update: { $set: { ...write.set, updatedAt: write.entry.at }, $push: { updates: write.entry } },
              },
            },
      );
      const updates = slice.filter((write): write is BatchUpdate => write.kind === "update");
      let matched: number;
      try {
        matched = (await this.collection.bulkWrite(operations, { ordered: false })).matchedCount;
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        for (const writeError of writeErrors) {
          const write = slice[writeError.index];
          if (write) failures.push({ index: write.index, reason: writeError.code === DUPLICATE_KEY ? "duplicate" : "failed" });
        }
        matched = error.result.matchedCount;
      }
      if (matched < updates.length) failures.push(...(await this.unappliedUpdates(updates, failures)));
    }
    const failed = new Set(failures.map((failure) => failure.index));
    await publishOutageChanges(
      this.events,
      writes
        .filter((write) => !failed.has(write.index))
        .map((write): OutageChange =>
          write.kind === "insert"
            ? { outage: write.document, previousStatus: undefined }
            : { outage: { ...write.existing, ...write.set }, previousStatus: write.existing.status },
        ),
    );
    return failures;
  }

  /** The batch updates that did not land: their outage's newest timeline entry is not the one written. */
  private async unappliedUpdates(updates: readonly BatchUpdate[], known: readonly BatchWriteFailure[]): Promise<BatchWriteFailure[]> {
    const failed = new Set(known.map((failure) => failure.index));
    const pending = updates.filter((write) => !failed.has(write.index));
    const documents = await this.collection
      .find({ _id: { $in: pending.map((write) => write.existing._id) } }, { projection: { updates: { $slice: -1 } } })
      .toArray();
    const newest = new Map(documents.map((document) => [document._id, document.updates?.at(-1)]));
    return pending
      .filter((write) => {
        const last = newest.get(write.existing._id);
        return !(last && last.at.getTime() === write.entry.at.getTime() && last.status === write.entry.status);
      })
      .map((write) => ({ index: write.index, reason: "changed" as const }));
  }

  async count(filter: { source?: string } = {}): Promise<number> {
    return this.collection.countDocuments(filter.source === undefined ? {} : { source: filter.source });
  }

  /** Outages newest start first, `first` at a time after the cursor. */
  async findPage(request: OutagePageRequest): Promise<OutagePage> {
    return this.page(request.status ? { status: request.status } : {}, request.first, request.after);
  }

  /**
   * Active outages for operators, newest start first: without a time window, those that matter now
   * (as `findActiveIntersecting`); with one, those not cancelled whose time span overlaps it. Narrowed
   * by district (the districts its estimate found), area, a circle around a point, kind and provider.
   */
  async findActivePage(query: ActiveOutageQuery, first: number, after?: string | null): Promise<OutagePage> {
    const conditions: Filter<OutageDocument>[] = [];
    if (query.from || query.to) {
      conditions.push({ status: { $ne: OutageStatus.CANCELLED } });
      if (query.to) conditions.push({ startsAt: { $lt: query.to } });
      if (query.from) {
        const from = query.from;
        conditions.push({
          $or: [
            { endedAt: { $gt: from } },
            { endedAt: null, expectedEndAt: { $gt: from } },
            { endedAt: null, expectedEndAt: null },
          ],
        });
      }
    } else {
      conditions.push(...this.activeNowConditions());
    }
    if (query.districtId) conditions.push({ "affectedDistricts.districtId": query.districtId });
    if (query.kind) conditions.push({ kind: query.kind });
    if (query.providerId) conditions.push({ providerId: query.providerId });
    for (const area of [query.area, query.near ? circle(query.near) : null]) {
      if (area) conditions.push({ affectedArea: { $geoIntersects: { $geometry: area } } });
    }
    return this.page({ $and: conditions }, first, after);
  }

  /**
   * The situation of these districts now, in one query for all of them: their active outages
   * (announced ones that have not ended and active ones now, whose estimate found the district, as
   * `activeOutages(filter: { districtId })` does), oldest start first, and the people affected now.
   * Without `outages`, only the active outages' per-district estimates are read.
   *
   * People affected now: the sum of the estimates for the district of the outages active now
   * (started, not ended; announced ones affect nobody yet), at most its population (two outages over
   * the same streets would otherwise count their people twice).
   */
  async districtSituations(
    districtIds: readonly string[],
    options: { outages: boolean; /** The GraphQL fields of Outage asked for; all when absent. */ outageFields?: Iterable<string> },
  ): Promise<Map<string, DistrictSituation>> {
    const wanted = new Set(districtIds);
    const situations = new Map([...wanted].map((districtId): [string, DistrictSituation] => [districtId, { outages: [], peopleAffectedNow: 0 }]));
    if (wanted.size === 0) return situations;
    const inDistricts = { "affectedDistricts.districtId": { $in: [...wanted] } };
    const documents = options.outages
      ? await this.collection
          .find(
            { $and: [inDistricts, ...this.activeNowConditions()] },
            { projection: options.outageFields ? outageProjection(options.outageFields, SITUATION_FIELDS) : undefined },
          )
          .sort({ startsAt: 1, _id: 1 })
          .toArray()
      : await this.collection
          .find({ $and: [inDistricts, ...this.activeNowConditions(true)] }, { projection: { status: 1, affectedDistricts: 1 } })
          .toArray();
    const people = new Map<string, number>();
    for (const document of documents) {
      const outage = options.outages ? toOutage(document) : undefined;
      for (const impact of document.affectedDistricts ?? []) {
        const situation = situations.get(impact.districtId);
        if (!situation) continue;
        if (outage) situation.outages.push(outage);
        if (document.status === OutageStatus.ACTIVE) people.set(impact.districtId, (people.get(impact.districtId) ?? 0) + impact.people);
      }
    }
    const populations = new Map(this.city.districts.map((district) => [district.id, district.population]));
    for (const [districtId, sum] of people) {
      const situation = situations.get(districtId);
      if (situation) situation.peopleAffectedNow = Math.min(sum, populations.get(districtId) ?? sum);
    }
    return situations;
  }

  /**
   * Stores the estimates on outages written before they existed, or under an older rule
   * (`ESTIMATE_VERSION`); a no-op once done, so every process may call it at start. The area is part
   * of the condition, so an area changed meanwhile keeps the estimate its own write stored.
   */
  async backfillEstimates(): Promise<number> {
    const documents = await this.collection
      .find({ estimateVersion: { $ne: ESTIMATE_VERSION } }, { projection: { affectedArea: 1 } })
      .toArray();
    for (let start = 0; start < documents.length; start += BATCH_SIZE) {
      await this.collection.bulkWrite(
        documents.slice(start, start + BATCH_SIZE).map((document) => ({
          updateOne: {
            filter: { _id: document._id, estimateVersion: { $ne: ESTIMATE_VERSION }, affectedArea: document.affectedArea },
            update: { $set: storedEstimate(this.city, document.affectedArea) },
          },
        })),
        { ordered: false },
      );
    }
    return documents.length;
  }

  private async page(filter: Filter<OutageDocument>, first: number, after?: string | null): Promise<OutagePage> {
    const conditions: Filter<OutageDocument>[] = [filter];
    if (after) {
      const position = decodeCursor(after);
      conditions.push({
        $or: [{ startsAt: { $lt: position.startsAt } }, { startsAt: position.startsAt, _id: { $lt: position.id } }],
      });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find(conditions.length === 1 ? filter : { $and: conditions })
        .sort({ startsAt: -1, _id: -1 })
        .limit(first + 1)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    const page = documents.slice(0, first);
    return {
      outages: page.map(toOutage),
      cursors: page.map((document) => encodeCursor(document.startsAt, document._id)),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }

  /**
   * Announced ones that have not ended, and active ones whose time window contains now (with
   * `activeOnly`, just the latter). The status is a top-level condition, outside any `$or`, so that
   * an index on `status` narrows the read: index planners use only conditions every match meets.
   */
  private activeNowConditions(activeOnly = false): Filter<OutageDocument>[] {
    const now = this.now();
    const notEnded: Filter<OutageDocument> = { $or: [{ expectedEndAt: null }, { expectedEndAt: { $gt: now } }] };
    if (activeOnly) return [{ status: OutageStatus.ACTIVE }, { startsAt: { $lte: now } }, notEnded];
    return [
      { status: { $in: [OutageStatus.ANNOUNCED, OutageStatus.ACTIVE] } },
      { $or: [{ status: OutageStatus.ANNOUNCED }, { startsAt: { $lte: now } }] },
      notEnded,
    ];
  }

  /**
   * Outages that matter now in an area: announced ones that have not ended, and active ones whose
   * time window contains now. Resolved and cancelled ones are history.
   */
  async findActiveIntersecting(
    area: MultiPolygonGeometry | PolygonGeometry | { type: "Point"; coordinates: number[] },
  ): Promise<Outage[]> {
    const documents = await this.collection
      .find({ affectedArea: { $geoIntersects: { $geometry: area } }, $and: this.activeNowConditions() })
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
        { projection: { externalId: 1, contentHash: 1, status: 1 } },
      )
      .toArray();
    const storedHashes = new Map(existing.map((document) => [document.externalId as string, document.contentHash]));
    const storedStatuses = new Map(existing.map((document) => [document.externalId as string, document.status]));

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
                  $set: { ...content, ...storedEstimate(this.city, content.affectedArea), contentHash, fetchedAt, updatedAt: fetchedAt },
                  $setOnInsert: { _id: randomUUID(), createdAt: fetchedAt },
                },
                upsert: true,
              },
            }
          : changedOperation(this.city, source, externalId, content, contentHash, fetchedAt),
      );
    }
    if (operations.length === 0) return { inserted: 0, updated: 0, unchanged };
    const written = await this.writeFeedBatch(source, entries, writtenEntries, operations, unchanged, fetchedAt);
    if (written.inserted + written.updated > 0) {
      await this.publishFeedChanges(
        { source, externalId: { $in: writtenEntries.map((index) => entries[index]![0]) }, fetchedAt },
        (document) => storedStatuses.get(document.externalId as string),
      );
    }
    return written;
  }

  private async writeFeedBatch(
    source: string,
    entries: [string, { content: NormalisedContent; contentHash: string }][],
    writtenEntries: readonly number[],
    operations: AnyBulkWriteOperation<OutageDocument>[],
    unchanged: number,
    fetchedAt: Date,
  ): Promise<FeedUpsertResult> {
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
        return changedOperation(this.city, source, externalId, content, contentHash, fetchedAt);
      });
      const retryResult = await this.collection.bulkWrite(retried, { ordered: false });
      const inserted = error.result.upsertedCount;
      const updated = error.result.modifiedCount + retryResult.modifiedCount;
      return { inserted, updated, unchanged: unchanged + operations.length - inserted - updated };
    }
  }

  /**
   * Announces the feed writes that landed. A bulk write counts them but does not say which, so they
   * are read back by the write's own timestamp (`fetchedAt`/`updatedAt` of this call): a write that
   * turned out a no-op (a concurrent import stored the same first) is not among them, and announces
   * nothing. Skipped when nobody listens, so tools and tests pay no extra read.
   */
  private async publishFeedChanges(
    writtenByThisCall: Filter<OutageDocument>,
    previousStatus: (document: OutageEventSubject & Pick<OutageDocument, "externalId">) => OutageStatus | undefined,
  ): Promise<void> {
    if (this.events === NO_CHANGE_EVENTS) return;
    const documents = await this.collection.find(writtenByThisCall, { projection: { ...OUTAGE_EVENT_PROJECTION, externalId: 1 } }).toArray();
    await publishOutageChanges(
      this.events,
      documents.map((document) => ({ outage: document, previousStatus: previousStatus(document) })),
    );
  }

  /**
   * Ends the outages of a full-snapshot feed that it no longer lists: active ones are resolved (they
   * ended), announced ones cancelled (the plan was withdrawn); each gets a timeline entry. Their hash
   * is recomputed with the new status, so an outage that comes back in the feed is written again,
   * and a second call with the same list changes nothing. Returns how many were ended.
   */
  async endMissingFromFeed(source: string, listedExternalIds: ReadonlySet<string>, at: Date = this.now()): Promise<number> {
    if (source.trim() === "") throw new InvalidOutageRecordError("", "source", "must not be empty");
    const open = await this.collection
      .find({ source, status: { $in: [OutageStatus.ANNOUNCED, OutageStatus.ACTIVE] } })
      .toArray();
    const operations: AnyBulkWriteOperation<OutageDocument>[] = [];
    const previous = new Map<string, OutageStatus>();
    for (const document of open) {
      if (listedExternalIds.has(document.externalId as string)) continue;
      previous.set(document._id, document.status);
      const status = document.status === OutageStatus.ACTIVE ? OutageStatus.RESOLVED : OutageStatus.CANCELLED;
      const contentHash = hashContent({ ...document, status });
      operations.push({
        updateOne: {
          // Only if nobody changed it since it was read; a concurrent change wins and is left alone.
          filter: { _id: document._id, status: document.status, updatedAt: document.updatedAt },
          update: {
            $set: { status, contentHash, updatedAt: at, ...(status === OutageStatus.RESOLVED ? { endedAt: at } : {}) },
            $push: { updates: { at, status, note: "no longer listed by its feed" } },
          },
        },
      });
    }
    let ended = 0;
    for (let start = 0; start < operations.length; start += BATCH_SIZE) {
      ended += (await this.collection.bulkWrite(operations.slice(start, start + BATCH_SIZE), { ordered: false })).modifiedCount;
    }
    if (ended > 0) {
      await this.publishFeedChanges(
        { _id: { $in: [...previous.keys()] }, status: { $in: [OutageStatus.RESOLVED, OutageStatus.CANCELLED] }, updatedAt: at },
        (document) => previous.get(document._id),
      );
    }
    return ended;
  }
}

function changedOperation(
  city: CityArea,
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
      update: { $set: { ...content, ...storedEstimate(city, content.affectedArea), contentHash, fetchedAt, updatedAt: fetchedAt } },
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

const EARTH_RADIUS_METERS = 6_371_008.8;
const CIRCLE_SIDES = 32;

/**
 * A circle around a point as a 32-sided polygon, for `$geoIntersects`: "near" then means "the area
 * comes within the radius", which `$near` (ordered by distance) cannot combine with the cursor order.
 */
export function circle(near: NearPoint): PolygonGeometry {
  const latitudeRadians = (near.latitude * Math.PI) / 180;
  const angular = near.radiusMeters / EARTH_RADIUS_METERS;
  const ring: number[][] = [];
  for (let side = 0; side < CIRCLE_SIDES; side += 1) {
    const bearing = (2 * Math.PI * side) / CIRCLE_SIDES;
    const latitude = Math.asin(
      Math.sin(latitudeRadians) * Math.cos(angular) + Math.cos(latitudeRadians) * Math.sin(angular) * Math.cos(bearing),
    );
    const longitude =
      (near.longitude * Math.PI) / 180 +
      Math.atan2(
        Math.sin(bearing) * Math.sin(angular) * Math.cos(latitudeRadians),
        Math.cos(angular) - Math.sin(latitudeRadians) * Math.sin(latitude),
      );
    ring.push([(longitude * 180) / Math.PI, (latitude * 180) / Math.PI]);
  }
  // Bearings run clockwise; GeoJSON wants the outer ring counter-clockwise.
  ring.reverse();
  ring.push([...(ring[0] as number[])]);
  return { type: "Polygon", coordinates: [ring] };
}
