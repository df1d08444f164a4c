/**
 * Which part of a filter an index can answer. Only conditions that every matching document must
 * meet are used (top-level fields and `$and`), and only as a superset: the catalog re-checks every
 * candidate with the full filter, so the plan narrows and never decides.
 */
import { ObjectId } from "bson";
import { bsonTypeOf, canonicalKey, compareValues, type Doc } from "../bson-values.js";
import { compileFilter } from "../query/matcher.js";
import { isPlainDocument } from "./index-keys.js";
import { HIGHEST, LOWEST, type KeyInterval, type SecondaryIndex } from "./secondary-index.js";

export type GeoOperator = "$geoWithin" | "$geoIntersects" | "$near" | "$nearSphere";

/** A closed range of one field's values, in value order (LOWEST/HIGHEST where unbounded). */
export interface ValueRange {
  low: unknown;
  high: unknown;
}

export interface FieldConstraints {
  /** Each entry: the field equals one of these values (from an equality or `$in`); ANDed. */
  pointSets: unknown[][];
  /** Each entry: the field lies in this range (one per comparison operator); ANDed. */
  ranges: ValueRange[];
  geo: { operator: GeoOperator; operand: unknown }[];
}

const geoOperators = new Set<string>(["$geoWithin", "$geoIntersects", "$near", "$nearSphere"]);

/** The constraints every matching document meets, per field path. */
export function extractConstraints(filter: Doc): Map<string, FieldConstraints> {
  const constraints = new Map<string, FieldConstraints>();
  collectConstraints(filter, constraints);
  return constraints;
}

function constraintsOf(constraints: Map<string, FieldConstraints>, path: string): FieldConstraints {
  let found = constraints.get(path);
  if (!found) {
    found = { pointSets: [], ranges: [], geo: [] };
    constraints.set(path, found);
  }
  return found;
}

function collectConstraints(filter: Doc, constraints: Map<string, FieldConstraints>): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainDocument(clause)) collectConstraints(clause, constraints);
      continue;
    }
    if (key.startsWith("$")) continue;
    if (isOperatorDocument(condition)) {
      collectOperators(condition, constraintsOf(constraints, key));
    } else if (isIndexablePoint(condition)) {
      constraintsOf(constraints, key).pointSets.push([condition]);
    }
  }
}

function isOperatorDocument(value: unknown): value is Doc {
  if (!isPlainDocument(value)) return false;
  const first = Object.keys(value)[0];
  return first !== undefined && first.startsWith("$");
}

/**
 * Values an equality can look up directly. Arrays (which also match as a whole), regular expressions
 * (which match as patterns) and undefined take the scan.
 */
function isIndexablePoint(value: unknown): boolean {
  const type = bsonTypeOf(value);
  return type !== "array" && type !== "regex" && type !== "undefined";
}

function collectOperators(operators: Doc, into: FieldConstraints): void {
  for (const [operator, operand] of Object.entries(operators)) {
    switch (operator) {
      case "$eq":
        if (isIndexablePoint(operand)) into.pointSets.push([operand]);
        break;
      case "$in":
        if (Array.isArray(operand) && operand.every(isIndexablePoint)) into.pointSets.push(operand);
        break;
      case "$gt":
      case "$gte":
        if (isIndexablePoint(operand)) into.ranges.push({ low: operand, high: bracketEnd(operand) });
        break;
      case "$lt":
      case "$lte":
        if (isIndexablePoint(operand)) into.ranges.push({ low: bracketStart(operand), high: operand });
        break;
      default:
        if (geoOperators.has(operator)) into.geo.push({ operator: operator as GeoOperator, operand });
        break;
    }
  }
}

const MIN_DATE = new Date(-8.64e15);
const MAX_DATE = new Date(8.64e15);

/**
 * Comparisons only match values of the operand's own type bracket, so a range can stop at the
 * bracket's edge. Where the edge is not known exactly, the whole index side is taken.
 */
