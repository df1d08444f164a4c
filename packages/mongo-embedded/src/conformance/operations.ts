/**
 * The unified format's operations, each executed through the official driver's own API. Results
 * are the driver's result objects, which already have the CRUD spec's shapes (insertedId,
 * insertedIds {0: ...}, matchedCount, upsertedIds, ...); findOneAnd* return the document itself,
 * as the format expects. Modelled on the driver's own runner (test/tools/unified-spec-runner).
 */
import {
  Collection,
  Db,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Document,
  type IndexSpecification,
} from "mongodb";
import { EntityMap, SkipTest } from "./entities.js";
import type { Operation } from "./unified-format.js";

type OperationHandler = (target: string, args: Document, entities: EntityMap) => Promise<unknown>;

/** Executes one operation and returns its result; throws what the driver throws. */
export async function executeOperation(operation: Operation, entities: EntityMap): Promise<unknown> {
  const handler = handlers[operation.name];
  if (handler === undefined) throw new SkipTest(`operation ${operation.name} is not supported by this runner`);
  return handler(operation.object, translateArguments(operation.arguments ?? {}, entities), entities);
}

/** Format argument spellings that differ from the driver's options. */
function translateArguments(args: Document, entities: EntityMap): Document {
  const translated: Document = { ...args };
  if (typeof args.session === "string") translated.session = entities.get("session", args.session);
  // The format spells returnDocument "Before"/"After"; the driver wants lower case.
  if (typeof args.returnDocument === "string") translated.returnDocument = args.returnDocument.toLowerCase();
  return translated;
}

const collectionOf = (entities: EntityMap, id: string): Collection => entities.get("collection", id);
const databaseOf = (entities: EntityMap, id: string): Db => entities.get("database", id);

function databaseOrCollection(entities: EntityMap, id: string): Db | Collection {
  const entity = entities.lookup(id);
  if (entity instanceof Db || entity instanceof Collection) return entity;
  throw new Error(`entity ${id} is neither a database nor a collection`);
}

