/**
 * Databases, collections, their documents and indexes.
 * Documents are kept as BSON buffers (memory close to the data size; no caller can mutate stored
 * state); every read hands out a fresh deserialized copy (DESERIALIZE_OPTIONS).
 * All mutating methods are synchronous and journal a ChangeRecord; callers `await storage.sync()`
 * before acknowledging a write. Opening replays the journal through the same methods, unjournaled.
 */
import { BSON, EJSON } from "bson";
import { bsonTypeOf, canonicalKey, DESERIALIZE_OPTIONS, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";
import { createStderrLogger, type Logger } from "../logger.js";
import { compileFilter } from "../query/matcher.js";
import { openDurability, type Durability } from "./durability.js";
import {
  describeSpec,
  distinguishingOptionsKey,
  ID_INDEX_NAME,
  ID_INDEX_SPEC,
  normalizeIndexSpec,
  optionsKey,
  sameKeyPattern,
} from "./index-specs.js";
import { isPlainDocument } from "./index-keys.js";
import {
  extractConstraints,
  planIndex,
  planOrderedScan,
  planScore,
  type GeoOperator,
  type IndexPlan,
  type OrderedPlan,
  type SortField,
} from "./query-plan.js";
import type { ChangeRecord } from "./records.js";
import { readTopLevelFields, selectFields, type FieldSelection } from "./bson-fields.js";
import { fieldsReadByFilter } from "../query/referenced-fields.js";
import { HIGHEST, LOWEST, SecondaryIndex, type IndexKeys } from "./secondary-index.js";

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
  /** The caller reads only these top-level fields: documents come back with them and `_id` alone. */
  fields?: ReadonlySet<string>;
  /** With `fields`: the caller does not read `_id` either, unless `fields` names it. */
  withoutId?: boolean;
}

/** How a find reads the collection: for tests and diagnostics (like explain's winning plan). */
export interface QueryPlanSummary {
  stage: "COLLSCAN" | "IDHACK" | "IXSCAN" | "GEO" | "OR" | "AND_HASH";
  /** For "OR" and "AND_HASH": the indexes used, comma-separated. */
  indexName?: string;
  /** An index walk that yields documents in the requested sort order (no sort stage follows). */
  providesSort?: boolean;
  /** Walked backward (a sort against the index's direction). */
  backward?: boolean;
}

export interface SortedFindOptions extends FindOptions {
  /** How many documents the caller reads at most (skip + limit); 0 or undefined: all of them. */
  need?: number;
}

/** What `findSorted` returns: documents, and whether they already come in the requested order. */
export interface SortedFind {
  documents: Iterable<Doc>;
  sorted: boolean;
}

/** What the last `find` read, counted while its result is consumed. */
export interface FindStats extends QueryPlanSummary {
  /** Documents handed to the filter re-check. */
  docsExamined: number;
}

export const MAX_DOCUMENT_SIZE = 16 * 1024 * 1024;

/** What collections need from the storage that holds them. */
interface CatalogContext {
  journal(record: ChangeRecord): void;
  readonly logger: Logger;
}

const TTL_DEFAULT_INTERVAL_MS = 60_000;
/** Compact once the journal holds this much more than twice the live data. */
const COMPACTION_SLACK_BYTES = 64 * 1024 * 1024;

