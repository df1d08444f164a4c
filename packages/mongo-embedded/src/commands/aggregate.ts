/**
 * The aggregate command: a leading $match is answered through the catalog (so it can use an
 * index), the rest by the pipeline engine, and a final $out or $merge is written here.
 */
import { bsonTypeOf, canonicalKey, isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, failedToParse } from "../errors.js";
import { runPipeline, type PipelineContext } from "../aggregate/pipeline.js";
import type { Collection } from "../storage/catalog.js";
import {
  docsOf,
  isDoc,
  optionalDoc,
  optionalHint,
  optionalNonNegative,
  rejectCollation,
  requiredArray,
} from "./arguments.js";
import { existingCollection, type CommandHandler, type HandlerContext } from "./context.js";
import { selectDocuments } from "./select.js";
import { fieldsReadByCollapsingStage } from "../query/referenced-fields.js";
import { withIdFirst } from "./write.js";

export const aggregate: CommandHandler = async (context, dbName, cmd) => {
  const target = cmd.aggregate;
  const pipeline = docsOf(requiredArray(cmd, "aggregate", "pipeline"), "aggregate", "pipeline");
  if (cmd.explain !== undefined && cmd.explain !== false) {
    throw new MongoCommandError(ErrorCodes.NotImplemented, "aggregate with explain is not supported by the embedded server");
  }
  const cursorOptions = optionalDoc(cmd, "aggregate", "cursor");
  if (cursorOptions === undefined) {
    throw failedToParse("The 'cursor' option is required, except for aggregate with the explain argument");
  }
  rejectCollation(cmd);
  const variables = optionalDoc(cmd, "aggregate", "let");
  const { stages, finalWrite } = splitFinalWrite(pipeline);
  const database = context.storage.getDatabase(dbName);
  const pipelineContext: PipelineContext = {
    collectionDocs: (name, fields) => database?.getCollection(name)?.find({}, { fields }) ?? [],
    lookupDocs: (name, field, values, fields) => {
      const collection = database?.getCollection(name);
      if (!collection) return [];
      // Without an index the whole collection is read once (collectionDocs), not scanned for the values.
      return collection.findIndexed({ [field]: { $in: values } }, { fields });
    },
    geoIndexedFields: () => (typeof target === "string" ? geoIndexedFields(database?.getCollection(target)) : []),
    variables,
    now: new Date(),
  };

  let input: Iterable<Doc>;
  let remaining = stages;
  let ns: string;
  if (typeof target === "string") {
    ns = `${dbName}.${target}`;
    const collection = existingCollection(context, dbName, target);
    const hint = optionalHint(cmd, "aggregate");
    const leadingMatch = stages[0]?.$match;
    if (isDoc(leadingMatch) && Object.keys(stages[0]).length === 1) {
      remaining = stages.slice(1);
      // A collapsing stage reads only the fields it names, `_id` included (it outputs its own).
      input = selectDocuments(collection, leadingMatch, { hint, variables, fields: fieldsReadByCollapsingStage(remaining[0]), withoutId: true });
    } else {
      input = selectDocuments(collection, {}, { hint, fields: fieldsReadByCollapsingStage(stages[0]), withoutId: true });
    }
  } else if (isNumeric(target) && toNumber(target) === 1) {
    ns = `${dbName}.$cmd.aggregate`;
    input = [];
    if (stages[0] && "$listLocalSessions" in stages[0]) {
      input = context.sessions.list();
      remaining = stages.slice(1);
    }
  } else {
    throw new MongoCommandError(
      ErrorCodes.FailedToParse,
      `Invalid value for 'aggregate': must be a collection name or 1, not ${bsonTypeOf(target)}`,
    );
  }

  const results = runPipeline(input, remaining, pipelineContext);
  if (finalWrite) {
    await writeResults(context, dbName, finalWrite, results);
    return context.cursors.open(ns, [], { connectionId: context.connectionId });
  }
  return context.cursors.open(ns, results, {
    batchSize: optionalNonNegative(cursorOptions, "aggregate.cursor", "batchSize"),
    connectionId: context.connectionId,
  });
};

/** The fields of a collection's 2dsphere and 2d indexes, for a $geoNear without `key`. */
function geoIndexedFields(collection: Collection | undefined): string[] {
  const fields: string[] = [];
  for (const index of collection?.listIndexes() ?? []) {
    for (const [field, kind] of Object.entries(index.key)) if (kind === "2dsphere" || kind === "2d") fields.push(field);
  }
  return fields;
}

type FinalWrite = { stage: "$out"; spec: unknown } | { stage: "$merge"; spec: unknown };

/** $out and $merge may only end a pipeline. */
function splitFinalWrite(pipeline: Doc[]): { stages: Doc[]; finalWrite?: FinalWrite } {
  pipeline.forEach((stage, index) => {
    const isWrite = "$out" in stage || "$merge" in stage;
    if (isWrite && index !== pipeline.length - 1) {
      const name = "$out" in stage ? "$out" : "$merge";
      throw new MongoCommandError(40601, `${name} can only be the final stage in the pipeline`, { codeName: "Location40601" });
    }
  });
  const last = pipeline.at(-1);
  if (last && "$out" in last) return { stages: pipeline.slice(0, -1), finalWrite: { stage: "$out", spec: last.$out } };
  if (last && "$merge" in last) return { stages: pipeline.slice(0, -1), finalWrite: { stage: "$merge", spec: last.$merge } };
  return { stages: pipeline };
}

