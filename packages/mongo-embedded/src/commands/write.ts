/**
 * insert, update, delete and findAndModify. Each statement is validated and applied whole or not at
 * all; a command's writes are acknowledged only after `storage.sync()` has put them on disk.
 */
import { ObjectId } from "bson";
import type { Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, failedToParse } from "../errors.js";
import { compileProjection } from "../query/projection.js";
import { applyUpdate, isReplacement, upsertSeed, type UpdateSpec } from "../query/update.js";
import type { Collection } from "../storage/catalog.js";
import {
  collectionName,
  docsOf,
  isDoc,
  optionalArray,
  optionalBool,
  optionalDoc,
  optionalHint,
  optionalNumber,
  rejectCollation,
  requiredArray,
} from "./arguments.js";
import { existingCollection, type CommandHandler, type HandlerContext } from "./context.js";
import { selectDocuments } from "./select.js";

const MAX_WRITE_BATCH = 100_000;

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [extra: string]: unknown;
}

/** The result of a write command: per-statement errors ride along with `ok: 1`, as in mongod. */
function writeReply(fields: Doc, writeErrors: WriteError[]): Doc {
  return { ...fields, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

function asWriteError(index: number, error: unknown): WriteError {
  if (!(error instanceof MongoCommandError)) throw error;
  return { index, code: error.code, codeName: error.codeName, errmsg: error.message, ...error.extra };
}

function checkBatchSize(count: number): void {
  if (count < 1 || count > MAX_WRITE_BATCH) {
    throw new MongoCommandError(
      ErrorCodes.InvalidLength,
      `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${count} operations.`,
    );
  }
}

/** mongod stores `_id` first and creates one when the client sent none. */
export function withIdFirst(doc: Doc, id: unknown = doc._id): Doc {
  const { _id: _ignored, ...rest } = doc;
  return { _id: id === undefined ? new ObjectId() : id, ...rest };
}

/**
 * Runs statements in order; an ordered batch stops at the first failure, an unordered one goes on.
 * Every statement's effects are in memory by the time the next runs; durability comes at the end.
 */
async function runStatements<T>(
  context: HandlerContext,
  statements: T[],
  ordered: boolean,
  run: (statement: T, index: number) => void,
): Promise<WriteError[]> {
  const writeErrors: WriteError[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      run(statement, index);
    } catch (error) {
      writeErrors.push(asWriteError(index, error));
      if (ordered) break;
    }
  }
  await context.storage.sync();
  return writeErrors;
}

export const insert: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "insert");
  const documents = docsOf(requiredArray(cmd, "insert", "documents"), "insert", "documents");
  checkBatchSize(documents.length);
  const ordered = optionalBool(cmd, "insert", "ordered") ?? true;
  const collection = context.storage.database(dbName).collection(name);
  let inserted = 0;
  const writeErrors = await runStatements(context, documents, ordered, (doc) => {
    collection.insert(withIdFirst(doc));
    inserted++;
  });
  return writeReply({ n: inserted }, writeErrors);
};

interface UpdateStatement {
  q: Doc;
  u: UpdateSpec;
  upsert: boolean;
  multi: boolean;
  arrayFilters?: Doc[];
  hint?: string | Doc;
  /** The command's `let` variables, for $expr in the filter. */
  variables?: Doc;
}

function parseUpdateStatement(raw: unknown, index: number, variables: Doc | undefined): UpdateStatement {
  if (!isDoc(raw)) throw failedToParse(`update statement ${index} must be an object`);
  const q = optionalDoc(raw, "update.updates", "q") ?? {};
  const u = raw.u;
  if (!isDoc(u) && !Array.isArray(u)) {
    throw new MongoCommandError(ErrorCodes.FailedToParse, "Update argument must be either an object or an array");
  }
  rejectCollation(raw);
  // Update statements learnt `sort` in MongoDB 8.0; the 7.0 this server follows rejects it.
  if (raw.sort !== undefined) {
    throw new MongoCommandError(40415, "BSON field 'update.updates.sort' is an unknown field.", { codeName: "Location40415" });
  }
  const statement: UpdateStatement = {
    q,
    u: u as UpdateSpec,
    upsert: optionalBool(raw, "update.updates", "upsert") ?? false,
    multi: optionalBool(raw, "update.updates", "multi") ?? false,
    arrayFilters: optionalArray(raw, "update.updates", "arrayFilters") as Doc[] | undefined,
    hint: optionalHint(raw, "update.updates"),
    variables,
  };
  if (statement.multi && isReplacement(statement.u)) {
    throw failedToParse("multi update is not supported for replacement-style update");
  }
  return statement;
}

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  before?: Doc;
  after?: Doc;
}

/** One update statement against one collection: the shared core of `update` and `findAndModify`. */
function applyUpdateStatement(collection: Collection, statement: UpdateStatement, sort?: Doc): UpdateOutcome {
  const filter = statement.q;
  const targets = selectDocuments(collection, filter, {
    hint: statement.hint,
    variables: statement.variables,
    sort,
    limit: statement.multi ? 0 : 1,
  });
  // Materialised first: updating while iterating an index could visit a moved document twice.
  const matchedDocuments = [...targets];
  let modified = 0;
  let before: Doc | undefined;
  let after: Doc | undefined;
  for (const existing of matchedDocuments) {
    const result = applyUpdate(existing, statement.u, { arrayFilters: statement.arrayFilters, filter, variables: statement.variables });
    if (result.modified) {
      collection.replace(result.doc);
      modified++;
    }
    before ??= existing;
    after ??= result.doc;
  }
  if (matchedDocuments.length > 0 || !statement.upsert) {
    return { matched: matchedDocuments.length, modified, before, after };
  }
  const inserted = upsertDocument(filter, statement);
  collection.insert(inserted);
  return { matched: 0, modified: 0, upsertedId: inserted._id, after: inserted };
}

