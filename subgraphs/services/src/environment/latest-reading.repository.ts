import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from "mongodb";
import { decodeCursor, encodeCursor, type Page } from "./environment-page.js";
import type { EnvironmentParameter } from "./environment-parameter.js";
import { latestKey, toReading, type EnvironmentReading, type LatestReadingDocument } from "./reading.model.js";

const DUPLICATE_KEY = 11000;

export interface LatestCandidate {
  stationId: string;
  parameter: EnvironmentParameter;
  districtId: string;
  at: Date;
  value: number;
  unit: string;
}

export interface LatestQuery {
  stationId?: string | null;
  districtId?: string | null;
  parameter?: EnvironmentParameter | null;
}

/** The only code that reads and writes `latestReadings`. */
export class LatestReadingRepository {
  readonly collection: Collection<LatestReadingDocument>;

  constructor(
    db: Db,
    readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<LatestReadingDocument>("latestReadings");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ districtId: 1, _id: 1 }),
      this.collection.createIndex({ stationId: 1, _id: 1 }),
    ]);
  }

  /**
   * Moves each (station, parameter)'s latest value forward to the candidate, never back: the update
   * matches only while the stored reading is not newer, so of two concurrent ingests the newer reading
   * wins whatever the order they land in. A candidate at the same time replaces the value (a correction).
   * When the stored one is newer the filter misses, the upsert's insert hits the `_id` and fails with a
   * duplicate key, which here means "already newer" and is ignored.
   */
  async advance(candidates: readonly LatestCandidate[]): Promise<void> {
    if (candidates.length === 0) return;
    const updatedAt = this.now();
    const operations: AnyBulkWriteOperation<LatestReadingDocument>[] = candidates.map((candidate) => ({
      updateOne: {
        filter: { _id: latestKey(candidate.stationId, candidate.parameter), at: { $lte: candidate.at } },
        update: { $set: { ...candidate, updatedAt } },
        upsert: true,
      },
    }));
    try {
      await this.collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      const other = writeErrors.find((writeError) => writeError.code !== DUPLICATE_KEY);
      if (other) throw error;
    }
  }

  async find(keys: readonly string[]): Promise<Map<string, LatestReadingDocument>> {
    if (keys.length === 0) return new Map();
    const documents = await this.collection.find({ _id: { $in: [...keys] } }).toArray();
    return new Map(documents.map((document) => [document._id, document]));
  }

  /** The latest readings of the districts asked for, in one query (the district view asks for all at once). */
  async byDistricts(districtIds: readonly string[]): Promise<Map<string, EnvironmentReading[]>> {
    const found = new Map(districtIds.map((districtId) => [districtId, [] as EnvironmentReading[]]));
    if (districtIds.length === 0) return found;
    const documents = await this.collection
      .find({ districtId: { $in: [...districtIds] } })
      .sort({ _id: 1 })
      .toArray();
    for (const document of documents) found.get(document.districtId)?.push(toReading(document));
    return found;
  }

  async byStations(stationIds: readonly string[]): Promise<Map<string, EnvironmentReading[]>> {
    const found = new Map(stationIds.map((stationId) => [stationId, [] as EnvironmentReading[]]));
    if (stationIds.length === 0) return found;
    const documents = await this.collection
      .find({ stationId: { $in: [...stationIds] } })
      .sort({ _id: 1 })
      .toArray();
    for (const document of documents) found.get(document.stationId)?.push(toReading(document));
    return found;
  }

  /** Latest readings by station and parameter, narrowed by station, district and parameter. */
  async findPage(query: LatestQuery, first: number, after?: string | null): Promise<Page<EnvironmentReading>> {
    const filter: Filter<LatestReadingDocument> = {};
    if (query.stationId) filter.stationId = query.stationId;
    if (query.districtId) filter.districtId = query.districtId;
    if (query.parameter) filter.parameter = query.parameter;
    const conditions: Filter<LatestReadingDocument>[] = [filter];
    if (after) {
      const [id] = decodeCursor(after, ["string"]) as [string];
      conditions.push({ _id: { $gt: id } });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find({ $and: conditions })
        .sort({ _id: 1 })
        .limit(first + 1)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    const page = documents.slice(0, first);
    return {
      items: page.map(toReading),
      cursors: page.map((document) => encodeCursor([document._id])),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }

  async moveStation(stationId: string, districtId: string): Promise<void> {
    await this.collection.updateMany({ stationId }, { $set: { districtId } });
  }
}