function bracketStart(value: unknown): unknown {
  switch (bsonTypeOf(value)) {
    case "int":
    case "long":
    case "double":
    case "decimal":
      return Number.NaN;
    case "string":
    case "symbol":
      return "";
    case "date":
      return MIN_DATE;
    case "objectId":
      return new ObjectId("000000000000000000000000");
    case "null":
      return null;
    default:
      return LOWEST;
  }
}

function bracketEnd(value: unknown): unknown {
  switch (bsonTypeOf(value)) {
    case "int":
    case "long":
    case "double":
    case "decimal":
      return Number.POSITIVE_INFINITY;
    case "string":
    case "symbol":
      // The smallest document starts the next bracket; the re-check drops it should it be stored.
      return {};
    case "date":
      return MAX_DATE;
    case "objectId":
      return new ObjectId("ffffffffffffffffffffffff");
    case "null":
      return null;
    default:
      return HIGHEST;
  }
}

function compareBound(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === LOWEST || b === HIGHEST) return -1;
  if (a === HIGHEST || b === LOWEST) return 1;
  return compareValues(a, b);
}

/** The ranges a field's constraints allow; several ANDed ranges are intersected unless the index is multikey. */
function fieldRanges(constraints: FieldConstraints, multikey: boolean): { ranges: ValueRange[]; equality: boolean } | undefined {
  if (constraints.pointSets.length > 0) {
    // The smallest set narrows most; ANDed sets are all re-checked anyway.
    const points = constraints.pointSets.reduce((best, set) => (set.length < best.length ? set : best));
    const distinct = new Map<string, unknown>();
    for (const point of points) distinct.set(canonicalKey(point), point);
    const sorted = [...distinct.values()].sort(compareValues);
    return { ranges: sorted.map((point) => ({ low: point, high: point })), equality: true };
  }
  if (constraints.ranges.length === 0) return undefined;
  // On a multikey index, `$gt` and `$lt` may be met by different elements: one side only.
  if (multikey) return { ranges: [constraints.ranges[0]], equality: false };
  let low: unknown = LOWEST;
  let high: unknown = HIGHEST;
  for (const range of constraints.ranges) {
    if (compareBound(range.low, low) > 0) low = range.low;
    if (compareBound(range.high, high) < 0) high = range.high;
  }
  return { ranges: [{ low, high }], equality: false };
}

function rangeIncludesNull(range: ValueRange): boolean {
  return compareBound(range.low, null) <= 0 && compareBound(range.high, null) >= 0;
}

/** How an index would answer a filter: the intervals to scan and how selective they look. */
export interface IndexPlan {
  index: SecondaryIndex;
  intervals: KeyInterval[];
  /** Leading fields bound to points (higher is narrower). */
  equalityFields: number;
  rangeField: boolean;
}

/** Most intervals a compound `$in` cross product may expand into before the plan stops adding fields (the first field's own points are not capped). */
const MAX_INTERVALS = 1000;

/**
 * Intervals over `index` (a B-tree index) for the constraints on its leading fields, or undefined
 * when its first field is unconstrained. `forHint` also allows sparse and partial indexes, whose
 * results are then what the index holds, as mongod does with a hint.
 */
export function planIndex(index: SecondaryIndex, constraints: Map<string, FieldConstraints>, filter: Doc, forHint = false): IndexPlan | undefined {
  const perField: ValueRange[][] = [];
  let equalityFields = 0;
  let rangeField = false;
  let excludesMissing = false;
  for (const field of index.treeFields) {
    const fieldConstraints = constraints.get(field.path);
    const allowed = fieldConstraints && fieldRanges(fieldConstraints, index.multikey);
    if (!allowed) break;
    const combinations = perField.reduce((product, ranges) => product * ranges.length, 1) * allowed.ranges.length;
    // The first field's points are as many intervals as values; only the cross product is capped.
    if (combinations > MAX_INTERVALS && perField.length > 0) break;
    perField.push(allowed.ranges);
    if (!allowed.ranges.some(rangeIncludesNull)) excludesMissing = true;
    if (!allowed.equality) {
      rangeField = true;
      break;
    }
    equalityFields++;
  }
  if (perField.length === 0) return undefined;
  if (!forHint) {
    // A sparse index lacks documents missing its fields: usable only when the filter excludes those.
    if (index.sparse && !excludesMissing) return undefined;
    if (index.partial && !filterImplies(filter, index.spec.partialFilterExpression as Doc)) return undefined;
  }
  return { index, intervals: toIntervals(index, perField), equalityFields, rangeField };
}