const handlers: Record<string, OperationHandler | undefined> = {
  // --- collection reads -------------------------------------------------------------------------
  async aggregate(target, { pipeline, ...options }, entities) {
    return databaseOrCollection(entities, target).aggregate(pipeline as Document[], options).toArray();
  },
  async find(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).find(filter as Document, options).toArray();
  },
  async findOne(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).findOne(filter as Document, options);
  },
  async distinct(target, { fieldName, filter, ...options }, entities) {
    return collectionOf(entities, target).distinct(fieldName as string, filter as Document, options);
  },
  async countDocuments(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).countDocuments(filter as Document, options);
  },
  async estimatedDocumentCount(target, options, entities) {
    return collectionOf(entities, target).estimatedDocumentCount(options);
  },
  async count(target, { filter, ...options }, entities) {
    // Deprecated in the CRUD spec but still offered by the Node driver.
    return collectionOf(entities, target).count(filter as Document, options);
  },
  async createFindCursor(target, { filter, ...options }, entities) {
    const cursor = collectionOf(entities, target).find(filter as Document, options);
    // The format wants the find command sent without consuming a document; hasNext buffers instead.
    await cursor.hasNext();
    return cursor;
  },
  async iterateUntilDocumentOrError(target, _args, entities) {
    return entities.get("cursor", target).next();
  },
  async iterateOnce(target, _args, entities) {
    return entities.get("cursor", target).tryNext();
  },
  async close(target, _args, entities) {
    await entities.get("cursor", target).close();
  },

  // --- collection writes ------------------------------------------------------------------------
  async insertOne(target, { document, ...options }, entities) {
    return collectionOf(entities, target).insertOne(document as Document, options);
  },
  async insertMany(target, { documents, ...options }, entities) {
    return collectionOf(entities, target).insertMany(documents as Document[], options);
  },
  async updateOne(target, { filter, update, ...options }, entities) {
    return collectionOf(entities, target).updateOne(filter as Document, update as Document, options);
  },
  async updateMany(target, { filter, update, ...options }, entities) {
    return collectionOf(entities, target).updateMany(filter as Document, update as Document, options);
  },
  async replaceOne(target, { filter, replacement, ...options }, entities) {
    return collectionOf(entities, target).replaceOne(filter as Document, replacement as Document, options);
  },
  async deleteOne(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).deleteOne(filter as Document, options);
  },
  async deleteMany(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).deleteMany(filter as Document, options);
  },
  async findOneAndUpdate(target, { filter, update, ...options }, entities) {
    return collectionOf(entities, target).findOneAndUpdate(filter as Document, update as Document, options);
  },
  async findOneAndReplace(target, { filter, replacement, ...options }, entities) {
    return collectionOf(entities, target).findOneAndReplace(filter as Document, replacement as Document, options);
  },
  async findOneAndDelete(target, { filter, ...options }, entities) {
    return collectionOf(entities, target).findOneAndDelete(filter as Document, options);
  },
  async bulkWrite(target, { requests, ...options }, entities) {
    // The format's request documents ({insertOne: {document}}, {updateMany: {filter, update}}, ...)
    // are the driver's AnyBulkWriteOperation shapes.
    return collectionOf(entities, target).bulkWrite(requests as AnyBulkWriteOperation[], options);
  },

  // --- indexes ----------------------------------------------------------------------------------
  async createIndex(target, { keys, ...options }, entities) {
    return collectionOf(entities, target).createIndex(keys as IndexSpecification, options);
  },
  async dropIndex(target, { name, ...options }, entities) {
    return collectionOf(entities, target).dropIndex(name as string, options);
  },
  async dropIndexes(target, options, entities) {
    return collectionOf(entities, target).dropIndexes(options);
  },
  async listIndexes(target, options, entities) {
    return collectionOf(entities, target).listIndexes(options).toArray();
  },
  async listIndexNames(target, options, entities) {
    const indexes = await collectionOf(entities, target).listIndexes(options).toArray();
    return indexes.map((index) => index.name);
  },

  // --- databases and clients --------------------------------------------------------------------
  async createCollection(target, { collection, ...options }, entities) {
    await databaseOf(entities, target).createCollection(collection as string, options);
  },
  async dropCollection(target, { collection, ...options }, entities) {
    return databaseOf(entities, target).dropCollection(collection as string, options);
  },
  async listCollections(target, { filter, ...options }, entities) {
    return databaseOf(entities, target).listCollections(filter as Document | undefined, options).toArray();
  },
  async listCollectionNames(target, { filter, ...options }, entities) {
    const collections = await databaseOf(entities, target).listCollections(filter as Document | undefined, { ...options, nameOnly: true }).toArray();
    return collections.map((collection) => collection.name);
  },
  // commandName serves drivers whose command documents are unordered; the Node driver's are ordered.
  async runCommand(target, { command, commandName: _commandName, ...options }, entities) {
    return databaseOf(entities, target).command(command as Document, options);
  },
  async listDatabases(target, options, entities) {
    const client: MongoClient = entities.get("client", target);
    return (await client.db("admin").admin().listDatabases(options)).databases;
  },
  async listDatabaseNames(target, options, entities) {
    const client: MongoClient = entities.get("client", target);
    return (await client.db("admin").admin().listDatabases({ ...options, nameOnly: true })).databases.map((database) => database.name);
  },

  // --- sessions ---------------------------------------------------------------------------------
  async endSession(target, _args, entities) {
    await entities.get("session", target).endSession();
  },

  // --- the test runner itself ---------------------------------------------------------------------
  async failPoint() {
    throw new SkipTest("fail points (configureFailPoint) are not supported by this server");
  },
  async targetedFailPoint() {
    throw new SkipTest("fail points (configureFailPoint) are not supported by this server");
  },
  async assertCollectionExists(_target, { databaseName, collectionName }, entities) {
    if (!(await collectionExists(entities, databaseName as string, collectionName as string))) {
      throw new AssertionFailed(`collection ${String(databaseName)}.${String(collectionName)} does not exist`);
    }
  },
  async assertCollectionNotExists(_target, { databaseName, collectionName }, entities) {
    if (await collectionExists(entities, databaseName as string, collectionName as string)) {
      throw new AssertionFailed(`collection ${String(databaseName)}.${String(collectionName)} exists`);
    }
  },
  async assertIndexExists(_target, { databaseName, collectionName, indexName }, entities) {
    if (!(await indexExists(entities, databaseName as string, collectionName as string, indexName as string))) {
      throw new AssertionFailed(`index ${String(indexName)} does not exist on ${String(databaseName)}.${String(collectionName)}`);
    }
  },
  async assertIndexNotExists(_target, { databaseName, collectionName, indexName }, entities) {
    if (await indexExists(entities, databaseName as string, collectionName as string, indexName as string)) {
      throw new AssertionFailed(`index ${String(indexName)} exists on ${String(databaseName)}.${String(collectionName)}`);
    }
  },
};

/** A failed `assert*` operation of the test runner: the test fails whatever `expectError` says. */
export class AssertionFailed extends Error {}

async function collectionExists(entities: EntityMap, databaseName: string, collectionName: string): Promise<boolean> {
  const collections = await entities.setupClient.db(databaseName).listCollections({ name: collectionName }, { nameOnly: true }).toArray();
  return collections.length > 0;
}

async function indexExists(entities: EntityMap, databaseName: string, collectionName: string, indexName: string): Promise<boolean> {
  try {
    const indexes = await entities.setupClient.db(databaseName).collection(collectionName).listIndexes().toArray();
    return indexes.some((index) => index.name === indexName);
  } catch (error) {
    // NamespaceNotFound: no collection, so no index.
    if (error instanceof MongoServerError && error.code === 26) return false;
    throw error;
  }
}
