/**
 * The aggregation pipeline. Most stages are mingo's, run over plain values; the stages whose
 * meaning must match the rest of the server are done here on typed documents: $match (the
 * server's matcher), $sort (the server's order), $geoNear, and the stages that read other
 * collections or run sub-pipelines ($lookup, $unionWith, $facet), so that those sub-pipelines get
 * the same treatment. Consecutive mingo stages run as one mingo pipeline, and documents change
 * representation only when a stage needs the other one.
 */
import { Aggregator } from "mingo/aggregator";
import * as mingoPipelineOperators from "mingo/operators/pipeline";
import { Double, Int32 } from "bson";
import { bsonTypeOf, canonicalKey, compareValues, isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, failedToParse } from "../errors.js";
import { compileFilter } from "../query/matcher.js";
import { compileSort } from "../query/sort.js";
import { nearDistance } from "../geo/predicates.js";
import { asMingoCommandError, bindNowInFilter, compileExpressions, mingoOptions, prepareForMingo } from "./expressions.js";
import { compileNativeGroup } from "./native-group.js";
import { docFromPlain, isPlainObject, toPlainDocs, toPlainFields } from "./typed-values.js";

export interface PipelineContext {
  /** Documents of another collection in the same database, for $lookup, $graphLookup and $unionWith (empty when it does not exist). */
  collectionDocs(name: string, fields?: ReadonlySet<string>): Iterable<Doc>;
  /**
   * For $lookup with `localField`/`foreignField`: the documents of another collection whose `field`
   * may equal one of `values` (a superset: the join re-checks), found through that collection's
   * indexes; undefined when no index can answer, and the join then reads `collectionDocs`.
   * `fields` (for either): the caller reads only these top-level fields (and `_id`), so documents may
   * come back with those alone.
   */
  lookupDocs?(name: string, field: string, values: unknown[], fields?: ReadonlySet<string>): Iterable<Doc> | undefined;
  variables?: Doc;
  now?: Date;
  /**
   * Fields of the input collection that carry a 2dsphere or 2d index: a $geoNear without `key`
   * uses the only one. Without this, $geoNear looks for the field holding GeoJSON in the documents.
   */
  geoIndexedFields?: () => string[];
  /** False: every $group is interpreted by mingo, as before native-group.ts (for tests that compare the two). */
  compileGroups?: boolean;
}

/**
 * Runs an aggregation pipeline over typed documents and returns typed documents. Stages come from
 * mingo run over `toPlain` values, with the server's own $match (compileFilter), $sort
 * (compileSort) and $geoNear; $out and $merge are not handled here (the commands layer writes them).
 * Throws MongoCommandError with MongoDB's codes for unknown stages (40324) or bad specs.
 */
export function runPipeline(input: Iterable<Doc>, pipeline: Doc[], context: PipelineContext): Doc[] {
  const stages = pipeline.map(parseStage).flatMap(desugar);
  stages.forEach(checkPlacement);
  // A leading $group takes the documents as the store hands them out, one at a time, rather than all
  // of them decoded and held at once (native-group.ts).
  const leadingGroup = stages[0]?.name === "$group" && context.compileGroups !== false ? streamedGroup(input, stages[0], context) : undefined;
  let documents = leadingGroup ?? DocumentSet.fromTyped(Array.isArray(input) ? input : Array.from(input));
  let index = leadingGroup ? 1 : 0;
  while (index < stages.length) {
    const { name, spec } = stages[index];
    const ownStage = ownStages[name];
    if (ownStage) {
      documents = ownStage(documents, spec, context, stages.slice(index + 1));
      index++;
      continue;
    }
    if (name === "$group" && context.compileGroups !== false) {
      const grouped = nativeGroupStage(documents, stages[index], context);
      if (grouped) {
        documents = grouped;
        index++;
        continue;
      }
    }
    let end = index;
    while (end < stages.length && !ownStages[stages[end].name]) end++;
    documents = runMingoStages(documents, stages.slice(index, end), context);
    index = end;
  }
  return documents.typed();
}

// ---------------------------------------------------------------------------------------------
// Stages and their validation

export interface Stage {
  name: string;
  spec: unknown;
}

type OwnStage = (documents: DocumentSet, spec: unknown, context: PipelineContext, following: Stage[]) => DocumentSet;

const ownStages: Record<string, OwnStage> = {
  $match: matchStage,
  $sort: sortStage,
  $limit: limitStage,
  $skip: skipStage,
  $count: countStage,
  $sample: sampleStage,
  $geoNear: geoNearStage,
  $lookup: lookupStage,
  $unionWith: unionWithStage,
  $facet: facetStage,
};

/** mingo's own $out and $merge are never used: the commands layer writes those. */
const mingoStageNames = new Set(
  Object.keys(mingoPipelineOperators).filter((name) => name.startsWith("$") && name !== "$out" && name !== "$merge"),
);

