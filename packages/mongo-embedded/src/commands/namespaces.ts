/** Databases, collections and indexes: create, drop, rename, list, and their statistics. */
import type { Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";
import { compileFilter } from "../query/matcher.js";
import type { Collection } from "../storage/catalog.js";
import {
  collectionName,
  docsOf,
  isDoc,
  optionalBool,
  optionalDoc,
  optionalNonNegative,
  requiredArray,
} from "./arguments.js";
import { existingCollection, type CommandHandler, type HandlerContext } from "./context.js";

function namespaceNotFound(dbName: string, name: string): MongoCommandError {
  return new MongoCommandError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${dbName}.${name}`);
}

function requireCollection(context: HandlerContext, dbName: string, name: string): Collection {
  const collection = existingCollection(context, dbName, name);
  if (!collection) throw namespaceNotFound(dbName, name);
  return collection;
}

/** Options of `create` that are not stored with the collection. */
const transientCreateOptions = new Set(["create", "writeConcern", "comment", "lsid", "$db"]);

export const create: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "create");
  if (cmd.viewOn !== undefined || cmd.pipeline !== undefined) {
    throw new MongoCommandError(ErrorCodes.NotImplemented, "views are not supported by the embedded server");
  }
  const options: Doc = {};
  for (const [key, value] of Object.entries(cmd)) if (!transientCreateOptions.has(key)) options[key] = value;
  context.storage.database(dbName).createCollection(name, options);
  await context.storage.sync();
  return { ok: 1 };
};

export const drop: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "drop");
  const collection = existingCollection(context, dbName, name);
  // Since MongoDB 7.0 dropping a collection that does not exist succeeds.
  if (!collection) return { ok: 1 };
  const nIndexesWas = collection.listIndexes().length;
  context.storage.database(dbName).dropCollection(name);
  await context.storage.sync();
  return { nIndexesWas, ns: `${dbName}.${name}`, ok: 1 };
};

export const dropDatabase: CommandHandler = async (context, dbName) => {
  context.storage.dropDatabase(dbName);
  await context.storage.sync();
  return { dropped: dbName, ok: 1 };
};

export const renameCollection: CommandHandler = async (context, dbName, cmd) => {
  if (dbName !== "admin") {
    throw new MongoCommandError(ErrorCodes.Unauthorized, "renameCollection may only be run against the admin database.");
  }
  const from = parseNamespace(cmd.renameCollection, "renameCollection");
  const to = parseNamespace(cmd.to, "to");
  context.storage.renameCollection(from.db, from.coll, to.db, to.coll, optionalBool(cmd, "renameCollection", "dropTarget") ?? false);
  await context.storage.sync();
  return { ok: 1 };
};

function parseNamespace(value: unknown, field: string): { db: string; coll: string } {
  const dot = typeof value === "string" ? value.indexOf(".") : -1;
  if (typeof value !== "string" || dot <= 0 || dot === value.length - 1) {
    throw new MongoCommandError(ErrorCodes.InvalidNamespace, `Invalid namespace specified for '${field}': '${String(value)}'`);
  }
  return { db: value.slice(0, dot), coll: value.slice(dot + 1) };
}

export const listCollections: CommandHandler = (context, dbName, cmd) => {
  const filter = optionalDoc(cmd, "listCollections", "filter") ?? {};
  const nameOnly = optionalBool(cmd, "listCollections", "nameOnly") ?? false;
  const matches = compileFilter(filter);
  const entries = (context.storage.getDatabase(dbName)?.listCollections() ?? [])
    .map((collection): Doc =>
      nameOnly
        ? { name: collection.name, type: "collection" }
        : {
            name: collection.name,
            type: "collection",
            options: collection.options,
            info: { readOnly: false },
            idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
          },
    )
    .filter(matches);
  const cursorOptions = optionalDoc(cmd, "listCollections", "cursor") ?? {};
  return context.cursors.open(`${dbName}.$cmd.listCollections`, entries, {
    batchSize: optionalNonNegative(cursorOptions, "listCollections.cursor", "batchSize"),
    connectionId: context.connectionId,
  });
};

export const listDatabases: CommandHandler = (context, _dbName, cmd) => {
  const filter = optionalDoc(cmd, "listDatabases", "filter") ?? {};
  const nameOnly = optionalBool(cmd, "listDatabases", "nameOnly") ?? false;
  const matches = compileFilter(filter);
  let totalSize = 0;
  const databases = context.storage
    .listDatabases()
    .filter((db) => db.listCollections().length > 0)
    .map((db): Doc => {
      const sizeOnDisk = db.listCollections().reduce((sum, collection) => sum + collection.dataSize(), 0);
      totalSize += sizeOnDisk;
      return nameOnly ? { name: db.name } : { name: db.name, sizeOnDisk, empty: sizeOnDisk === 0 };
    })
    .filter(matches);
  return nameOnly ? { databases, ok: 1 } : { databases, totalSize, totalSizeMb: Math.floor(totalSize / 2 ** 20), ok: 1 };
};

export const createIndexes: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "createIndexes");
  const specs = docsOf(requiredArray(cmd, "createIndexes", "indexes"), "createIndexes", "indexes");
  if (specs.length === 0) throw new MongoCommandError(ErrorCodes.BadValue, "Must specify at least one index to create");
  const existed = existingCollection(context, dbName, name) !== undefined;
  const result = context.storage.database(dbName).collection(name).createIndexes(specs);
  await context.storage.sync();
  return { ...result, createdCollectionAutomatically: !existed, ok: 1 };
};

export const listIndexes: CommandHandler = (context, dbName, cmd) => {
  const name = collectionName(cmd, "listIndexes");
  const indexes = requireCollection(context, dbName, name).listIndexes();
  const cursorOptions = optionalDoc(cmd, "listIndexes", "cursor") ?? {};
  return context.cursors.open(`${dbName}.${name}`, indexes, {
    batchSize: optionalNonNegative(cursorOptions, "listIndexes.cursor", "batchSize"),
    connectionId: context.connectionId,
  });
};

export const dropIndexes: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "dropIndexes");
  const collection = requireCollection(context, dbName, name);
  const index = cmd.index;
  if (typeof index !== "string" && !isDoc(index) && !Array.isArray(index)) {
    throw new MongoCommandError(ErrorCodes.TypeMismatch, "BSON field 'dropIndexes.index' must be a string, an object or an array of strings");
  }
  const nIndexesWas = collection.listIndexes().length;
  collection.dropIndexes(index as string | Doc | string[]);
  await context.storage.sync();
  return { nIndexesWas, ok: 1 };
};

export const collStats: CommandHandler = (context, dbName, cmd) => {
  const name = collectionName(cmd, "collStats");
  const collection = requireCollection(context, dbName, name);
  const count = collection.count();
  const size = collection.dataSize();
  const indexes = collection.listIndexes();
  return {
    ns: `${dbName}.${name}`,
    count,
    size,
    avgObjSize: count === 0 ? 0 : Math.round(size / count),
    storageSize: size,
    nindexes: indexes.length,
    indexSizes: Object.fromEntries(indexes.map((index) => [index.name, 0])),
    totalIndexSize: 0,
    ok: 1,
  };
};

export const dbStats: CommandHandler = (context, dbName) => {
  const collections = context.storage.getDatabase(dbName)?.listCollections() ?? [];
  const objects = collections.reduce((sum, collection) => sum + collection.count(), 0);
  const dataSize = collections.reduce((sum, collection) => sum + collection.dataSize(), 0);
  return {
    db: dbName,
    collections: collections.length,
    views: 0,
    objects,
    avgObjSize: objects === 0 ? 0 : dataSize / objects,
    dataSize,
    storageSize: dataSize,
    indexes: collections.reduce((sum, collection) => sum + collection.listIndexes().length, 0),
    indexSize: 0,
    ok: 1,
  };
};