/** The document an upsert inserts: the filter's equality fields, then the update applied as an insert. */
function upsertDocument(filter: Doc, statement: UpdateStatement): Doc {
  const seed = upsertSeed(filter);
  const base = isReplacement(statement.u) ? (seed._id === undefined ? {} : { _id: seed._id }) : seed;
  const { doc } = applyUpdate(base, statement.u, {
    arrayFilters: statement.arrayFilters,
    filter,
    variables: statement.variables,
    isUpsertInsert: true,
  });
  return withIdFirst(doc);
}

export const update: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "update");
  const variables = optionalDoc(cmd, "update", "let");
  const statements = requiredArray(cmd, "update", "updates");
  checkBatchSize(statements.length);
  const ordered = optionalBool(cmd, "update", "ordered") ?? true;
  const collection = context.storage.database(dbName).collection(name);
  let matched = 0;
  let modified = 0;
  const upserted: { index: number; _id: unknown }[] = [];
  const writeErrors = await runStatements(context, statements, ordered, (raw, index) => {
    const outcome = applyUpdateStatement(collection, parseUpdateStatement(raw, index, variables));
    matched += outcome.matched;
    modified += outcome.modified;
    if (outcome.upsertedId !== undefined) upserted.push({ index, _id: outcome.upsertedId });
  });
  return writeReply(
    { n: matched + upserted.length, nModified: modified, ...(upserted.length > 0 ? { upserted } : {}) },
    writeErrors,
  );
};

export const remove: CommandHandler = async (context, dbName, cmd) => {
  const name = collectionName(cmd, "delete");
  const variables = optionalDoc(cmd, "delete", "let");
  const statements = requiredArray(cmd, "delete", "deletes");
  checkBatchSize(statements.length);
  const ordered = optionalBool(cmd, "delete", "ordered") ?? true;
  const collection = existingCollection(context, dbName, name);
  let deleted = 0;
  const writeErrors = await runStatements(context, statements, ordered, (raw, index) => {
    if (!isDoc(raw)) throw failedToParse(`delete statement ${index} must be an object`);
    const filter = optionalDoc(raw, "delete.deletes", "q") ?? {};
    const limit = optionalNumber(raw, "delete.deletes", "limit") ?? 0;
    if (limit !== 0 && limit !== 1) {
      throw failedToParse(`The limit field in delete objects must be 0 or 1. Got ${limit}`);
    }
    rejectCollation(raw);
    const targets = [...selectDocuments(collection, filter, { limit, hint: optionalHint(raw, "delete.deletes"), variables })];
    for (const doc of targets) if (collection?.remove(doc._id)) deleted++;
  });
  return writeReply({ n: deleted }, writeErrors);
};

export const findAndModify: CommandHandler = async (context, dbName, cmd) => {
  const command = "findAndModify";
  const name = collectionName(cmd, command in cmd ? command : "findandmodify");
  const query = optionalDoc(cmd, command, "query") ?? {};
  const sort = optionalDoc(cmd, command, "sort");
  const fields = optionalDoc(cmd, command, "fields");
  const variables = optionalDoc(cmd, command, "let");
  const removeRequested = optionalBool(cmd, command, "remove") ?? false;
  const returnNew = optionalBool(cmd, command, "new") ?? false;
  const upsert = optionalBool(cmd, command, "upsert") ?? false;
  const updateSpec = cmd.update;
  const hint = optionalHint(cmd, command);
  rejectCollation(cmd);
  if (removeRequested && updateSpec !== undefined) {
    throw failedToParse("Cannot specify both an update and remove=true");
  }
  if (removeRequested && (returnNew || upsert)) {
    throw failedToParse("Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  }
  if (!removeRequested && updateSpec === undefined) throw failedToParse("Either an update or remove=true must be specified");
  const project = compileProjection(fields, query);

  if (removeRequested) {
    const collection = existingCollection(context, dbName, name);
    const [target] = selectDocuments(collection, query, { sort, limit: 1, hint, variables });
    if (target) collection?.remove(target._id);
    await context.storage.sync();
    return { lastErrorObject: { n: target ? 1 : 0 }, value: target ? project(target) : null, ok: 1 };
  }

  if (!isDoc(updateSpec) && !Array.isArray(updateSpec)) {
    throw failedToParse("Update argument must be either an object or an array");
  }
  const collection = context.storage.database(dbName).collection(name);
  const outcome = applyUpdateStatement(
    collection,
    {
      q: query,
      u: updateSpec as UpdateSpec,
      upsert,
      multi: false,
      arrayFilters: optionalArray(cmd, command, "arrayFilters") as Doc[] | undefined,
      hint,
      variables,
    },
    sort,
  );
  await context.storage.sync();
  const found = outcome.matched > 0;
  const lastErrorObject: Doc = { n: found || outcome.upsertedId !== undefined ? 1 : 0, updatedExisting: found };
  if (outcome.upsertedId !== undefined) lastErrorObject.upserted = outcome.upsertedId;
  const image = returnNew ? outcome.after : outcome.before;
  return { lastErrorObject, value: image ? project(image) : null, ok: 1 };
};
