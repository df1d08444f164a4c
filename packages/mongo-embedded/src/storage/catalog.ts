/**
 * CONTRACT (owner: catalog helper). Databases, collections, their documents and indexes.
 * Documents are kept as BSON buffers (memory close to the data size; no caller can mutate stored
 * state); every read hands out a fresh deserialized copy (DESERIALIZE_OPTIONS).
 * All mutating methods are synchronous and journal a ChangeRecord; callers `await storage.sync()`
 * before acknowledging a write.
 */
import type { Doc } from "../bson-values.js";
import type { Logger } from "../logger.js";

export interface IndexSpec {
  v: 2;
  key: Doc;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  "2dsphereIndexVersion"?: number;
  [option: string]: unknown;
}

export interface FindOptions {
  /** Index name or key pattern; an unknown hint throws BadValue (2) "hint provided does not correspond to an existing index". */
  hint?: string | Doc;
}

export declare class Collection {
  readonly dbName: string;
  readonly name: string;
  readonly options: Doc;
  /** Number of documents. */
  count(): number;
  /** Sum of the BSON sizes of the documents. */
  dataSize(): number;
  findById(id: unknown): Doc | undefined;
  /** Every document matching `filter` (unsorted, unless an index scan happens to order them); uses an index when one can answer part of the filter. */
  find(filter: Doc, options?: FindOptions): Iterable<Doc>;
  /** Inserts a document that already has its `_id`. Throws E11000 (DuplicateKey, with keyPattern and keyValue) or BSONObjectTooLarge (10334), or 16755 for unindexable geo values. */
  insert(doc: Doc): void;
  /** Replaces the stored document that has `doc._id`. Same errors as insert. */
  replace(doc: Doc): void;
  /** Removes the document with this `_id`; false when none. */
  remove(id: unknown): boolean;
  listIndexes(): IndexSpec[];
  /** Creates indexes (validated: key pattern, name, options; IndexOptionsConflict/IndexKeySpecsConflict on clashes, and a unique index fails with E11000 on existing duplicates). Returns how many existed before and after. */
  createIndexes(specs: Doc[]): { numIndexesBefore: number; numIndexesAfter: number; note?: string };
  /** Drops by name, key pattern or "*" (all but _id_). IndexNotFound (27) when none; cannot drop _id_ (InvalidOptions 72). */
  dropIndexes(index: string | Doc | string[]): void;
}

export declare class Database {
  readonly name: string;
  listCollections(): Collection[];
  getCollection(name: string): Collection | undefined;
  /** NamespaceExists (48) when it exists; validates the name (InvalidNamespace 73). */
  createCollection(name: string, options?: Doc): Collection;
  /** Gets or implicitly creates (as an insert or createIndexes does). */
  collection(name: string): Collection;
  dropCollection(name: string): boolean;
}

export declare class Storage {
  static open(options: { dataDir?: string; logger?: Logger; ttlIntervalMs?: number }): Promise<Storage>;
  listDatabases(): Database[];
  getDatabase(name: string): Database | undefined;
  /** Gets or creates an (empty, unpersisted until it has a collection) database. */
  database(name: string): Database;
  dropDatabase(name: string): boolean;
  /** NamespaceNotFound (26) when the source is missing; NamespaceExists (48) when the target exists and !dropTarget. */
  renameCollection(fromDb: string, fromColl: string, toDb: string, toColl: string, dropTarget: boolean): void;
  /** Removes documents past their TTL index expiry; runs by itself every ttlIntervalMs (default 60 s). Returns how many. */
  expireTtl(now?: Date): number;
  /** Durability barrier: resolves once every change so far is on disk (immediately in memory). */
  sync(): Promise<void>;
  close(): Promise<void>;
}