function toIntervals(index: SecondaryIndex, perField: ValueRange[][]): KeyInterval[] {
  let intervals: KeyInterval[] = [{ low: [], high: [] }];
  index.treeFields.forEach((field, position) => {
    const ranges = perField[position] ?? [{ low: LOWEST, high: HIGHEST }];
    const next: KeyInterval[] = [];
    for (const interval of intervals) {
      for (const range of ranges) {
        // A descending field stores high values first: the range's ends swap, and an unbounded end
        // (a sentinel, which always means "index start/end") changes sides with them.
        const low = field.direction === 1 ? range.low : mirrorSentinel(range.high);
        const high = field.direction === 1 ? range.high : mirrorSentinel(range.low);
        next.push({ low: [...interval.low, low], high: [...interval.high, high] });
      }
    }
    intervals = next;
  });
  return intervals;
}

function mirrorSentinel(bound: unknown): unknown {
  if (bound === LOWEST) return HIGHEST;
  if (bound === HIGHEST) return LOWEST;
  return bound;
}

/**
 * Whether every document matching `filter` also matches `partial`, so that a partial index holds every
 * answer. Each top-level (or `$and`) condition of `partial` must either appear, identical, among the
 * filter's conditions, or follow from the filter's equality (or `$in`) on the same field: `{source: "x"}`
 * implies `{source: {$type: "string"}}`, `{source: {$exists: true}}` and `{n: {$gt: 0}}` for n = 5.
 * Only the operators a partial filter expression may use are reasoned about; each is an "some value at
 * the path passes" test, so a value the filter pins (also as an array element) that passes it is enough.
 */
export function filterImplies(filter: Doc, partial: Doc): boolean {
  const conditions = new Set<string>();
  const byField = new Map<string, unknown[]>();
  const gather = (clause: Doc): void => {
    for (const [key, value] of Object.entries(clause)) {
      if (key === "$and" && Array.isArray(value)) {
        for (const inner of value) if (isPlainDocument(inner)) gather(inner);
      } else {
        conditions.add(canonicalKey({ [key]: value }));
        if (!key.startsWith("$")) {
          const list = byField.get(key) ?? [];
          list.push(value);
          byField.set(key, list);
        }
      }
    }
  };
  gather(filter);
  const required: [string, unknown][] = [];
  const need = (clause: Doc): void => {
    for (const [key, value] of Object.entries(clause)) {
      if (key === "$and" && Array.isArray(value)) {
        for (const inner of value) if (isPlainDocument(inner)) need(inner);
      } else {
        required.push([key, value]);
      }
    }
  };
  need(partial);
  return required.every(
    ([key, value]) =>
      conditions.has(canonicalKey({ [key]: value })) ||
      (!key.startsWith("$") && (byField.get(key) ?? []).some((condition) => pinnedValuesSatisfy(condition, value))),
  );
}

const IMPLIABLE_OPERATORS = new Set(["$eq", "$exists", "$type", "$gt", "$gte", "$lt", "$lte"]);

/** Whether every value `condition` (an equality or `$in`) allows passes the partial's `required` test of the same field. */
function pinnedValuesSatisfy(condition: unknown, required: unknown): boolean {
  const pinned = pinnedValues(condition);
  if (pinned === undefined || pinned.length === 0) return false;
  if (isPlainDocument(required)) {
    const operators = Object.keys(required);
    if (operators.length === 0 || !operators.every((operator) => IMPLIABLE_OPERATORS.has(operator))) return false;
    if ("$exists" in required && required.$exists !== true && required.$exists !== 1) return false;
  } else if (Array.isArray(required) || required instanceof RegExp) {
    return false;
  }
  const test = compileFilter({ value: required });
  // `{value: v}`: the single value as a document field; paths do not matter to these value tests.
  return pinned.every((value) => test({ value }));
}

