import type { Collection, Db } from "mongodb";
import { toProvider, type Provider, type ProviderDocument, type ServiceKind } from "./provider.model.js";

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
    await this.collection.createIndex({ kind: 1, name: 1 });
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