const invalidDatabaseCharacters = /[/\\. "$\0]/;
const MAX_DATABASE_NAME_LENGTH = 63;
const MAX_NAMESPACE_LENGTH = 255;

function invalidNamespace(message: string): MongoCommandError {
  return new MongoCommandError(ErrorCodes.InvalidNamespace, message);
}

export function validateDatabaseName(name: string): void {
  if (name === "") throw invalidNamespace("Invalid database name: ''");
  if (invalidDatabaseCharacters.test(name)) throw invalidNamespace(`Invalid database name: '${name}'`);
  if (name.length > MAX_DATABASE_NAME_LENGTH) {
    throw invalidNamespace(`db name '${name}' is too long (max is ${MAX_DATABASE_NAME_LENGTH} characters)`);
  }
}

export function validateCollectionName(dbName: string, name: string): void {
  const namespace = `${dbName}.${name}`;
  if (name === "" || name.startsWith(".") || name.includes("\0")) throw invalidNamespace(`Invalid namespace specified '${namespace}'`);
  if (name.includes("$")) throw invalidNamespace(`Invalid collection name: ${name}`);
  if (name.startsWith("system.")) throw invalidNamespace(`Invalid system namespace: ${namespace}`);
  if (namespace.length > MAX_NAMESPACE_LENGTH) {
    throw invalidNamespace(`Fully qualified namespace is too long. Namespace: ${namespace} Max: ${MAX_NAMESPACE_LENGTH}`);
  }
}

/** mongod's rendering of a key value in "dup key: { ... }". */
function formatKeyValue(value: unknown): string {
  switch (bsonTypeOf(value)) {
    case "string":
      return JSON.stringify(String(value));
    case "null":
      return "null";
    case "undefined":
      return "undefined";
    case "double": {
      const number = typeof value === "number" ? value : Number((value as { value: number }).value);
      return Number.isInteger(number) ? number.toFixed(1) : String(number);
    }
    case "int":
    case "long":
    case "decimal":
      return String((value as { toString(): string }).toString());
    case "objectId":
      return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
    case "date":
      return `new Date(${(value as Date).getTime()})`;
    case "array":
      return `[ ${(value as unknown[]).map(formatKeyValue).join(", ")} ]`;
    case "object":
      return formatKeyDocument(value as Doc);
    default:
      return EJSON.stringify({ value } as Doc, { relaxed: true }).slice('{"value":'.length, -1);
  }
}

function formatKeyDocument(doc: Doc): string {
  const entries = Object.entries(doc);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([key, value]) => `${key}: ${formatKeyValue(value)}`).join(", ")} }`;
}

function duplicateKeyError(namespace: string, indexName: string, keyPattern: Doc, keyValue: Doc): MongoCommandError {
  return new MongoCommandError(
    ErrorCodes.DuplicateKey,
    `E11000 duplicate key error collection: ${namespace} index: ${indexName} dup key: ${formatKeyDocument(keyValue)}`,
    { extra: { keyPattern, keyValue } },
  );
}

function deserialize(buffer: Uint8Array): Doc {
  return BSON.deserialize(buffer, DESERIALIZE_OPTIONS) as Doc;
}

function serializeDocument(doc: Doc, forInsert: boolean): Buffer {
  const bytes = BSON.serialize(doc);
  // A view, not a copy: bson already hands out a buffer of exactly the document's size.
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length > MAX_DOCUMENT_SIZE) {
    throw new MongoCommandError(
      ErrorCodes.BSONObjectTooLarge,
      forInsert
        ? `object to insert too large. size in bytes: ${buffer.length}, max size: ${MAX_DOCUMENT_SIZE}`
        : `BSONObj size: ${buffer.length} (0x${buffer.length.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_DOCUMENT_SIZE}(16MB)`,
    );
  }
  return buffer;
}

function validateId(doc: Doc): unknown {
  const id = doc._id;
  if (id === undefined) throw new MongoCommandError(ErrorCodes.InternalError, "a stored document needs an _id");
  const type = bsonTypeOf(id);
  if (type === "array") throw new MongoCommandError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type array");
  if (type === "regex") throw new MongoCommandError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type regex");
  if (type === "object") rejectDollarPrefixedIdFields(id as Doc);
  return id;
}

/** mongod refuses to store an `_id` document with `$`-prefixed field names at any depth. */
function rejectDollarPrefixedIdFields(value: Doc): void {
  for (const [field, inner] of Object.entries(value)) {
    if (field.startsWith("$")) {
      throw new MongoCommandError(
        ErrorCodes.DollarPrefixedFieldName,
        `_id fields may not contain '$'-prefixed fields: ${field} is not valid for storage.`,
      );
    }
    if (isPlainDocument(inner)) rejectDollarPrefixedIdFields(inner);
  }
}

function badHint(): MongoCommandError {
  return new MongoCommandError(ErrorCodes.BadValue, "hint provided does not correspond to an existing index");
}

type ResolvedHint = { kind: "natural"; direction: 1 | -1 } | { kind: "id" } | { kind: "index"; index: SecondaryIndex };

/**
 * An index plan whose candidates exceed this share of the collection is read as a scan instead, in
 * collections of at least SCAN_MIN_DOCUMENTS documents (below that either is quick, and an index
 * plan keeps the order tests and explain output have always seen).
 */
const SCAN_SHARE = 0.5;
const SCAN_MIN_DOCUMENTS = 1000;
/** Documents sampled to tell, before any index is read, that a filter matches most of a collection. */
const SCAN_SAMPLE = 128;

/** The first trial of an ordered walk may examine this many times the documents its page needs, plus the slack. */
const SHORT_TRIAL_FACTOR = 4;
const SHORT_TRIAL_SLACK = 16;

/**
 * Ids along an ordered walk, each once (a multikey document is met at each of its keys; the first
 * is where it sorts). It ends early once it has examined its allowance (marking `cut`), and picks
 * up where it stopped when iterated again after `allow` grants more: one walk serves several trials.
 */
class OrderedIds implements Iterable<string>, Iterator<string> {
  private readonly source: Generator<string>;
  private readonly seen = new Set<string>();
  private left = Number.POSITIVE_INFINITY;
  /** Ids handed out so far. */
  examined = 0;
  /** Set when the allowance, not the index, ended the last iteration. */
  cut = false;

  constructor(plan: OrderedPlan) {
    this.source = plan.index.walk(plan.interval, plan.backward);
  }

  /** Grants `count` more ids (Infinity: no limit). */
  allow(count: number): void {
    this.left = count;
  }

  [Symbol.iterator](): Iterator<string> {
    return this;
  }

  next(): IteratorResult<string> {
    if (this.left <= 0) {
      this.cut = true;
      return { done: true, value: undefined };
    }
    for (let step = this.source.next(); !step.done; step = this.source.next()) {
      if (this.seen.has(step.value)) continue;
      this.seen.add(step.value);
      this.left--;
      this.examined++;
      return { done: false, value: step.value };
    }
    return { done: true, value: undefined };
  }
}

/** How a find reads: ids to look up (in this order), or every document in natural order. */
interface ReadPlan {
  summary: QueryPlanSummary;
  ids?: Iterable<string>;
  reverse?: boolean;
  /** Documents come back ordered by _id (a hinted _id_ scan). */
  sortById?: boolean;
  /**
   * What is left to check of the filter once the index lookups have answered part of it exactly;
   * `{}` when they answered all of it (no re-check, and a count decodes nothing).
   */
  residual?: Doc;
  /**
   * For scans: a matching document must contain one of these byte strings (the UTF-8 of the strings
   * a field must equal), so documents without any are skipped without being decoded.
   */
  requiredBytes?: Buffer[];
}

export class Collection {
  #dbName: string;
  #name: string;
  readonly options: Doc;
  /** canonicalKey(_id) → BSON; Map insertion order is the natural order. */
  private readonly documents = new Map<string, Buffer>();
  private totalSize = 0;
  private readonly indexes = new Map<string, SecondaryIndex>();
  private readonly context: CatalogContext;
  /**
   * The _id index as a B-tree, for reading in _id order (sorts and hinted _id scans); point lookups
   * go to `documents`. Not among `indexes`: it is never dropped, listed apart, and unique by the map.
   */
  private readonly idIndex = new SecondaryIndex(ID_INDEX_SPEC);
  /** What the most recent find read (updated as its result is consumed). */
  lastFindStats: FindStats = { stage: "COLLSCAN", docsExamined: 0 };

  constructor(dbName: string, name: string, options: Doc, context: CatalogContext) {
    this.#dbName = dbName;
    this.#name = name;
    this.options = options;
    this.context = context;
  }

  get dbName(): string {
    return this.#dbName;
  }

  get name(): string {
    return this.#name;
  }

  private get namespace(): string {
    return `${this.#dbName}.${this.#name}`;
  }

  /** Renaming moves the collection with its documents and indexes (storage-internal). */
  moveTo(dbName: string, name: string): void {
    this.#dbName = dbName;
    this.#name = name;
  }

  /** Number of documents. */
  count(): number {
    return this.documents.size;
  }

  /** Sum of the BSON sizes of the documents. */
  dataSize(): number {
    return this.totalSize;
  }

  findById(id: unknown): Doc | undefined {
    const buffer = this.documents.get(canonicalKey(id));
    return buffer ? deserialize(buffer) : undefined;
  }

  /** Every document matching `filter` (unsorted, unless an index scan happens to order them); uses an index when one can answer part of the filter. */
  find(filter: Doc, options: FindOptions = {}): Iterable<Doc> {
    return this.read(this.plan(filter, options), filter, options);
  }

  /**
   * Like `find`, for a sorted read: when an index (or _id) can walk the matches in `sort` order, the
   * documents come in that order (`sorted`), read lazily, so a limit stops the walk early; otherwise
   * they come as `find` gives them and the caller sorts.
   *
   * Between an index that narrows the filter (then a sort) and one that gives the order (then the
   * filter on each document), the choice is mongod's multi-plan trial in small: the ordered walk
   * runs first, briefly (a few times the page); if it has not filled the page, the narrowing plan is
   * made and the walk may go on until it has examined as many documents as that plan has
   * candidates. If it finds `need` matches (or runs out of index) within that, it wins and carries
   * on where it stopped, else its work is dropped and the narrowing plan runs. So a wrong guess costs
   * at most about twice the better plan, and a filter that matches most documents never sorts (or
   * even lists) them all for one page.
   */
  findSorted(filter: Doc, sort: readonly SortField[], options: SortedFindOptions = {}): SortedFind {
    const ordered = this.planOrdered(filter, sort, options.hint);
    if (!ordered) return { documents: this.find(filter, options), sorted: false };
    const summary: QueryPlanSummary = {
      stage: "IXSCAN",
      indexName: ordered.index.name,
      providesSort: true,
      ...(ordered.backward ? { backward: true } : {}),
    };
    const walkPlan = (ids: Iterable<string>): ReadPlan => ({ summary, ids, requiredBytes: requiredStringBytes(extractConstraints(filter)) });
    if (options.hint !== undefined) return { documents: this.read(walkPlan(new OrderedIds(ordered)), filter, options), sorted: true };

    const need = options.need ?? 0;
    const ids = new OrderedIds(ordered);
    const first: Doc[] = [];
    let walk: Iterator<Doc> | undefined;
    // A spent allowance ends a read; a new read over the same ids resumes the walk where it stopped.
    const resume = (): Iterator<Doc> => {
      if (walk && !ids.cut) return walk;
      const examinedBefore = walk ? this.lastFindStats.docsExamined : 0;
      ids.cut = false;
      walk = this.read(walkPlan(ids), filter, options)[Symbol.iterator]();
      this.lastFindStats.docsExamined += examinedBefore;
      return walk;
    };
    // Advances the walk until the page is full or the allowance is spent; true when the walk won.
    const trial = (allowance: number): boolean => {
      ids.allow(allowance);
      const reading = resume();
      while (first.length < need) {
        const step = reading.next();
        if (step.done) return !ids.cut;
        first.push(step.value);
      }
      return true;
    };
    const won = (): SortedFind => {
      // The walk may go on past the trials' allowance (a cursor's later batches).
      ids.allow(Number.POSITIVE_INFINITY);
      return { documents: concatenate(first, resume()), sorted: true };
    };
    // A frequent match fills a page within a few times its size: then no other plan is even built.
    if (need > 0 && trial(need * SHORT_TRIAL_FACTOR + SHORT_TRIAL_SLACK)) return won();

    const narrowing = this.plan(filter, options);
    if (narrowing.summary.stage === "IDHACK") return { documents: this.read(narrowing, filter, options), sorted: false };
    const candidates = candidateCount(narrowing);
    // Nothing narrows the filter better than the walk's own interval (a scan, or an equality the
    // walk's index also leads with): the walk examines no more, and needs no sort.
    if (candidates === undefined || ordered.index.countIn(ordered.interval) <= candidates) return won();
    // No limit: every match is read either way; the narrower candidate set beats a full walk.
    if (need === 0) return { documents: this.read(narrowing, filter, options), sorted: false };
    if (trial(candidates - ids.examined)) return won();
    return { documents: this.read(narrowing, filter, options), sorted: false };
  }

  /** The ordered walk for a sort, if an index gives that order: the hinted one, else the narrowest. */
  private planOrdered(filter: Doc, sort: readonly SortField[], hint: string | Doc | undefined): OrderedPlan | undefined {
    const constraints = extractConstraints(filter);
    // $near orders by distance; $geoWithin and $geoIntersects are only re-checked like any condition.
    if ([...constraints.values()].some((field) => field.geo.some((geo) => geo.operator === "$near" || geo.operator === "$nearSphere"))) {
      return undefined;
    }
    if (hint !== undefined) {
      const resolved = this.resolveHint(hint);
      if (resolved.kind === "natural") return undefined;
      const index = resolved.kind === "id" ? this.idIndex : resolved.index;
      return planOrderedScan(index, constraints, filter, sort, true);
    }
    let best: OrderedPlan | undefined;
    for (const index of [this.idIndex, ...this.indexes.values()]) {
      if (index.spec.hidden === true) continue;
      const candidate = planOrderedScan(index, constraints, filter, sort);
      if (candidate && (!best || candidate.boundFields > best.boundFields)) best = candidate;
    }
    return best;
  }

  /** Like `find`, but undefined when no index narrows the filter (when `find` would scan the collection). */
  findIndexed(filter: Doc, options: FindOptions = {}): Iterable<Doc> | undefined {
    const plan = this.plan(filter, options, false);
    return plan.summary.stage === "COLLSCAN" ? undefined : this.read(plan, filter, options);
  }

  private read(plan: ReadPlan, filter: Doc, options: FindOptions): Iterable<Doc> {
    const check = plan.residual ?? filter;
    const matches = Object.keys(check).length === 0 ? undefined : compileFilter(check);
    const stats: FindStats = { ...plan.summary, docsExamined: 0 };
    this.lastFindStats = stats;
    const filterFields = matches ? fieldsReadByFilter(check) : undefined;
    return this.readPlan(plan, matches, stats, {
      // The filter reads `_id` only if it names it (fieldsReadByFilter lists it then).
      matchOn: filterFields && selectFields(filterFields, false),
      output: options.fields && selectFields(options.fields, options.withoutId !== true),
    });
  }

  /** The plan a find with this filter and hint would use, without reading. */
  explain(filter: Doc, options: FindOptions = {}): QueryPlanSummary {
    return this.plan(filter, options).summary;
  }

  /**
   * `matchOn`: the fields the filter reads, decoded alone to decide; `output`: the fields the caller
   * wants. Either missing means the whole document.
   */
  private *readPlan(
    plan: ReadPlan,
    matches: ((doc: Doc) => boolean) | undefined,
    stats: FindStats,
    decode: { matchOn?: FieldSelection; output?: FieldSelection },
  ): Generator<Doc> {
    let source: Iterable<Buffer>;
    if (plan.ids) {
      source = this.buffersOf(plan.ids);
    } else if (plan.reverse) {
      source = [...this.documents.values()].reverse();
    } else if (plan.sortById) {
      source = this.buffersOf(this.idIndex.walk(wholeIndex(this.idIndex)));
    } else {
      source = this.documents.values();
    }
    const required = plan.requiredBytes;
    const { matchOn, output } = decode;
    // When the caller wants every field the filter reads, one partial read serves both.
    const outputDecides = matches && matchOn && output && [...matchOn.names].every((name) => output.names.has(name));
    for (const buffer of source) {
      if (required && !required.some((bytes) => buffer.includes(bytes))) continue;
      stats.docsExamined++;
      if (outputDecides) {
        const doc = readTopLevelFields(buffer, output);
        if (matches(doc)) yield doc;
        continue;
      }
      if (matches && matchOn) {
        if (!matches(readTopLevelFields(buffer, matchOn))) continue;
        yield output ? readTopLevelFields(buffer, output) : deserialize(buffer);
        continue;
      }
      const doc = output && !matches ? readTopLevelFields(buffer, output) : deserialize(buffer);
      if (!matches || matches(doc)) yield output && matches ? readTopLevelFields(buffer, output) : doc;
    }
  }

  private *buffersOf(ids: Iterable<string>): Generator<Buffer> {
    for (const id of ids) {
      // A document removed since the plan was made is skipped.
      const buffer = this.documents.get(id);
      if (buffer) yield buffer;
    }
  }

  private resolveHint(hint: string | Doc): ResolvedHint {
    if (typeof hint === "string") {
      if (hint === ID_INDEX_NAME) return { kind: "id" };
      const index = this.indexes.get(hint);
      if (!index) throw badHint();
      return { kind: "index", index };
    }
    if (!isPlainDocument(hint)) throw badHint();
    const keys = Object.keys(hint);
    if (keys.length === 1 && keys[0] === "$natural") {
      return { kind: "natural", direction: toNumber(hint.$natural) < 0 ? -1 : 1 };
    }
    if (sameKeyPattern(hint, ID_INDEX_SPEC.key)) return { kind: "id" };
    for (const index of this.indexes.values()) if (sameKeyPattern(hint, index.spec.key)) return { kind: "index", index };
    throw badHint();
  }

  /**
   * `preferScan`: an unhinted index plan whose candidates are most of the collection becomes a scan
   * (reading the documents in storage order is cheaper than fetching nearly all of them by id).
   */
  private plan(filter: Doc, options: FindOptions, preferScan = true): ReadPlan {
    if (preferScan && options.hint === undefined && this.documents.size >= SCAN_MIN_DOCUMENTS) {
      const constraints = extractConstraints(filter);
      // Equality and $in are answered by an index without a sample: sampling walks the whole
      // document map, which would cost an indexed point query more than the query itself.
      const pointOrGeo = [...constraints.values()].some((field) => field.pointSets.length > 0 || field.geo.length > 0);
      if (!pointOrGeo && this.sampleMostlyMatches(filter)) {
        return { summary: { stage: "COLLSCAN" }, requiredBytes: requiredStringBytes(constraints) };
      }
    }
    const plan = this.planWithIndexes(filter, options);
    if (!preferScan || options.hint !== undefined || !Array.isArray(plan.ids)) return plan;
    // An exact plan re-checks nothing, which a scan would.
    if ((plan.summary.stage !== "IXSCAN" && plan.summary.stage !== "OR") || isEmpty(plan.residual)) return plan;
    const size = this.documents.size;
    if (size < SCAN_MIN_DOCUMENTS || plan.ids.length <= size * SCAN_SHARE) return plan;
    return { summary: { stage: "COLLSCAN" }, requiredBytes: requiredStringBytes(extractConstraints(filter)) };
  }

  /**
   * Whether more than SCAN_SHARE of SCAN_SAMPLE documents spread evenly over the collection match
   * `filter` (decoding only the fields it reads): an estimate that spares building index candidate
   * lists that would be read as a scan anyway.
   */
  private sampleMostlyMatches(filter: Doc): boolean {
    if (Object.keys(filter).length === 0) return true;
    const fields = fieldsReadByFilter(filter);
    if (!fields) return false;
    const matches = compileFilter(filter);
    const selection = selectFields(fields, false);
    const step = Math.max(1, Math.floor(this.documents.size / SCAN_SAMPLE));
    let position = 0;
    let sampled = 0;
    let matched = 0;
    for (const buffer of this.documents.values()) {
      if (position++ % step !== 0) continue;
      sampled++;
      if (matches(readTopLevelFields(buffer, selection))) matched++;
      if (sampled === SCAN_SAMPLE) break;
    }
    return matched > sampled * SCAN_SHARE;
  }

  private planWithIndexes(filter: Doc, options: FindOptions): ReadPlan {
    const hint = options.hint === undefined ? undefined : this.resolveHint(options.hint);
    const constraints = extractConstraints(filter);

    if (hint?.kind === "natural") return { summary: { stage: "COLLSCAN" }, reverse: hint.direction === -1 };

    const idConstraint = constraints.get("_id");
    if (idConstraint && idConstraint.pointSets.length > 0 && (hint === undefined || hint.kind === "id")) {
      const points = idConstraint.pointSets.reduce((best, set) => (set.length < best.length ? set : best));
      const ids = [...new Set(points.map((point) => canonicalKey(point)))];
      return { summary: { stage: "IDHACK", indexName: ID_INDEX_NAME }, ids };
    }
    if (hint?.kind === "id") return { summary: { stage: "IXSCAN", indexName: ID_INDEX_NAME }, sortById: true };

    const geoPlan = this.planGeo(constraints, hint?.kind === "index" ? hint.index : undefined);
    if (geoPlan) {
      // "Named like this, in that district": the documents both indexes list, the area still re-checked
      // (geo candidates are a superset), the conditions the B-tree lookups answer exactly not.
      const narrower = hint === undefined ? this.planBTree(filter, constraints) : undefined;
      if (!narrower || !(geoPlan.ids instanceof Set) || !Array.isArray(narrower.ids)) return geoPlan;
      const inArea = geoPlan.ids;
      return {
        summary: { stage: "AND_HASH", indexName: `${narrower.summary.indexName},${geoPlan.summary.indexName}` },
        ids: narrower.ids.filter((id) => inArea.has(id)),
        ...(narrower.residual ? { residual: narrower.residual } : {}),
      };
    }

    if (hint?.kind === "index") {
      const index = hint.index;
      if (index.isGeo) return { summary: { stage: "COLLSCAN" } };
      const indexPlan = planIndex(index, constraints, filter, true);
      return this.indexRead(indexPlan ?? { index, intervals: [], equalityFields: 0, rangeField: false }, indexPlan === undefined);
    }

    const indexed = this.planBTree(filter, constraints);
    // A unique lookup cannot be beaten; otherwise the smaller candidate set wins.
    const orRead = indexed?.unique ? undefined : this.planOr(filter, constraints);
    if (orRead && (!indexed || (orRead.ids as string[]).length < (candidateCount(indexed) ?? Number.POSITIVE_INFINITY))) return orRead;
    if (indexed) return indexed;
    return { summary: { stage: "COLLSCAN" }, requiredBytes: requiredStringBytes(constraints) };
  }

  /**
   * The best B-tree plan for a filter: the best-scoring single index, or the intersection of
   * string-equality lookups (mongod's AND_HASH) when that lists fewer documents. Conditions the
   * lookups answer exactly are left out of the re-check (see `splitConditions`).
   */
  private planBTree(filter: Doc, constraints: ReturnType<typeof extractConstraints>): (ReadPlan & { unique?: boolean }) | undefined {
    const best = this.bestIndexPlan(constraints, filter);
    const conditions = splitConditions(filter);
    const bestRead = best && { ...this.indexRead(best, false), ...residualOf(conditions, answeredBy(best, conditions)), unique: planScore(best) >= 1000 };
    if (bestRead?.unique || !conditions) return bestRead;
    const intersection = this.planEqualities(conditions);
    if (intersection && (!bestRead || (intersection.ids as string[]).length < (bestRead.ids as string[]).length)) return intersection;
    return bestRead;
  }

  /**
   * The best-scoring B-tree plan (planScore). Plans that score alike are told apart by how many keys
   * their intervals hold, counted in the trees: `{resolvedAt: {$gte: t}, receivedAt: {$lt: t}}` has a
   * range on either index, and the one holding a handful of late resolutions must win over the one
   * holding every request received before `t`. The counts stop at a limit that doubles until one of
   * them falls under it, so the comparison costs about as much as reading the winner's interval; the
   * first index (creation order) wins an exact tie, as before.
   */
  private bestIndexPlan(constraints: ReturnType<typeof extractConstraints>, filter: Doc): IndexPlan | undefined {
    let tied: IndexPlan[] = [];
    for (const index of this.indexes.values()) {
      if (index.isGeo || index.spec.hidden === true) continue;
      const candidate = planIndex(index, constraints, filter);
      if (!candidate) continue;
      const order = tied.length === 0 ? 1 : planScore(candidate) - planScore(tied[0]);
      if (order > 0) tied = [candidate];
      else if (order === 0) tied.push(candidate);
    }
    if (tied.length < 2) return tied[0];
    // Counted up to a doubling limit, so that no count runs past twice the smallest interval.
    for (let limit = 64; ; limit *= 2) {
      const counts = tied.map((candidate) => keysIn(candidate, limit));
      const fewest = Math.min(...counts);
      if (fewest < limit || limit >= this.documents.size * 2) return tied[counts.indexOf(fewest)];
    }
  }

  /**
   * The documents meeting every string equality of the filter that some index leads with, as the
   * intersection of one lookup per condition, smallest first; those conditions need no re-check.
   */
  private planEqualities(conditions: Conditions): ReadPlan | undefined {
    const lookups: { index: SecondaryIndex; ids: string[]; condition: number }[] = [];
    conditions.forEach((condition, position) => {
      if (condition.equality === undefined) return;
      const { path, value } = condition.equality;
      const index = [...this.indexes.values()].find(
        (candidate) => !candidate.isGeo && !candidate.partial && candidate.spec.hidden !== true && candidate.treeFields[0]?.path === path,
      );
      if (!index) return;
      const rest = index.treeFields.slice(1);
      const ids = index.idsIn({ low: [value, ...rest.map(() => LOWEST)], high: [value, ...rest.map(() => HIGHEST)] });
      lookups.push({ index, ids: index.multikey ? dedupe(ids) : ids, condition: position });
    });
    if (lookups.length < 2) return undefined;
    lookups.sort((a, b) => a.ids.length - b.ids.length);
    let ids = lookups[0].ids;
    for (const other of lookups.slice(1)) {
      if (ids.length === 0) break;
      const allowed = new Set(other.ids);
      ids = ids.filter((id) => allowed.has(id));
    }
    const names = [...new Set(lookups.map((lookup) => lookup.index.name))];
    return {
      summary: { stage: "AND_HASH", indexName: names.join(",") },
      ids,
      ...residualOf(conditions, new Set(lookups.map((lookup) => lookup.condition))),
    };
  }

  /**
   * A top-level `$or` whose every branch an index can answer (each branch with the conditions all
   * documents must meet besides): the union of the branches' index scans, each id once. Undefined
   * when some branch would need a scan.
   */
  private planOr(filter: Doc, constraints: ReturnType<typeof extractConstraints>): ReadPlan | undefined {
    const branches = topLevelOr(filter);
    if (!branches) return undefined;
    const ids = new Set<string>();
    const names = new Set<string>();
    for (const branch of branches) {
      const branchConstraints = extractConstraints(branch);
      for (const [path, outer] of constraints) {
        const inner = branchConstraints.get(path);
        if (!inner) branchConstraints.set(path, outer);
        else
          branchConstraints.set(path, {
            pointSets: [...outer.pointSets, ...inner.pointSets],
            ranges: [...outer.ranges, ...inner.ranges],
            geo: [...outer.geo, ...inner.geo],
          });
      }
      const best = this.bestIndexPlan(branchConstraints, { $and: [filter, branch] });
      const idPoints = branchConstraints.get("_id")?.pointSets;
      if (idPoints && idPoints.length > 0 && (!best || planScore(best) < 1000)) {
        const points = idPoints.reduce((fewest, set) => (set.length < fewest.length ? set : fewest));
        for (const point of points) ids.add(canonicalKey(point));
        names.add(ID_INDEX_NAME);
        continue;
      }
      if (!best) return undefined;
      names.add(best.index.name);
      for (const id of this.indexRead(best, false).ids as string[]) ids.add(id);
    }
    return { summary: { stage: "OR", indexName: [...names].join(",") }, ids: [...ids] };
  }

  private indexRead(plan: IndexPlan, wholeIndex: boolean): ReadPlan {
    const summary: QueryPlanSummary = { stage: "IXSCAN", indexName: plan.index.name };
    if (wholeIndex) return { summary, ids: dedupe(plan.index.allIds()) };
    const ids: string[] = [];
    for (const interval of plan.intervals) for (const id of plan.index.idsIn(interval)) ids.push(id);
    return { summary, ids: plan.intervals.length > 1 || plan.index.multikey ? dedupe(ids) : ids };
  }

  /** `$near`/`$nearSphere` need a 2dsphere index, as in mongod; `$geoWithin`/`$geoIntersects` use one when there is. */
  private planGeo(constraints: ReturnType<typeof extractConstraints>, hinted: SecondaryIndex | undefined): ReadPlan | undefined {
    for (const [path, fieldConstraints] of constraints) {
      for (const { operator, operand } of fieldConstraints.geo) {
        const index = [...this.indexes.values()].find(
          (candidate) => candidate.geoField?.path === path && (hinted === undefined || hinted === candidate) && !candidate.partial,
        );
        const isNear = operator === "$near" || operator === "$nearSphere";
        if (!index) {
          if (isNear) {
            throw new MongoCommandError(
              ErrorCodes.NoQueryExecutionPlans,
              `error processing query: ns=${this.namespace} planner returned error :: caused by :: unable to find index for $geoNear query`,
            );
          }
          continue;
        }
        const candidates = index.geoCandidates(operator as GeoOperator, operand);
        if (candidates) return { summary: { stage: "GEO", indexName: index.name }, ids: candidates };
      }
    }
    return undefined;
  }

  /** Inserts a document that already has its `_id`. Throws E11000 (DuplicateKey, with keyPattern and keyValue) or BSONObjectTooLarge (10334), or 16755 for unindexable geo values. */
  insert(doc: Doc): void {
    const id = validateId(doc);
    const key = canonicalKey(id);
    if (this.documents.has(key)) {
      throw duplicateKeyError(this.namespace, ID_INDEX_NAME, { _id: 1 }, { _id: id });
    }
    const buffer = serializeDocument(doc, true);
    this.applyIndexChanges(key, undefined, doc);
    this.idIndex.add(key, { tuples: [[id]] });
    this.documents.set(key, buffer);
    this.totalSize += buffer.length;
    this.context.journal({ op: "put", db: this.#dbName, coll: this.#name, doc });
  }

  /** Replaces the stored document that has `doc._id`. Same errors as insert. */
  replace(doc: Doc): void {
    const id = validateId(doc);
    const key = canonicalKey(id);
    const previous = this.documents.get(key);
    if (!previous) throw new MongoCommandError(ErrorCodes.NoSuchKey, `no document with _id ${formatKeyValue(id)} to replace`);
    const buffer = serializeDocument(doc, false);
    this.applyIndexChanges(key, this.indexes.size > 0 ? deserialize(previous) : undefined, doc);
    // Map.set on an existing key keeps its place: a replaced document keeps its natural position.
    this.documents.set(key, buffer);
    this.totalSize += buffer.length - previous.length;
    this.context.journal({ op: "put", db: this.#dbName, coll: this.#name, doc });
  }

  /** Removes the document with this `_id`; false when none. */
  remove(id: unknown): boolean {
    const key = canonicalKey(id);
    const previous = this.documents.get(key);
    if (!previous) return false;
    if (this.indexes.size > 0) this.applyIndexChanges(key, deserialize(previous), undefined);
    this.idIndex.remove(key, { tuples: [[id]] });
    this.documents.delete(key);
    this.totalSize -= previous.length;
    this.context.journal({ op: "delete", db: this.#dbName, coll: this.#name, id });
    return true;
  }

  /** Replay of a `put` record: insert or replace, whichever applies. */
  put(doc: Doc): void {
    if (this.documents.has(canonicalKey(validateId(doc)))) this.replace(doc);
    else this.insert(doc);
  }

  /**
   * Moves a document's index entries from `before` to `after`, all or nothing: every key is computed
   * and every unique index checked before anything changes; geo indexes (which validate while adding)
   * are updated next and rolled back should one refuse; the B-trees, which cannot fail, come last.
   */
  private applyIndexChanges(key: string, before: Doc | undefined, after: Doc | undefined): void {
    if (this.indexes.size === 0) return;
    const changes: { index: SecondaryIndex; oldKeys: IndexKeys | undefined; newKeys: IndexKeys | undefined }[] = [];
    for (const index of this.indexes.values()) {
      const oldKeys = before ? index.keysOf(before) : undefined;
      const newKeys = after ? index.keysOf(after) : undefined;
      if (newKeys && !index.isGeo) {
        const duplicate = index.findDuplicate(newKeys.tuples, key);
        if (duplicate) throw this.duplicateOn(index, duplicate);
      }
      if (!index.sameKeys(oldKeys, newKeys)) changes.push({ index, oldKeys, newKeys });
    }
    const geoApplied: (typeof changes)[number][] = [];
    try {
      for (const change of changes) {
        if (!change.index.isGeo) continue;
        geoApplied.push(change);
        if (change.oldKeys) change.index.remove(key, change.oldKeys);
        if (change.newKeys) change.index.add(key, change.newKeys);
      }
    } catch (error) {
      for (const change of geoApplied) {
        change.index.remove(key, { tuples: [] });
        if (change.oldKeys) change.index.add(key, change.oldKeys);
      }
      throw error;
    }
    for (const change of changes) {
      if (change.index.isGeo) continue;
      if (change.oldKeys) change.index.remove(key, change.oldKeys);
      if (change.newKeys) change.index.add(key, change.newKeys);
    }
  }

  private duplicateOn(index: SecondaryIndex, values: unknown[]): MongoCommandError {
    const keyValue: Doc = {};
    index.treeFields.forEach((field, position) => {
      keyValue[field.path] = values[position];
    });
    return duplicateKeyError(this.namespace, index.name, index.spec.key, keyValue);
  }

  listIndexes(): IndexSpec[] {
    return [{ ...ID_INDEX_SPEC, key: { _id: 1 } }, ...[...this.indexes.values()].map((index) => copySpec(index.spec))];
  }

  /** Secondary indexes with a TTL (storage-internal). */
  ttlIndexes(): SecondaryIndex[] {
    return [...this.indexes.values()].filter((index) => index.expireAfterSeconds !== undefined);
  }

  /** Creates indexes (validated: key pattern, name, options; IndexOptionsConflict/IndexKeySpecsConflict on clashes, and a unique index fails with E11000 on existing duplicates). Returns how many existed before and after. */
  createIndexes(specs: Doc[]): { numIndexesBefore: number; numIndexesAfter: number; note?: string } {
    const numIndexesBefore = this.indexes.size + 1;
    const requested: IndexSpec[] = [];
    for (const raw of specs) {
      const spec = normalizeIndexSpec(raw);
      if (this.alreadyExists(spec)) continue;
      const twin = requested.find((other) => other.name === spec.name);
      if (twin) {
        if (sameKeyPattern(twin.key, spec.key) && optionsKey(twin) === optionsKey(spec)) continue;
        throw new MongoCommandError(ErrorCodes.IndexKeySpecsConflict, `Index with name: ${spec.name} already exists with different options`);
      }
      requested.push(spec);
    }
    if (requested.length === 0) {
      return { numIndexesBefore, numIndexesAfter: numIndexesBefore, note: "all indexes already exist" };
    }
    // Every index is built over the existing documents before any becomes visible: one failure creates none.
    const built = requested.map((spec) => this.buildIndex(spec));
    for (const index of built) {
      this.indexes.set(index.name, index);
      this.context.journal({ op: "createIndex", db: this.#dbName, coll: this.#name, spec: index.spec });
    }
    return { numIndexesBefore, numIndexesAfter: this.indexes.size + 1 };
  }

  /** True when an identical index exists; throws when the request clashes with an existing one. */
  private alreadyExists(spec: IndexSpec): boolean {
    const existingSpecs = [ID_INDEX_SPEC, ...[...this.indexes.values()].map((index) => index.spec)];
    for (const existing of existingSpecs) {
      const sameName = existing.name === spec.name;
      const sameKey = sameKeyPattern(existing.key, spec.key);
      if (sameName && !sameKey) {
        throw new MongoCommandError(
          ErrorCodes.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(existing)}`,
        );
      }
      if (!sameKey) continue;
      const sameOptions = existing === ID_INDEX_SPEC ? isIdIndexRequest(spec) : optionsKey(existing) === optionsKey(spec);
      if (sameName) {
        if (sameOptions) return true;
        throw new MongoCommandError(
          ErrorCodes.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(existing)}`,
        );
      }
      if (existing === ID_INDEX_SPEC || distinguishingOptionsKey(existing) === distinguishingOptionsKey(spec)) {
        throw new MongoCommandError(ErrorCodes.IndexOptionsConflict, `Index already exists with a different name: ${existing.name}`);
      }
    }
    return false;
  }

  private buildIndex(spec: IndexSpec): SecondaryIndex {
    const index = new SecondaryIndex(spec);
    for (const [key, buffer] of this.documents) {
      const doc = deserialize(buffer);
      const keys = index.keysOf(doc);
      if (!keys) continue;
      if (!index.isGeo) {
        const duplicate = index.findDuplicate(keys.tuples, key);
        if (duplicate) throw this.duplicateOn(index, duplicate);
      }
      index.add(key, keys);
    }
    return index;
  }

  /** Drops by name, key pattern or "*" (all but _id_). IndexNotFound (27) when none; cannot drop _id_ (InvalidOptions 72). */
  dropIndexes(index: string | Doc | string[]): void {
    const names = this.indexNamesToDrop(index);
    for (const name of names) {
      this.indexes.delete(name);
      this.context.journal({ op: "dropIndex", db: this.#dbName, coll: this.#name, name });
    }
  }

  private indexNamesToDrop(index: string | Doc | string[]): string[] {
    const cannotDropId = () => new MongoCommandError(ErrorCodes.InvalidOptions, "cannot drop _id index");
    if (index === "*") return [...this.indexes.keys()];
    const byName = (name: string): string => {
      if (name === ID_INDEX_NAME) throw cannotDropId();
      if (!this.indexes.has(name)) throw new MongoCommandError(ErrorCodes.IndexNotFound, `index not found with name [${name}]`);
      return name;
    };
    if (typeof index === "string") return [byName(index)];
    if (Array.isArray(index)) {
      if (index.includes("*")) {
        throw new MongoCommandError(ErrorCodes.BadValue, "'*' is not allowed in an array of index names");
      }
      return [...new Set(index.map((name) => byName(String(name))))];
    }
    if (sameKeyPattern(index, ID_INDEX_SPEC.key)) throw cannotDropId();
    const matching = [...this.indexes.values()].filter((candidate) => sameKeyPattern(candidate.spec.key, index));
    if (matching.length === 0) {
      throw new MongoCommandError(ErrorCodes.IndexNotFound, `can't find index with key: ${formatKeyDocument(index)}`);
    }
    if (matching.length > 1) {
      throw new MongoCommandError(
        281,
        `${matching.length} indexes found for key: ${formatKeyDocument(index)}, identify by name instead. Conflicting indexes: ${matching.map((candidate) => describeSpec(candidate.spec)).join(", ")}`,
        { codeName: "AmbiguousIndexKeyPattern" },
      );
    }
    return [matching[0].name];
  }

  /** Documents whose TTL date is at or before `now - expireAfterSeconds` (storage-internal). */
  expiredIds(index: SecondaryIndex, now: Date): string[] {
    const seconds = index.expireAfterSeconds;
    if (seconds === undefined) return [];
    const cutoff = new Date(now.getTime() - seconds * 1000);
    const earliest = new Date(-8.64e15);
    const interval = index.fields[0].direction === 1 ? { low: [earliest], high: [cutoff] } : { low: [cutoff], high: [earliest] };
    return dedupe(index.idsIn(interval));
  }

  /** Removes by the catalog's id key (storage-internal, for TTL). */
  removeByKey(key: string): boolean {
    const buffer = this.documents.get(key);
    return buffer ? this.remove(deserialize(buffer)._id) : false;
  }

  /** The collection as change records, for a snapshot: the buffers are captured now, decoded when read. */
  snapshotRecords(): () => Generator<ChangeRecord> {
    const dbName = this.#dbName;
    const name = this.#name;
    const options = this.options;
    const specs = [...this.indexes.values()].map((index) => index.spec);
    const buffers = [...this.documents.values()];
    return function* () {
      yield { op: "createCollection", db: dbName, coll: name, options };
      for (const spec of specs) yield { op: "createIndex", db: dbName, coll: name, spec };
      for (const buffer of buffers) yield { op: "put", db: dbName, coll: name, doc: deserialize(buffer) };
    };
  }

  /** Replay of a `createIndex` record. */
  restoreIndex(spec: Doc): void {
    const normalized = normalizeIndexSpec(spec);
    if (this.indexes.has(normalized.name)) return;
    this.indexes.set(normalized.name, this.buildIndex(normalized));
  }

  /** Replay of a `dropIndex` record. */
  forgetIndex(name: string): void {
    this.indexes.delete(name);
  }
}

/**
 * Without collation, a document equal on a field to one of some strings holds one of them verbatim
 * (as a BSON string, also inside an array): the UTF-8 bytes of the first all-string equality or `$in`.
 */
function requiredStringBytes(constraints: ReturnType<typeof extractConstraints>): Buffer[] | undefined {
  for (const fieldConstraints of constraints.values()) {
    for (const points of fieldConstraints.pointSets) {
      if (points.length > 0 && points.every((point) => typeof point === "string" && point.length > 0)) {
        return points.map((point) => Buffer.from(point as string, "utf8"));
      }
    }
  }
  return undefined;
}

/** A filter's top-level conditions (with `$and` flattened), each marked when it is a string equality. */
type Conditions = { clause: Doc; equality?: { path: string; value: string } }[];

/**
 * The conditions every matching document meets, one clause each; undefined when the filter has
 * none. A clause `{a: "x"}` or `{a: {$eq: "x"}}` is a string equality: a string equals only the same
 * string (no other type compares equal to one), so an index lookup of it lists exactly the documents
 * that meet it, through any array element as the query does. Paths with a numeric part are not
 * marked: a query reads `a.0` both as a position and as a field of array elements, an index only as a position.
 */
function splitConditions(filter: Doc): Conditions | undefined {
  const conditions: Conditions = [];
  const collect = (clause: Doc): void => {
    for (const [key, condition] of Object.entries(clause)) {
      if (key === "$and" && Array.isArray(condition) && condition.length > 0 && condition.every(isPlainDocument)) {
        for (const inner of condition) collect(inner);
        continue;
      }
      const single: Doc = { [key]: condition };
      const value =
        typeof condition === "string" ? condition : isPlainDocument(condition) && Object.keys(condition).length === 1 ? condition.$eq : undefined;
      const plainPath = !key.startsWith("$") && !key.split(".").some((part) => /^\d+$/.test(part));
      conditions.push(typeof value === "string" && plainPath ? { clause: single, equality: { path: key, value } } : { clause: single });
    }
  };
  collect(filter);
  return conditions.length > 0 ? conditions : undefined;
}

/** Which string equalities an index plan answers exactly: those it binds to that very string. */
function answeredBy(plan: IndexPlan, conditions: Conditions | undefined): Set<number> {
  const answered = new Set<number>();
  if (!conditions || plan.intervals.length !== 1) return answered;
  const [interval] = plan.intervals;
  conditions.forEach((condition, position) => {
    const equality = condition.equality;
    if (!equality) return;
    const field = plan.index.treeFields.findIndex((candidate, i) => i < plan.equalityFields && candidate.path === equality.path);
    if (field >= 0 && interval.low[field] === equality.value && interval.high[field] === equality.value) answered.add(position);
  });
  return answered;
}

/** The re-check left once the `answered` conditions are known to hold: nothing to add when none are. */
function residualOf(conditions: Conditions | undefined, answered: Set<number>): { residual?: Doc } {
  if (!conditions || answered.size === 0) return {};
  const rest = conditions.filter((_, position) => !answered.has(position)).map((condition) => condition.clause);
  return { residual: rest.length === 0 ? {} : rest.length === 1 ? rest[0] : { $and: rest } };
}

/** The keys inside a plan's intervals, counted no further than `limit`. */
function keysIn(plan: IndexPlan, limit = Number.POSITIVE_INFINITY): number {
  let keys = 0;
  for (const interval of plan.intervals) {
    keys += plan.index.countIn(interval, limit - keys);
    if (keys >= limit) break;
  }
  return keys;
}

function isEmpty(filter: Doc | undefined): boolean {
  return filter !== undefined && Object.keys(filter).length === 0;
}

/** How many documents a plan would examine, when it lists them up front; undefined for a scan. */
function candidateCount(plan: ReadPlan): number | undefined {
  const ids = plan.ids;
  if (Array.isArray(ids)) return ids.length;
  if (ids instanceof Set) return ids.size;
  return undefined;
}

function wholeIndex(index: SecondaryIndex): { low: unknown[]; high: unknown[] } {
  return { low: index.treeFields.map(() => LOWEST), high: index.treeFields.map(() => HIGHEST) };
}

function* concatenate(first: readonly Doc[], rest: Iterator<Doc>): Generator<Doc> {
  yield* first;
  for (let step = rest.next(); !step.done; step = rest.next()) yield step.value;
}

function isIdIndexRequest(spec: IndexSpec): boolean {
  // `unique: true` on {_id: 1} says what the _id index already is.
  const { unique: _unique, ...rest } = spec;
  return optionsKey(rest as IndexSpec) === optionsKey(ID_INDEX_SPEC);
}

function copySpec(spec: IndexSpec): IndexSpec {
  // Specs hold only BSON values; a shallow copy with a copied key pattern keeps callers off stored state.
  return { ...spec, key: { ...spec.key } };
}

/** The branches of a `$or` at the top of a filter or among its top-level `$and` clauses (the first one found). */
function topLevelOr(filter: Doc): Doc[] | undefined {
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$or" && Array.isArray(value) && value.length > 0 && value.every(isPlainDocument)) return value;
    if (key === "$and" && Array.isArray(value)) {
      for (const clause of value) {
        const found = isPlainDocument(clause) ? topLevelOr(clause) : undefined;
        if (found) return found;
      }
    }
  }
  return undefined;
}

function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}


export class Database {
  readonly name: string;
  private readonly collections = new Map<string, Collection>();
  private readonly context: CatalogContext;

  constructor(name: string, context: CatalogContext) {
    this.name = name;
    this.context = context;
  }

  listCollections(): Collection[] {
    return [...this.collections.values()];
  }

  getCollection(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  /** NamespaceExists (48) when it exists; validates the name (InvalidNamespace 73). */
  createCollection(name: string, options: Doc = {}): Collection {
    validateCollectionName(this.name, name);
    if (this.collections.has(name)) {
      throw new MongoCommandError(ErrorCodes.NamespaceExists, `Collection ${this.name}.${name} already exists.`);
    }
    const collection = new Collection(this.name, name, options, this.context);
    this.collections.set(name, collection);
    this.context.journal({ op: "createCollection", db: this.name, coll: name, options });
    return collection;
  }

  /** Gets or implicitly creates (as an insert or createIndexes does). */
  collection(name: string): Collection {
    return this.collections.get(name) ?? this.createCollection(name, {});
  }

  dropCollection(name: string): boolean {
    if (!this.collections.delete(name)) return false;
    this.context.journal({ op: "dropCollection", db: this.name, coll: name });
    return true;
  }

  /** Takes in a collection moved here by a rename (storage-internal). */
  adopt(collection: Collection): void {
    this.collections.set(collection.name, collection);
  }

  /** Lets go of a collection being moved away by a rename (storage-internal). */
  release(name: string): Collection | undefined {
    const collection = this.collections.get(name);
    this.collections.delete(name);
    return collection;
  }
}

export class Storage {
  private readonly databases = new Map<string, Database>();
  private readonly durability: Durability;
  private readonly logger: Logger;
  private readonly context: CatalogContext;
  /** While replaying, changes are already in the journal: they must not be written again. */
  private replaying = false;
  private ttlTimer: NodeJS.Timeout | undefined;
  private compaction: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(durability: Durability, logger: Logger) {
    this.durability = durability;
    this.logger = logger;
    this.context = {
      journal: (record) => {
        if (!this.replaying) this.durability.append(record as unknown as Doc);
      },
      logger,
    };
  }

  static async open(options: { dataDir?: string; logger?: Logger; ttlIntervalMs?: number }): Promise<Storage> {
    const logger = options.logger ?? createStderrLogger();
    const durability = openDurability({ dataDir: options.dataDir, logger });
    const storage = new Storage(durability, logger);
    storage.replaying = true;
    try {
      await durability.open((record) => storage.replay(record));
    } finally {
      storage.replaying = false;
    }
    storage.startTtlTimer(options.ttlIntervalMs ?? TTL_DEFAULT_INTERVAL_MS);
    return storage;
  }

  /** Applies one journal record. A record that no longer applies is logged and skipped: a bad record must not stop the server from starting. */
  private replay(raw: Doc): void {
    const record = raw as unknown as ChangeRecord;
    try {
      switch (record.op) {
        case "createCollection": {
          const database = this.database(record.db);
          if (!database.getCollection(record.coll)) database.createCollection(record.coll, record.options ?? {});
          break;
        }
        case "dropCollection":
          this.getDatabase(record.db)?.dropCollection(record.coll);
          break;
        case "renameCollection":
          this.renameCollection(record.db, record.coll, record.toDb, record.toColl, true);
          break;
        case "dropDatabase":
          this.dropDatabase(record.db);
          break;
        case "createIndex":
          this.database(record.db).collection(record.coll).restoreIndex(record.spec);
          break;
        case "dropIndex":
          this.getDatabase(record.db)?.getCollection(record.coll)?.forgetIndex(record.name);
          break;
        case "put":
          this.database(record.db).collection(record.coll).put(record.doc);
          break;
        case "delete":
          this.getDatabase(record.db)?.getCollection(record.coll)?.remove(record.id);
          break;
        default:
          this.logger.warn({ record: (raw as { op?: unknown }).op }, "skipping a journal record of unknown kind");
      }
    } catch (error) {
      this.logger.warn({ err: error, op: record.op, db: record.db }, "skipping a journal record that does not apply");
    }
  }

  listDatabases(): Database[] {
    return [...this.databases.values()];
  }

  getDatabase(name: string): Database | undefined {
    return this.databases.get(name);
  }

  /** Gets or creates an (empty, unpersisted until it has a collection) database. */
  database(name: string): Database {
    let database = this.databases.get(name);
    if (!database) {
      validateDatabaseName(name);
      database = new Database(name, this.context);
      this.databases.set(name, database);
    }
    return database;
  }

  dropDatabase(name: string): boolean {
    const database = this.databases.get(name);
    if (!database) return false;
    this.databases.delete(name);
    if (database.listCollections().length > 0) this.context.journal({ op: "dropDatabase", db: name });
    return true;
  }

  /** NamespaceNotFound (26) when the source is missing; NamespaceExists (48) when the target exists and !dropTarget. */
  renameCollection(fromDb: string, fromColl: string, toDb: string, toColl: string, dropTarget: boolean): void {
    const source = this.getDatabase(fromDb)?.getCollection(fromColl);
    if (!source) {
      throw new MongoCommandError(ErrorCodes.NamespaceNotFound, `Source collection ${fromDb}.${fromColl} does not exist`);
    }
    validateDatabaseName(toDb);
    validateCollectionName(toDb, toColl);
    if (fromDb === toDb && fromColl === toColl) {
      throw new MongoCommandError(ErrorCodes.IllegalOperation, "Can't rename a collection to itself");
    }
    const targetDatabase = this.database(toDb);
    if (targetDatabase.getCollection(toColl)) {
      if (!dropTarget) throw new MongoCommandError(ErrorCodes.NamespaceExists, "target namespace exists");
      targetDatabase.dropCollection(toColl);
    }
    this.getDatabase(fromDb)!.release(fromColl);
    source.moveTo(toDb, toColl);
    targetDatabase.adopt(source);
    this.context.journal({ op: "renameCollection", db: fromDb, coll: fromColl, toDb, toColl });
  }

  /** Removes documents past their TTL index expiry; runs by itself every ttlIntervalMs (default 60 s). Returns how many. */
  expireTtl(now: Date = new Date()): number {
    let removed = 0;
    for (const database of this.databases.values()) {
      for (const collection of database.listCollections()) {
        for (const index of collection.ttlIndexes()) {
          for (const key of collection.expiredIds(index, now)) if (collection.removeByKey(key)) removed++;
        }
      }
    }
    return removed;
  }

  private startTtlTimer(intervalMs: number): void {
    this.ttlTimer = setInterval(() => {
      try {
        const removed = this.expireTtl();
        if (removed > 0) {
          this.logger.debug({ removed }, "TTL indexes removed expired documents");
          this.sync().catch((error: unknown) => this.logger.error({ err: error }, "writing TTL removals failed"));
        }
      } catch (error) {
        this.logger.error({ err: error }, "TTL expiry failed");
      }
    }, intervalMs);
    this.ttlTimer.unref();
  }

  /** Durability barrier: resolves once every change so far is on disk (immediately in memory). */
  async sync(): Promise<void> {
    await this.durability.sync();
    this.compactIfGrown();
  }

  /** Total BSON size of every document: what a snapshot holds. */
  private liveDataSize(): number {
    let size = 0;
    for (const database of this.databases.values()) {
      for (const collection of database.listCollections()) size += collection.dataSize();
    }
    return size;
  }

  /** Starts a compaction in the background once the journal is much larger than the data it describes. */
  private compactIfGrown(): void {
    if (this.compaction || this.closing) return;
    if (this.durability.journalBytes() <= 2 * this.liveDataSize() + COMPACTION_SLACK_BYTES) return;
    void this.compact().catch((error: unknown) => this.logger.error({ err: error }, "journal compaction failed"));
  }

  /** Rewrites the journal as a snapshot of the current state. */
  compact(): Promise<void> {
    this.compaction ??= this.durability
      .compact(() => this.snapshotRecords())
      .finally(() => {
        this.compaction = undefined;
      });
    return this.compaction;
  }

  /** Captures every collection's buffers now (one moment, whenever the records are read), decoding them lazily. */
  private snapshotRecords(): Iterable<Doc> {
    const collections = [...this.databases.values()].flatMap((database) =>
      database.listCollections().map((collection) => collection.snapshotRecords()),
    );
    return (function* () {
      for (const records of collections) for (const record of records()) yield record as unknown as Doc;
    })();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.ttlTimer) clearInterval(this.ttlTimer);
      this.ttlTimer = undefined;
      await this.compaction?.catch(() => undefined);
      await this.durability.close();
    })();
    return this.closing;
  }
}