/** The values an equality or `$in` condition pins a field to; undefined for anything else. */
function pinnedValues(condition: unknown): unknown[] | undefined {
  const isScalar = (value: unknown) => value !== null && value !== undefined && !Array.isArray(value) && !isPlainDocument(value) && !(value instanceof RegExp);
  if (!isPlainDocument(condition)) return isScalar(condition) ? [condition] : undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return undefined;
  if ("$eq" in condition) return isScalar(condition.$eq) ? [condition.$eq] : undefined;
  if ("$in" in condition && Array.isArray(condition.$in)) return condition.$in.every(isScalar) ? condition.$in : undefined;
  return undefined;
}

/** Higher is better: unique point lookups first, then more equality fields, then a range. */
export function planScore(plan: IndexPlan): number {
  const fullyBound = plan.equalityFields === plan.index.treeFields.length;
  return (plan.index.unique && fullyBound ? 1000 : 0) + plan.equalityFields * 10 + (plan.rangeField ? 5 : 0);
}

/** One key of a sort, as the planner sees it. */
export interface SortField {
  path: string;
  direction: 1 | -1;
}

/** An index walk that returns documents already in a sort's order: one interval, read forward or backward. */
export interface OrderedPlan {
  index: SecondaryIndex;
  interval: KeyInterval;
  backward: boolean;
  /** Leading index fields the interval bounds (more is narrower). */
  boundFields: number;
}

/**
 * How `index` can hand out documents in `sort` order, if it can: the sort keys must be index fields
 * p, p+1, ... all in the index's directions or all against them, and every field before p bound to a
 * single value ({a: 1, b: 1} answers filter {a: x} sorted by b). Walking the index then needs no
 * sort stage, and a limit stops the walk early (mongod's IXSCAN without SORT).
 *
 * A multikey document sorts by its least (ascending) or greatest (descending) element, which is
 * where an unbounded walk meets it first; a bound on a sort field could skip that element, so a
 * sort field that holds arrays must be left unbounded by the interval. Paths with a
 * numeric part are left to the sort stage: index keys and sort keys read array positions differently.
 */
export function planOrderedScan(
  index: SecondaryIndex,
  constraints: Map<string, FieldConstraints>,
  filter: Doc,
  sort: readonly SortField[],
  forHint = false,
): OrderedPlan | undefined {
  if (sort.length === 0 || index.isGeo) return undefined;
  if (sort.some((key) => key.path.split(".").some((part) => /^\d+$/.test(part)))) return undefined;
  const fields = index.treeFields;
  let start = 0;
  while (start < fields.length && fields[start].path !== sort[0].path) {
    if (!boundToOnePoint(constraints.get(fields[start].path))) return undefined;
    start++;
  }
  if (start + sort.length > fields.length) return undefined;
  let backward: boolean | undefined;
  for (let i = 0; i < sort.length; i++) {
    const field = fields[start + i];
    if (field.path !== sort[i].path || field.kind === "hashed") return undefined;
    const against = field.direction !== sort[i].direction;
    if (backward === undefined) backward = against;
    else if (backward !== against) return undefined;
  }
  const plan = planIndex(index, constraints, filter, forHint);
  if (!plan) {
    // Nothing bounds the index: the walk covers all of it, which a sparse or partial index is not.
    if (start > 0 || (!forHint && (index.sparse || index.partial))) return undefined;
    const interval = toIntervals(index, [])[0];
    return { index, interval, backward: backward!, boundFields: 0 };
  }
  if (plan.intervals.length !== 1) return undefined;
  const boundFields = plan.equalityFields + (plan.rangeField ? 1 : 0);
  for (let position = start; position < boundFields; position++) {
    if (index.multikeyPaths.has(fields[position].path)) return undefined;
  }
  return { index, interval: plan.intervals[0], backward: backward!, boundFields };
}

/** Whether the filter pins the field to exactly one value (an equality or a one-value `$in`). */
function boundToOnePoint(constraints: FieldConstraints | undefined): boolean {
  if (!constraints) return false;
  return constraints.pointSets.some((points) => new Set(points.map((point) => canonicalKey(point))).size === 1);
}