/** Stages that keep each document's identity, so an `_id` still names the document it came from. */
const identityPreservingStages = new Set(["$addFields", "$set", "$project", "$unset", "$unwind", "$redact", "$setWindowFields", "$fill", "$graphLookup"]);

function parseStage(stage: Doc): Stage {
  const names = Object.keys(stage);
  if (names.length !== 1) {
    throw new MongoCommandError(40323, "A pipeline stage specification object must contain exactly one field.", { codeName: "Location40323" });
  }
  const name = names[0];
  if (name === "$out" || name === "$merge") {
    throw new MongoCommandError(51047, `${name} is not allowed to be used within a sub-pipeline`, { codeName: "Location51047" });
  }
  if (!ownStages[name] && !mingoStageNames.has(name)) {
    throw new MongoCommandError(40324, `Unrecognized pipeline stage name: '${name}'`, { codeName: "Location40324" });
  }
  return { name, spec: stage[name] };
}

/**
 * MongoDB itself turns these stages into a $group and a $sort; doing the same gets its bucket
 * boundaries and output order (mingo's $bucket puts a value equal to a boundary in the bucket below).
 */
function desugar(stage: Stage): Stage[] {
  if (stage.name === "$sortByCount") {
    return [
      { name: "$group", spec: { _id: stage.spec, count: { $sum: 1 } } },
      { name: "$sort", spec: { count: -1 } },
    ];
  }
  if (stage.name === "$bucket") return desugarBucket(stage.spec);
  return [stage];
}

