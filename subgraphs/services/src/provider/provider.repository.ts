import type { Collection, Db, Filter } from "mongodb";
import { toProvider, type Provider, type ProviderDocument, type ServiceKind } from "./provider.model.js";

/** A checked change: the fields to set, and the optional ones to remove (a cleared service area). */
export interface ProviderChange {
  set: Partial<Omit<ProviderDocument, "_id" | "createdAt" | "updatedAt">>;
  unset: "serviceArea"[];
}

export interface ProviderInput {
  id: string;
  name: string;
  kind: ServiceKind;
  phone?: string | null;
  email?: string | null;
  website?: string | null;
}

/** The only code that reads and writes the `providers` collection. */
export class ProviderRepository {
  readonly collection: Collection<ProviderDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<ProviderDocument>("providers");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([this.collection.createIndex({ kind: 1, name: 1 }), this.collection.createIndex({ serviceArea: "2dsphere" })]);
  }

  /** Inserts a checked provider; a duplicate id throws the driver's duplicate-key error. */
  async insert(provider: Omit<ProviderDocument, "createdAt" | "updatedAt">): Promise<Provider> {
    const at = this.now();
    const document: ProviderDocument = { ...provider, createdAt: at, updatedAt: at };
    await this.collection.insertOne(document);
    return toProvider(document);
  }

  /** Applies a checked change; null when there is no such provider. */
  async update(id: string, change: ProviderChange): Promise<Provider | null> {
    const updated = await this.collection.findOneAndUpdate(
      { _id: id },
      {
        $set: { ...change.set, updatedAt: this.now() },
        ...(change.unset.length > 0 ? { $unset: Object.fromEntries(change.unset.map((field) => [field, ""])) } : {}),
      },
      { returnDocument: "after" },
    );
    return updated ? toProvider(updated) : null;
  }

  /** Providers whose service area contains the point, by name; those without a service area are left out. */
  async findServing(point: { type: "Point"; coordinates: [number, number] }, kind?: ServiceKind | null): Promise<Provider[]> {
    const filter: Filter<ProviderDocument> = { serviceArea: { $geoIntersects: { $geometry: point } } };
    if (kind) filter.kind = kind;
    const documents = await this.collection.find(filter).sort({ name: 1, _id: 1 }).toArray();
    return documents.map(toProvider);
  }

  async findAll(): Promise<Provider[]> {
    const documents = await this.collection.find({}).sort({ name: 1, _id: 1 }).toArray();
    return documents.map(toProvider);
  }

  async findById(id: string): Promise<Provider | null> {
    const document = await this.collection.findOne({ _id: id });
    return document ? toProvider(document) : null;
  }

  async findByIds(ids: readonly string[]): Promise<Map<string, Provider>> {
    if (ids.length === 0) return new Map();
    const documents = await this.collection.find({ _id: { $in: [...new Set(ids)] } }).toArray();
    return new Map(documents.map((document) => [document._id, toProvider(document)]));
  }

  /** Which of these ids name a known provider; the feed connector rejects rows pointing elsewhere. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const documents = await this.collection.find({ _id: { $in: [...new Set(ids)] } }, { projection: { _id: 1 } }).toArray();
    return new Set(documents.map((document) => document._id));
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** Creates or refreshes providers by id; used by the seed, so running it again changes nothing. */
  async upsertMany(providers: readonly ProviderInput[]): Promise<void> {
    if (providers.length === 0) return;
    const at = this.now();
    await this.collection.bulkWrite(
      providers.map((provider) => ({
        updateOne: {
          filter: { _id: provider.id },
          update: {
            $set: {
              name: provider.name,
              kind: provider.kind,
              phone: provider.phone ?? null,
              email: provider.email ?? null,
              website: provider.website ?? null,
              updatedAt: at,
            },
            $setOnInsert: { createdAt: at },
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }
}