async function writeResults(context: HandlerContext, dbName: string, write: FinalWrite, results: Doc[]): Promise<void> {
  if (write.stage === "$out") replaceCollection(context, outTarget(write.spec, dbName), results);
  else mergeIntoCollection(context, mergeSpec(write.spec, dbName), results);
  await context.storage.sync();
}

interface Namespace {
  db: string;
  coll: string;
}

function outTarget(spec: unknown, dbName: string): Namespace {
  if (typeof spec === "string") return { db: dbName, coll: spec };
  if (isDoc(spec) && typeof spec.coll === "string") {
    return { db: typeof spec.db === "string" ? spec.db : dbName, coll: spec.coll };
  }
  throw new MongoCommandError(ErrorCodes.FailedToParse, "$out stage requires a collection name or {db, coll}");
}

/**
 * $out as mongod does it: fill a temporary collection carrying the target's indexes, then rename
 * it over the target, so readers see the old contents or the new, never a mix.
 */
function replaceCollection(context: HandlerContext, target: Namespace, results: Doc[]): void {
  const database = context.storage.database(target.db);
  const temporaryName = `tmp.agg_out.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const temporary = database.createCollection(temporaryName, {});
  try {
    const existing = database.getCollection(target.coll);
    const secondaryIndexes = existing?.listIndexes().filter((index) => index.name !== "_id_") ?? [];
    if (secondaryIndexes.length > 0) temporary.createIndexes(secondaryIndexes);
    for (const doc of results) temporary.insert(withIdFirst(doc));
    context.storage.renameCollection(target.db, temporaryName, target.db, target.coll, true);
  } catch (error) {
    database.dropCollection(temporaryName);
    throw error;
  }
}

type WhenMatched = "replace" | "keepExisting" | "merge" | "fail";
type WhenNotMatched = "insert" | "discard" | "fail";

interface MergeSpec {
  into: Namespace;
  on: string[];
  whenMatched: WhenMatched;
  whenNotMatched: WhenNotMatched;
}

function mergeSpec(spec: unknown, dbName: string): MergeSpec {
  if (typeof spec === "string") return { into: { db: dbName, coll: spec }, on: ["_id"], whenMatched: "merge", whenNotMatched: "insert" };
  if (!isDoc(spec)) throw failedToParse("$merge requires a collection name or a specification object");
  const into = spec.into;
  const target = typeof into === "string" ? { db: dbName, coll: into } : outTarget(into, dbName);
  const on = spec.on === undefined ? ["_id"] : typeof spec.on === "string" ? [spec.on] : spec.on;
  if (!Array.isArray(on) || on.some((field) => typeof field !== "string")) {
    throw failedToParse("$merge 'on' must be a field name or an array of field names");
  }
  const whenMatched = spec.whenMatched ?? "merge";
  if (Array.isArray(whenMatched)) {
    throw new MongoCommandError(ErrorCodes.NotImplemented, "$merge with a whenMatched pipeline is not supported by the embedded server");
  }
  if (!["replace", "keepExisting", "merge", "fail"].includes(whenMatched as string)) {
    throw new MongoCommandError(ErrorCodes.BadValue, `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`);
  }
  const whenNotMatched = spec.whenNotMatched ?? "insert";
  if (!["insert", "discard", "fail"].includes(whenNotMatched as string)) {
    throw new MongoCommandError(ErrorCodes.BadValue, `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`);
  }
  return { into: target, on: on as string[], whenMatched: whenMatched as WhenMatched, whenNotMatched: whenNotMatched as WhenNotMatched };
}

function mergeIntoCollection(context: HandlerContext, spec: MergeSpec, results: Doc[]): void {
  const collection = context.storage.database(spec.into.db).collection(spec.into.coll);
  const seenKeys = new Set<string>();
  for (const doc of results) {
    const match = matchOn(doc, spec.on);
    const key = canonicalKey(match);
    if (seenKeys.has(key)) continue;
    seenKeys.add(key);
    const [existing] = collection.find(match);
    if (existing) mergeMatched(collection, spec, existing, doc);
    else mergeUnmatched(collection, spec, doc);
  }
}

function matchOn(doc: Doc, fields: string[]): Doc {
  const match: Doc = {};
  for (const field of fields) {
    const value = field.split(".").reduce<unknown>((current, part) => (isDoc(current) ? current[part] : undefined), doc);
    if (value === undefined || Array.isArray(value)) {
      throw new MongoCommandError(51132, `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`, {
        codeName: "Location51132",
      });
    }
    match[field] = value;
  }
  return match;
}

function mergeMatched(collection: Collection, spec: MergeSpec, existing: Doc, doc: Doc): void {
  switch (spec.whenMatched) {
    case "keepExisting":
      return;
    case "fail":
      throw new MongoCommandError(ErrorCodes.DuplicateKey, `$merge failed: a document matching 'on' fields already exists in ${spec.into.db}.${spec.into.coll}`);
    case "replace":
      collection.replace(withIdFirst(doc, existing._id));
      return;
    case "merge":
      collection.replace(withIdFirst({ ...existing, ...doc }, existing._id));
      return;
    default:
      return assertNever(spec.whenMatched);
  }
}

function mergeUnmatched(collection: Collection, spec: MergeSpec, doc: Doc): void {
  switch (spec.whenNotMatched) {
    case "discard":
      return;
    case "fail":
      throw new MongoCommandError(13113, `$merge could not find a matching document in the target collection for at least one document in the source collection`, {
        codeName: "MergeStageNoMatchingDocument",
      });
    case "insert":
      collection.insert(withIdFirst(doc));
      return;
    default:
      return assertNever(spec.whenNotMatched);
  }
}

function assertNever(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

