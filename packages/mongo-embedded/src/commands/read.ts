/** find, getMore, killCursors, count and distinct. */
import { Long } from "bson";
import { bsonTypeOf, canonicalKey, compareValues, isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";
import { compileProjection } from "../query/projection.js";
import {
  collectionName,
  optionalBool,
  optionalDoc,
  optionalHint,
  optionalNonNegative,
  optionalNumber,
  optionalString,
  rejectCollation,
  requiredArray,
} from "./arguments.js";
import { existingCollection, type CommandHandler } from "./context.js";
import { selectDocuments } from "./select.js";

export const find: CommandHandler = (context, dbName, cmd) => {
  const name = collectionName(cmd, "find");
  const filter = optionalDoc(cmd, "find", "filter") ?? {};
  const projection = optionalDoc(cmd, "find", "projection");
  const batchSize = optionalNonNegative(cmd, "find", "batchSize");
  const singleBatch = optionalBool(cmd, "find", "singleBatch") ?? false;
  rejectCollation(cmd);
  if (cmd.tailable === true) {
    throw new MongoCommandError(ErrorCodes.BadValue, "tailable cursor requested on non capped collection");
  }
  const project = compileProjection(projection, filter);
  const documents = selectDocuments(existingCollection(context, dbName, name), filter, {
    sort: optionalDoc(cmd, "find", "sort"),
    skip: optionalNonNegative(cmd, "find", "skip"),
    limit: optionalNonNegative(cmd, "find", "limit"),
    hint: optionalHint(cmd, "find"),
    variables: optionalDoc(cmd, "find", "let"),
  });
  return context.cursors.open(`${dbName}.${name}`, mapIterable(documents, project), {
    batchSize,
    singleBatch,
    connectionId: context.connectionId,
  });
};

export const getMore: CommandHandler = (context, dbName, cmd) => {
  const id = cmd.getMore;
  if (!(id instanceof Long)) {
    throw new MongoCommandError(
      ErrorCodes.TypeMismatch,
      `BSON field 'getMore.getMore' is the wrong type '${bsonTypeOf(id)}', expected type 'long'`,
    );
  }
  const collection = optionalString(cmd, "getMore", "collection");
  if (collection === undefined) {
    throw new MongoCommandError(ErrorCodes.Location40414, "BSON field 'getMore.collection' is missing but a required field", {
      codeName: "Location40414",
    });
  }
  return context.cursors.getMore(id, `${dbName}.${collection}`, optionalNonNegative(cmd, "getMore", "batchSize"));
};

export const killCursors: CommandHandler = (context, _dbName, cmd) => {
  collectionName(cmd, "killCursors");
  const ids = requiredArray(cmd, "killCursors", "cursors").map((id) => {
    if (id instanceof Long) return id;
    if (isNumeric(id)) return Long.fromNumber(toNumber(id));
    throw new MongoCommandError(ErrorCodes.TypeMismatch, "BSON field 'killCursors.cursors' must contain only longs");
  });
  const { killed, notFound } = context.cursors.kill(ids);
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

export const count: CommandHandler = (context, dbName, cmd) => {
  const name = collectionName(cmd, "count");
  const query = optionalDoc(cmd, "count", "query") ?? {};
  rejectCollation(cmd);
  const collection = existingCollection(context, dbName, name);
  const skip = optionalNonNegative(cmd, "count", "skip") ?? 0;
  // The count command, unlike find, takes a negative limit as its absolute value.
  const limit = Math.abs(optionalNumber(cmd, "count", "limit") ?? 0);
  const hint = optionalHint(cmd, "count");
  if (Object.keys(query).length === 0 && hint === undefined) {
    const total = collection?.count() ?? 0;
    const afterSkip = Math.max(0, total - skip);
    return { n: limit > 0 ? Math.min(limit, afterSkip) : afterSkip, ok: 1 };
  }
  let n = 0;
  for (const _doc of selectDocuments(collection, query, { skip, limit, hint })) n++;
  return { n, ok: 1 };
};

export const distinct: CommandHandler = (context, dbName, cmd) => {
  const name = collectionName(cmd, "distinct");
  const key = optionalString(cmd, "distinct", "key");
  if (key === undefined) {
    throw new MongoCommandError(ErrorCodes.Location40414, "BSON field 'distinct.key' is missing but a required field", {
      codeName: "Location40414",
    });
  }
  rejectCollation(cmd);
  const query = optionalDoc(cmd, "distinct", "query") ?? {};
  const seen = new Map<string, unknown>();
  for (const doc of selectDocuments(existingCollection(context, dbName, name), query, { hint: optionalHint(cmd, "distinct") })) {
    for (const value of valuesAtPath(doc, key.split("."))) {
      const valueKey = canonicalKey(value);
      if (!seen.has(valueKey)) seen.set(valueKey, value);
    }
  }
  return { values: [...seen.values()].sort(compareValues), ok: 1 };
};

/**
 * The values distinct collects at a dotted path: arrays on the way are traversed element by
 * element, and an array at the end contributes its elements, as mongod does.
 */
function valuesAtPath(value: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(value) ? value : value === undefined ? [] : [value];
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) return valuesAtPath(value[Number(head)], rest);
    return value.flatMap((element) => valuesAtPath(element, path));
  }
  if (bsonTypeOf(value) !== "object") return [];
  return valuesAtPath((value as Doc)[head], rest);
}

function* mapIterable(documents: Iterable<Doc>, transform: (doc: Doc) => Doc): Iterable<Doc> {
  for (const doc of documents) yield transform(doc);
}