function desugarBucket(spec: unknown): Stage[] {
  if (!isPlainObject(spec)) throw new MongoCommandError(40201, "Argument to $bucket stage must be an object", { codeName: "Location40201" });
  const { groupBy, boundaries, output } = spec;
  if (groupBy === undefined || boundaries === undefined) {
    throw new MongoCommandError(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.", { codeName: "Location40198" });
  }
  if (!Array.isArray(boundaries) || boundaries.length < 2) {
    throw new MongoCommandError(40192, "The $bucket 'boundaries' field must be an array with at least two values", { codeName: "Location40192" });
  }
  for (let index = 1; index < boundaries.length; index++) {
    if (compareValues(boundaries[index - 1], boundaries[index]) >= 0) {
      throw new MongoCommandError(40194, "The 'boundaries' option to $bucket must be sorted in ascending order", { codeName: "Location40194" });
    }
  }
  const hasDefault = "default" in spec;
  if (hasDefault && compareValues(spec.default, boundaries[0]) >= 0 && compareValues(spec.default, boundaries.at(-1)) < 0) {
    throw new MongoCommandError(40199, "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.", {
      codeName: "Location40199",
    });
  }
  if (output !== undefined && !isPlainObject(output)) throw new MongoCommandError(40196, "The $bucket 'output' field must be an object", { codeName: "Location40196" });
  const branches = boundaries.slice(0, -1).map((lower, index) => ({
    case: { $and: [{ $gte: [groupBy, { $literal: lower }] }, { $lt: [groupBy, { $literal: boundaries[index + 1] }] }] },
    then: { $literal: lower },
  }));
  const bucketId = hasDefault ? { $switch: { branches, default: { $literal: spec.default } } } : { $switch: { branches } };
  return [
    { name: "$group", spec: { _id: bucketId, ...(output ?? { count: { $sum: 1 } }) } },
    { name: "$sort", spec: { _id: 1 } },
  ];
}

function checkPlacement({ name }: Stage, index: number): void {
  if (index === 0) return;
  if (name === "$geoNear") {
    throw new MongoCommandError(40603, "$geoNear was not the first stage in the pipeline.", { codeName: "Location40603" });
  }
  if (name === "$documents") {
    throw new MongoCommandError(40602, `${name} is only valid as the first stage in a pipeline`, { codeName: "Location40602" });
  }
}

// ---------------------------------------------------------------------------------------------
// Documents in one representation or the other

/**
 * The documents between two stages, typed or plain (or both, once converted). Plain documents
 * remember the typed documents they came from, so that fields mingo passed through get their
 * exact BSON types back.
 */
class DocumentSet {
  private constructor(
    private typedDocs: Doc[] | undefined,
    private plainDocs: Doc[] | undefined,
    /** The typed documents the plain ones came from, while their `_id`s still name them. */
    private readonly sourcesById: Doc[] | undefined,
  ) {}

  static fromTyped(docs: Doc[]): DocumentSet {
    return new DocumentSet(docs, undefined, undefined);
  }

  static fromPlain(docs: Doc[], sourcesById: Doc[] | undefined): DocumentSet {
    return new DocumentSet(undefined, docs, sourcesById);
  }

  /** The same kind of set over other documents: for stages that only select or reorder. */
  withSelection(select: (docs: Doc[]) => Doc[]): DocumentSet {
    if (this.plainDocs && !this.typedDocs) return DocumentSet.fromPlain(select(this.plainDocs), this.sourcesById);
    return DocumentSet.fromTyped(select(this.typed()));
  }

  /** The typed documents, when there is no plain form yet. */
  typedOnly(): Doc[] | undefined {
    return this.plainDocs ? undefined : this.typedDocs;
  }

  count(): number {
    return (this.typedDocs ?? this.plainDocs ?? []).length;
  }

  typed(): Doc[] {
    if (!this.typedDocs) this.typedDocs = typedFromPlain(this.plainDocs ?? [], this.sourcesById);
    return this.typedDocs;
  }

  /** The documents in plain form; only `fields` of them when the next stage reads no others. */
  plain(fields?: readonly string[]): { docs: Doc[]; sourcesById: Doc[] | undefined } {
    if (this.plainDocs) return { docs: this.plainDocs, sourcesById: this.sourcesById };
    const typed = this.typed();
    if (fields) return { docs: typed.map((doc) => toPlainFields(doc, fields)), sourcesById: undefined };
    return { docs: toPlainDocs(typed), sourcesById: typed };
  }
}

function typedFromPlain(plainDocs: Doc[], sourcesById: Doc[] | undefined): Doc[] {
  let sourceIndex: Map<string, Doc> | undefined;
  const sourceFor = (doc: Doc): Doc | undefined => {
    if (!sourcesById || doc._id === undefined) return undefined;
    if (!sourceIndex) {
      sourceIndex = new Map();
      for (const source of sourcesById) if (source._id !== undefined) sourceIndex.set(canonicalKey(source._id), source);
    }
    return sourceIndex.get(canonicalKey(doc._id));
  };
  // A document mingo copied has lost its stamp; its `_id` still finds the source for hints.
  return plainDocs.map((doc) => docFromPlain(doc, hasStamp(doc) ? undefined : sourceFor(doc)));
}

function hasStamp(doc: Doc): boolean {
  return Object.getOwnPropertySymbols(doc).length > 0;
}

function runMingoStages(documents: DocumentSet, stages: Stage[], context: PipelineContext): DocumentSet {
  const { docs, sourcesById } = documents.plain(fieldsReadBy(stages[0]));
  const options = mingoOptions(context, {
    collectionResolver: (name: string) => toPlainDocs(context.collectionDocs(name)),
  });
  const pipeline = stages.map(({ name, spec }) => ({ [name]: prepareForMingo(checkMingoStage(name, spec), context.now) }));
  let output: Doc[];
  try {
    output = new Aggregator(pipeline, options).run<Doc>(docs);
  } catch (error) {
    throw asMingoCommandError(error);
  }
  const idsStillName = stages.every(({ name }) => identityPreservingStages.has(name));
  return DocumentSet.fromPlain(output, idsStillName ? sourcesById : undefined);
}

/** A $group compiled rather than interpreted by mingo (native-group.ts), or undefined to leave it to mingo. */
function nativeGroupStage(documents: DocumentSet, stage: Stage, context: PipelineContext): DocumentSet | undefined {
  const spec = prepareForMingo(checkMingoStage(stage.name, stage.spec), context.now) as Doc;
  // Documents still only typed (straight from the store) are grouped as they are, converting the values
  // read rather than copying every document into plain form first.
  const typed = documents.typedOnly();
  const group = compileNativeGroup(spec, mingoOptions(context), typed !== undefined);
  if (!group) return undefined;
  const docs = typed ?? documents.plain(fieldsReadBy(stage)).docs;
  try {
    return DocumentSet.fromPlain(group(docs), undefined);
  } catch (error) {
    throw asMingoCommandError(error);
  }
}

/** A leading $group over the stored (typed) documents, streamed, or undefined to leave it to the stages below. */
function streamedGroup(input: Iterable<Doc>, stage: Stage, context: PipelineContext): DocumentSet | undefined {
  const spec = prepareForMingo(checkMingoStage(stage.name, stage.spec), context.now) as Doc;
  const group = compileNativeGroup(spec, mingoOptions(context), true);
  if (!group) return undefined;
  try {
    return DocumentSet.fromPlain(group(failuresMarked(input)), undefined);
  } catch (error) {
    // The store's own failures reach the client as they are; only the stage's become command errors.
    if (error instanceof InputFailure) throw error.error;
    throw asMingoCommandError(error);
  }
}

class InputFailure {
  constructor(readonly error: unknown) {}
}

function* failuresMarked(input: Iterable<Doc>): Generator<Doc> {
  const iterator = input[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<Doc>;
    try {
      next = iterator.next();
    } catch (error) {
      throw new InputFailure(error);
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The top-level fields a $group reads, when that is all it reads: converting a whole collection
 * to plain values costs more than the grouping itself. Undefined when the stage may read the
 * whole document ($$ROOT, $$CURRENT, $getField) or is not a $group.
 */
function fieldsReadBy(stage: Stage): string[] | undefined {
  if (stage.name !== "$group") return undefined;
  const fields = new Set<string>();
  let readsWholeDocument = false;
  const visit = (value: unknown): void => {
    if (readsWholeDocument) return;
    if (typeof value === "string") {
      if (value.startsWith("$$")) {
        if (value === "$$ROOT" || value === "$$CURRENT" || value.startsWith("$$ROOT.") || value.startsWith("$$CURRENT.")) readsWholeDocument = true;
      } else if (value.startsWith("$")) fields.add(value.slice(1).split(".")[0]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isPlainObject(value)) {
      for (const [key, element] of Object.entries(value)) {
        if (key === "$getField" || key === "$function" || key === "$accumulator") readsWholeDocument = true;
        // $top, $bottom and their N forms name their sort fields without a "$".
        if (key === "sortBy" && isPlainObject(element)) for (const path of Object.keys(element)) fields.add(path.split(".")[0]);
        visit(element);
      }
    }
  };
  visit(stage.spec);
  return readsWholeDocument ? undefined : [...fields];
}

/** MongoDB's errors for the specification mistakes mingo would only report in its own words. */
function checkMingoStage(name: string, spec: unknown): unknown {
  switch (name) {
    case "$group":
      if (!isPlainObject(spec)) throw new MongoCommandError(15947, "a group's fields must be specified in an object", { codeName: "Location15947" });
      if (!("_id" in spec)) throw new MongoCommandError(15955, "a group specification must include an _id", { codeName: "Location15955" });
      break;
    case "$unwind": {
      const path = isPlainObject(spec) ? spec.path : spec;
      if (typeof path !== "string" || !path.startsWith("$")) {
        throw new MongoCommandError(28818, `path option to $unwind stage should be prefixed with a '$': ${String(path)}`, { codeName: "Location28818" });
      }
      break;
    }
    case "$project":
    case "$addFields":
    case "$set":
      if (!isPlainObject(spec)) throw new MongoCommandError(40272, `${name} specification must be an object`, { codeName: "Location40272" });
      if (Object.keys(spec).length === 0) {
        if (name === "$project") throw new MongoCommandError(51272, "projection specification must have at least one field", { codeName: "Location51272" });
      }
      break;
    case "$replaceRoot":
      if (!isPlainObject(spec) || !("newRoot" in spec)) {
        throw new MongoCommandError(40231, "no newRoot specified for the $replaceRoot stage", { codeName: "Location40231" });
      }
      break;
    default:
      break;
  }
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Selecting and ordering

function matchStage(documents: DocumentSet, spec: unknown, context: PipelineContext): DocumentSet {
  if (!isPlainObject(spec)) throw new MongoCommandError(15959, "the match filter must be an expression in an object", { codeName: "Location15959" });
  const matches = compileFilter(bindNowInFilter(spec, context.now), { variables: context.variables });
  return DocumentSet.fromTyped(documents.typed().filter((doc) => matches(doc)));
}

function sortStage(documents: DocumentSet, spec: unknown): DocumentSet {
  if (!isPlainObject(spec)) throw new MongoCommandError(15973, "the $sort key specification must be an object", { codeName: "Location15973" });
  if (Object.keys(spec).length === 0) throw new MongoCommandError(15976, "$sort stage must have at least one sort key", { codeName: "Location15976" });
  const compare = compileSort(spec);
  // Array.prototype.sort is stable, as MongoDB's sort is for equal keys.
  return documents.withSelection((docs) => [...docs].sort(compare));
}

function limitStage(documents: DocumentSet, spec: unknown): DocumentSet {
  if (!isNumeric(spec) || !Number.isInteger(toNumber(spec))) {
    throw new MongoCommandError(15957, "the limit must be specified as a number", { codeName: "Location15957" });
  }
  const limit = toNumber(spec);
  if (limit <= 0) throw new MongoCommandError(15958, "the limit must be positive", { codeName: "Location15958" });
  return documents.withSelection((docs) => docs.slice(0, limit));
}

function skipStage(documents: DocumentSet, spec: unknown): DocumentSet {
  if (!isNumeric(spec) || !Number.isInteger(toNumber(spec))) {
    throw new MongoCommandError(15972, "Argument to $skip must be a number", { codeName: "Location15972" });
  }
  const skip = toNumber(spec);
  if (skip < 0) throw new MongoCommandError(15956, "Argument to $skip cannot be negative", { codeName: "Location15956" });
  return documents.withSelection((docs) => docs.slice(skip));
}

function sampleStage(documents: DocumentSet, spec: unknown): DocumentSet {
  if (!isPlainObject(spec)) throw new MongoCommandError(28745, "the $sample stage specification must be an object", { codeName: "Location28745" });
  if (!isNumeric(spec.size)) throw new MongoCommandError(28746, "size argument to $sample must be a number", { codeName: "Location28746" });
  const size = toNumber(spec.size);
  if (size < 0) throw new MongoCommandError(28747, "size argument to $sample must not be negative", { codeName: "Location28747" });
  return documents.withSelection((docs) => {
    // A partial Fisher-Yates shuffle: `size` distinct documents in random order.
    const pool = [...docs];
    const count = Math.min(Math.floor(size), pool.length);
    for (let index = 0; index < count; index++) {
      const pick = index + Math.floor(Math.random() * (pool.length - index));
      [pool[index], pool[pick]] = [pool[pick], pool[index]];
    }
    return pool.slice(0, count);
  });
}

function countStage(documents: DocumentSet, spec: unknown): DocumentSet {
  if (typeof spec !== "string") throw new MongoCommandError(40156, "the count field must be a non-empty string", { codeName: "Location40156" });
  if (spec.length === 0) throw new MongoCommandError(40157, "the count field must be a non-empty string", { codeName: "Location40157" });
  if (spec.startsWith("$")) throw new MongoCommandError(40158, "the count field cannot be a $-prefixed path", { codeName: "Location40158" });
  if (spec.includes(".")) throw new MongoCommandError(40160, "the count field cannot contain '.'", { codeName: "Location40160" });
  const length = documents.count();
  // Like $group followed by $project, an empty input gives no document at all.
  return DocumentSet.fromTyped(length === 0 ? [] : [{ [spec]: new Int32(length) }]);
}

// ---------------------------------------------------------------------------------------------
// $geoNear

function geoNearStage(documents: DocumentSet, spec: unknown, context: PipelineContext): DocumentSet {
  if (!isPlainObject(spec)) throw failedToParse("$geoNear argument must be an object");
  const near = spec.near;
  if (near === undefined) throw failedToParse("$geoNear requires a 'near' option as an Array");
  const distanceField = spec.distanceField;
  if (typeof distanceField !== "string") throw failedToParse("$geoNear requires a 'distanceField' option as a String");
  const includeLocs = spec.includeLocs;
  if (includeLocs !== undefined && typeof includeLocs !== "string") throw failedToParse("$geoNear 'includeLocs' must be a string");
  const isGeoJsonPoint = isPlainObject(near) && near.type !== undefined;
  const operand = isGeoJsonPoint ? { $geometry: near } : near;
  const spherical = spec.spherical === true;
  const limits = {
    maxDistance: optionalNumber(spec, "maxDistance"),
    minDistance: optionalNumber(spec, "minDistance"),
  };
  const multiplier = optionalNumber(spec, "distanceMultiplier") ?? 1;
  const query = isPlainObject(spec.query) ? compileFilter(bindNowInFilter(spec.query, context.now), { variables: context.variables }) : undefined;
  if (spec.query !== undefined && !query) throw failedToParse("$geoNear 'query' must be an object");

  const docs = documents.typed();
  const key = typeof spec.key === "string" ? spec.key : geoNearKey(docs, context);
  const keyParts = key.split(".");
  const found: Array<{ doc: Doc; distance: number; location: unknown }> = [];
  for (const doc of docs) {
    if (query && !query(doc)) continue;
    const location = locationAt(doc, keyParts);
    if (location === undefined) continue;
    const distance = nearDistance(location, operand, spherical, limits);
    if (distance !== null) found.push({ doc, distance, location });
  }
  found.sort((a, b) => a.distance - b.distance);
  return DocumentSet.fromTyped(
    found.map(({ doc, distance, location }) => {
      let output = withField(doc, distanceField.split("."), new Double(distance * multiplier));
      if (includeLocs !== undefined) output = withField(output, includeLocs.split("."), location);
      return output;
    }),
  );
}

function optionalNumber(spec: Doc, name: string): number | undefined {
  const value = spec[name];
  if (value === undefined || value === null) return undefined;
  if (!isNumeric(value)) throw failedToParse(`$geoNear '${name}' must be a number`);
  return toNumber(value);
}

/** The geo-indexed field, as MongoDB picks it: the only 2d/2dsphere index of the collection. */
function geoNearKey(docs: Doc[], context: PipelineContext): string {
  const indexed = context.geoIndexedFields?.();
  if (indexed && indexed.length === 1) return indexed[0];
  if (indexed && indexed.length > 1) {
    throw new MongoCommandError(ErrorCodes.BadValue, "There is more than one 2dsphere index; unsure which to use for $geoNear. Specify 'key'.");
  }
  if (!indexed) {
    for (const doc of docs) {
      for (const [field, value] of Object.entries(doc)) {
        if (isPlainObject(value) && typeof value.type === "string" && Array.isArray(value.coordinates)) return field;
      }
    }
  }
  throw new MongoCommandError(ErrorCodes.IndexNotFound, "$geoNear requires a 2d or 2dsphere index, but none were found");
}

/** The value at a dotted path; through arrays of subdocuments, the array of the values found. */
function locationAt(doc: Doc, parts: string[]): unknown {
  let value: unknown = doc;
  for (let index = 0; index < parts.length; index++) {
    if (Array.isArray(value)) {
      const rest = parts.slice(index);
      const values = value.map((element) => (isPlainObject(element) ? locationAt(element, rest) : undefined)).filter((found) => found !== undefined);
      return values.length ? values : undefined;
    }
    if (!isPlainObject(value)) return undefined;
    value = value[parts[index]];
  }
  return value;
}

/** A copy of `doc` with a (dotted) field set; the stored document and its subdocuments stay untouched. */
function withField(doc: Doc, parts: string[], value: unknown): Doc {
  const [head, ...rest] = parts;
  const copy: Doc = { ...doc };
  if (rest.length === 0) copy[head] = value;
  else copy[head] = withField(isPlainObject(doc[head]) ? doc[head] : {}, rest, value);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Stages over other collections and sub-pipelines

function lookupStage(documents: DocumentSet, spec: unknown, context: PipelineContext, following: Stage[] = []): DocumentSet {
  if (!isPlainObject(spec)) throw failedToParse("the $lookup specification must be an Object");
  const { from, as, localField, foreignField, let: letSpec, pipeline } = spec;
  if (typeof as !== "string") throw failedToParse("must specify 'as' field for a $lookup");
  if (from !== undefined && typeof from !== "string") {
    throw new MongoCommandError(ErrorCodes.NotImplemented, "$lookup 'from' must name a collection of the same database");
  }
  if (from === undefined && !(Array.isArray(pipeline) && isPlainObject(pipeline[0]) && "$documents" in pipeline[0])) {
    throw failedToParse("must specify 'from' field for a $lookup");
  }
  if ((localField === undefined) !== (foreignField === undefined)) {
    throw failedToParse("$lookup requires both or neither of 'localField' and 'foreignField' to be specified");
  }
  if (localField !== undefined && (typeof localField !== "string" || typeof foreignField !== "string")) {
    throw failedToParse("$lookup 'localField' and 'foreignField' must be strings");
  }
  if (pipeline !== undefined && !(Array.isArray(pipeline) && pipeline.every(isPlainObject))) {
    throw failedToParse("$lookup 'pipeline' must be an array of stage objects");
  }
  if (localField === undefined && pipeline === undefined) throw failedToParse("$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified");
  if (letSpec !== undefined && !isPlainObject(letSpec)) throw failedToParse("$lookup 'let' must be an object");

  const inputDocs = documents.typed();
  // Without a sub-pipeline, the joined documents need only the fields the following stages read of them.
  const fields = pipeline === undefined && localField !== undefined ? joinedFieldsRead(as, foreignField as string, following) : undefined;
  const foreignDocs =
    from === undefined
      ? []
      : Array.from(
          (localField !== undefined && indexedForeignDocs(inputDocs, from, localField as string, foreignField as string, context, fields)) ||
            context.collectionDocs(from, fields),
        );
  const equalMatches = localField !== undefined ? equalityJoin(foreignDocs, localField as string, foreignField as string) : () => foreignDocs;
  const evaluateLet = letSpec ? compileExpressions(Object.entries(letSpec), context) : undefined;
  const subPipeline = pipeline as Doc[] | undefined;
  const asParts = as.split(".");

  return DocumentSet.fromTyped(
    inputDocs.map((doc) => {
      let joined = equalMatches(doc);
      if (subPipeline) {
        const variables: Doc = { ...context.variables };
        if (evaluateLet) {
          // A `let` over a missing field is bound anyway, so that `$$name` resolves.
          for (const name of Object.keys(letSpec as Doc)) variables[name] = null;
          for (const [name, value] of evaluateLet(doc)) variables[name] = value;
        }
        joined = runPipeline(joined, subPipeline, { ...context, variables });
      }
      return withField(doc, asParts, joined);
    }),
  );
}

/**
 * The foreign documents any input document can join, looked up through the foreign collection's
 * indexes (`foreignField $in` the local values), or undefined to read the whole collection. Only
 * scalars are looked up: arrays, regular expressions and documents (which may look like operators)
 * mean something else to `$in`. A missing or null local value asks for null, which `$in` matches
 * on missing fields too.
 */
function indexedForeignDocs(
  inputDocs: Doc[],
  from: string,
  localField: string,
  foreignField: string,
  context: PipelineContext,
  fields: ReadonlySet<string> | undefined,
): Iterable<Doc> | undefined {
  if (!context.lookupDocs) return undefined;
  const localParts = localField.split(".");
  const values = new Map<string, unknown>();
  for (const doc of inputDocs) {
    const found: unknown[] = [];
    collectPathValues(doc, localParts, 0, found);
    for (const value of found) {
      const elements = Array.isArray(value) ? (value.length === 0 ? [null] : value) : [value];
      for (const element of elements) {
        const type = bsonTypeOf(element ?? null);
        if (type === "array" || type === "regex" || type === "undefined" || type === "object") return undefined;
        values.set(canonicalKey(element ?? null), element ?? null);
      }
    }
  }
  if (values.size === 0) return [];
  return context.lookupDocs(from, foreignField, [...values.values()], fields);
}

/**
 * The top-level fields of the joined documents (the `as` array's elements) that the stages after a
 * $lookup read, plus the join's own `foreignField`; undefined when that cannot be told, and then the
 * joined documents are read whole. Only $match stages (plain filters) may come before the stage that
 * collapses the documents ($group, $count, $bucket, $bucketAuto, $sortByCount); what follows that
 * stage sees only its output. `as` itself, `$$ROOT`, `$$CURRENT`, `$expr`-like operators, and a path
 * through an array position without a field after it read the whole element, except
 * `as.<n>` with `$exists`, which needs the element alone (its `_id` is always read).
 */
export function joinedFieldsRead(as: string, foreignField: string, following: Stage[]): Set<string> | undefined {
  const fields = new Set<string>([foreignField.split(".")[0]]);
  const prefix = `${as}.`;
  // A path read of the document: false when it reads whole joined documents.
  const readPath = (path: string, existsOnly: boolean): boolean => {
    if (path === as || as.startsWith(`${path}.`)) return false;
    if (!path.startsWith(prefix)) return true;
    const parts = path.slice(prefix.length).split(".");
    let position = 0;
    // A number is an array position, or the name of a field of the elements: both are read.
    while (position < parts.length && /^\d+$/.test(parts[position])) fields.add(parts[position++]);
    if (position === parts.length) return existsOnly && position > 0;
    fields.add(parts[position]);
    return true;
  };
  const readFilter = (filter: unknown): boolean => {
    if (!isPlainObject(filter)) return false;
    for (const [key, condition] of Object.entries(filter)) {
      if (key === "$and" || key === "$or" || key === "$nor") {
        if (!Array.isArray(condition) || !condition.every(readFilter)) return false;
      } else if (key === "$comment") {
        continue;
      } else if (key.startsWith("$")) {
        return false;
      } else {
        const existsOnly = isPlainObject(condition) && Object.keys(condition).length === 1 && "$exists" in condition;
        if (!readPath(key, existsOnly)) return false;
      }
    }
    return true;
  };
  const readExpression = (expression: unknown): boolean => {
    if (typeof expression === "string") {
      if (expression.startsWith("$$")) {
        const variable = expression.slice(2).split(".")[0];
        return variable !== "ROOT" && variable !== "CURRENT";
      }
      return !expression.startsWith("$") || readPath(expression.slice(1), false);
    }
    if (Array.isArray(expression)) return expression.every(readExpression);
    if (isPlainObject(expression)) {
      if ("$function" in expression || "$accumulator" in expression) return false;
      if ("$literal" in expression) return true;
      return Object.entries(expression).every(([key, value]) =>
        // $top, $bottom, $topN and $bottomN name their sort fields as keys.
        key === "sortBy" && isPlainObject(value) ? Object.keys(value).every((path) => readPath(path, false)) : readExpression(value),
      );
    }
    return true;
  };
  const overlaps = (path: string) => path === as || path.startsWith(prefix) || as.startsWith(`${path}.`);
  for (const stage of following) {
    if (stage.name === "$match") {
      if (!readFilter(stage.spec)) return undefined;
      continue;
    }
    // Another join by field reads its localField and adds its own `as`.
    if (stage.name === "$lookup" && isPlainObject(stage.spec) && stage.spec.pipeline === undefined) {
      const { localField, as: otherAs } = stage.spec;
      if (typeof localField !== "string" || typeof otherAs !== "string" || overlaps(otherAs) || !readPath(localField, false)) return undefined;
      continue;
    }
    if (stage.name === "$count") return fields;
    if (stage.name === "$group" || stage.name === "$bucket" || stage.name === "$bucketAuto" || stage.name === "$sortByCount") {
      return readExpression(stage.spec) ? fields : undefined;
    }
    return undefined;
  }
  // The pipeline ends with the joined documents in its output: all of them.
  return undefined;
}

/**
 * The foreign documents whose `foreignField` equals the local document's `localField`, as
 * MongoDB's $lookup does it: arrays on either side match by any element, and a missing field
 * matches null and missing.
 */
function equalityJoin(foreignDocs: Doc[], localField: string, foreignField: string): (doc: Doc) => Doc[] {
  const byKey = new Map<string, Array<{ position: number; doc: Doc }>>();
  const foreignParts = foreignField.split(".");
  foreignDocs.forEach((doc, position) => {
    for (const key of new Set(joinKeys(doc, foreignParts, true))) {
      let bucket = byKey.get(key);
      if (!bucket) byKey.set(key, (bucket = []));
      bucket.push({ position, doc });
    }
  });
  const localParts = localField.split(".");
  return (doc) => {
    const matched = new Map<number, Doc>();
    for (const key of joinKeys(doc, localParts, false)) {
      for (const { position, doc: foreign } of byKey.get(key) ?? []) matched.set(position, foreign);
    }
    // The foreign collection's own order.
    return [...matched.entries()].sort(([a], [b]) => a - b).map(([, foreign]) => foreign);
  };
}

function joinKeys(doc: Doc, parts: string[], foreign: boolean): string[] {
  const values: unknown[] = [];
  collectPathValues(doc, parts, 0, values);
  const keys: string[] = [];
  for (const value of values) {
    if (value === undefined || value === null) keys.push(canonicalKey(null));
    else if (Array.isArray(value)) {
      // A stored array matches its elements and itself; a local array asks for any of its elements.
      if (foreign) keys.push(canonicalKey(value));
      for (const element of value) keys.push(canonicalKey(element ?? null));
      if (!foreign && value.length === 0) keys.push(canonicalKey(null));
    } else keys.push(canonicalKey(value));
  }
  return keys;
}

/** Values at a dotted path, through arrays of subdocuments; a missing end contributes `undefined`. */
function collectPathValues(value: unknown, parts: string[], index: number, out: unknown[]): void {
  if (index === parts.length) {
    out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    const part = parts[index];
    if (/^\d+$/.test(part) && Number(part) < value.length) collectPathValues(value[Number(part)], parts, index + 1, out);
    for (const element of value) if (isPlainObject(element)) collectPathValues(element, parts, index, out);
    return;
  }
  if (!isPlainObject(value)) {
    out.push(undefined);
    return;
  }
  collectPathValues(value[parts[index]], parts, index + 1, out);
}

function unionWithStage(documents: DocumentSet, spec: unknown, context: PipelineContext): DocumentSet {
  const coll = typeof spec === "string" ? spec : isPlainObject(spec) ? spec.coll : undefined;
  const pipeline = isPlainObject(spec) ? spec.pipeline : undefined;
  if (coll !== undefined && typeof coll !== "string") throw failedToParse("$unionWith 'coll' must be a string");
  if (pipeline !== undefined && !(Array.isArray(pipeline) && pipeline.every(isPlainObject))) {
    throw failedToParse("$unionWith 'pipeline' must be an array of stage objects");
  }
  if (coll === undefined && pipeline === undefined) throw failedToParse("$unionWith requires 'coll' or a 'pipeline' starting with $documents");
  const other = coll === undefined ? [] : Array.from(context.collectionDocs(coll));
  const added = pipeline ? runPipeline(other, pipeline as Doc[], context) : other;
  return DocumentSet.fromTyped([...documents.typed(), ...added]);
}

const stagesNotAllowedInFacet = new Set(["$facet", "$geoNear", "$out", "$merge", "$documents"]);

function facetStage(documents: DocumentSet, spec: unknown, context: PipelineContext): DocumentSet {
  if (!isPlainObject(spec)) throw new MongoCommandError(15947, "the $facet specification must be a non-empty object", { codeName: "Location15947" });
  const facets = Object.entries(spec);
  if (facets.length === 0) throw new MongoCommandError(40169, "the $facet specification must be a non-empty object", { codeName: "Location40169" });
  const input = documents.typed();
  const output: Doc = {};
  for (const [name, pipeline] of facets) {
    if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) {
      throw new MongoCommandError(40170, `arguments to $facet must be arrays, ${name} is type ${typeof pipeline}`, { codeName: "Location40170" });
    }
    for (const stage of pipeline) {
      const stageName = Object.keys(stage)[0];
      if (stagesNotAllowedInFacet.has(stageName)) {
        throw new MongoCommandError(40600, `${stageName} is not allowed to be used within a $facet stage`, { codeName: "Location40600" });
      }
    }
    output[name] = runPipeline(input, pipeline as Doc[], context);
  }
  return DocumentSet.fromTyped([output]);
}
