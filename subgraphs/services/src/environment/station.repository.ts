import type { Collection, Db, Filter } from "mongodb";
import { decodeCursor, encodeCursor, type Page } from "./environment-page.js";
import { toStation, type EnvironmentStation, type StationDocument } from "./station.model.js";

export interface StationQuery {
  districtId?: string | null;
  providerId?: string | null;
  active?: boolean | null;
}

/** The only code that reads and writes `stations`. */
export class StationRepository {
  readonly collection: Collection<StationDocument>;

  constructor(
    db: Db,
    readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<StationDocument>("stations");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ location: "2dsphere" }),
      this.collection.createIndex({ districtId: 1, name: 1, _id: 1 }),
      this.collection.createIndex({ providerId: 1, name: 1, _id: 1 }),
      this.collection.createIndex({ name: 1, _id: 1 }),
      // A feed names its stations by its own ids; partial, because stations entered by hand may have none.
      this.collection.createIndex(
        { providerId: 1, externalId: 1 },
        { unique: true, partialFilterExpression: { externalId: { $type: "string" } }, name: "provider_externalId_unique" },
      ),
    ]);
  }

  async findDocument(id: string): Promise<StationDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  async findById(id: string): Promise<EnvironmentStation | null> {
    const document = await this.findDocument(id);
    return document ? toStation(document) : null;
  }

  async findDocuments(ids: readonly string[]): Promise<Map<string, StationDocument>> {
    if (ids.length === 0) return new Map();
    const documents = await this.collection.find({ _id: { $in: [...new Set(ids)] } }).toArray();
    return new Map(documents.map((document) => [document._id, document]));
  }

  async findByExternalId(providerId: string | null, externalId: string): Promise<StationDocument | null> {
    return this.collection.findOne({ providerId, externalId });
  }

  /** Inserts a checked station; a duplicate (providerId, externalId) throws the driver's E11000. */
  async insert(document: StationDocument): Promise<EnvironmentStation> {
    await this.collection.insertOne(document);
    return toStation(document);
  }

  /** Applies a checked change only if the station is as it was read; null when it changed meanwhile. */
  async applyChange(existing: StationDocument, set: Partial<StationDocument>): Promise<StationDocument | null> {
    return this.collection.findOneAndUpdate(
      { _id: existing._id, updatedAt: existing.updatedAt },
      { $set: { ...set, updatedAt: this.now() } },
      { returnDocument: "after" },
    );
  }

  /** Stations by name, narrowed by district, provider and active flag. */
  async findPage(query: StationQuery, first: number, after?: string | null): Promise<Page<EnvironmentStation>> {
    const filter: Filter<StationDocument> = {};
    if (query.districtId) filter.districtId = query.districtId;
    if (query.providerId) filter.providerId = query.providerId;
    if (query.active != null) filter.active = query.active;
    const conditions: Filter<StationDocument>[] = [filter];
    if (after) {
      const [name, id] = decodeCursor(after, ["string", "string"]) as [string, string];
      conditions.push({ $or: [{ name: { $gt: name } }, { name, _id: { $gt: id } }] });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find({ $and: conditions })
        .sort({ name: 1, _id: 1 })
        .limit(first + 1)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    const page = documents.slice(0, first);
    return {
      items: page.map(toStation),
      cursors: page.map((document) => encodeCursor([document.name, document._id])),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }
}
