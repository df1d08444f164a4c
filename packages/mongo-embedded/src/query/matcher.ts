/**
 * MongoDB query filters, compiled once into closures over the stored BSON values.
 *
 * Every comparison goes through `src/bson-values.ts` (or a fast path that agrees with it for
 * Int32/Double/JS numbers and strings), so Long, Decimal128, Int32 and Double compare as numbers
 * while `$type` still tells int from double. `$expr` is evaluated by mingo over `toPlain` values.
 *
 * Path semantics follow mongod's element iterator:
 * - a path walks through documents; at an array it visits every element that is a document with
 *   the same path component (nested arrays are not entered), and a numeric component also selects
 *   the element at that index;
 * - a path that ends inside a scalar, or at a missing field, yields "missing" (JS `undefined`),
 *   which `null` equality matches; an array of scalars yields nothing for a longer path;
 * - at the end of the path most operators test the value itself and, when it is an array, each of
 *   its elements ($size, $elemMatch and $exists test only the value itself);
 * - $ne, $nin and $not are the negation of the whole positive predicate over the path.
 */
import { Query } from "mingo";
import { canonicalKey, compareValues, toNumber, toPlain, valuesEqual, bsonTypeOf } from "../bson-values.js";
import type { BsonTypeName, Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, badValue } from "../errors.js";
import { geoIntersects, geoWithin, nearDistance } from "../geo/predicates.js";

export type Matcher = (doc: Doc) => boolean;

/** A test of one value found at the end of a path (`undefined` means the path is missing). */
type ValueTest = (value: unknown) => boolean;

/**
 * A compiled field predicate, before it is bound to a path (for a field) or applied to single
 * array elements (inside `$elemMatch: {$gt: ...}`).
 */
type Predicate =
  /** Some value at the path passes `test`; `expandArrays`: elements of an array at the end of the path count too. */
  | { kind: "test"; test: ValueTest; expandArrays: boolean }
  /** None of the value-level conjunction holds: $ne, $nin, $not, $exists: false. */
  | { kind: "not"; inner: Predicate[] };

interface CompileContext {
  variables: Doc | undefined;
  /** Inside $or, $nor, $not or $elemMatch, where $near is not allowed. */
  nested: boolean;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Compiles a MongoDB query filter; throws MongoCommandError (BadValue, 2) on an invalid filter. */
export function compileFilter(filter: Doc, options: { variables?: Doc } = {}): Matcher {
  if (!isDocument(filter)) throw badValue("query filter must be an object");
  return compileDocumentFilter(filter, { variables: options.variables, nested: false });
}

/**
 * Runs a compiled matcher and reports the array position the positional `$` operator refers to:
 * the index, in the first array along the matching path, of the element that made the filter
 * match. Undefined when the document does not match or no array was involved.
 */
export function matchArrayPosition(matcher: Matcher, doc: Doc): { matched: boolean; position: number | undefined } {
  const previous = positionRecorder;
  positionRecorder = { position: undefined };
  try {
    const matched = matcher(doc);
    return { matched, position: matched ? positionRecorder.position : undefined };
  } finally {
    positionRecorder = previous;
  }
}

/** What select.ts needs to order the results of a `$near`/`$nearSphere` query. */
export interface NearQuery {
  /** The values at the near field's path, arrays expanded (the array itself, then its elements); numbers as JS numbers. */
  values(doc: Doc): unknown[];
  /** `{ $geometry, $maxDistance?, $minDistance? }`, or a legacy point (`[x, y]` or `{x, y}`); numbers as JS numbers. */
  operand: unknown;
  /** $nearSphere, or a GeoJSON `$geometry` point. */
  spherical: boolean;
  /** The `$maxDistance`/`$minDistance` given beside a legacy point or inside the operand. */
  maxDistance?: number;
  minDistance?: number;
  /** The dotted path of the near field. */
  path: string;
}

/** The `$near`/`$nearSphere` of a filter (at top level or in a top-level `$and`), or undefined. */
export function findNearQuery(filter: Doc): NearQuery | undefined {
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const member of value) {
        if (isDocument(member)) {
          const near = findNearQuery(member);
          if (near) return near;
        }
      }
      continue;
    }
    if (key.startsWith("$") || !isDocument(value)) continue;
    const operatorName = "$near" in value ? "$near" : "$nearSphere" in value ? "$nearSphere" : undefined;
    if (!operatorName) continue;
    const near = parseNearOperand(operatorName, value);
    const parts = splitPath(key);
    return {
      values: (doc: Doc) => valuesAtPath(doc, parts).map(toPlain),
      operand: near.operand,
      spherical: near.spherical,
      maxDistance: near.maxDistance,
      minDistance: near.minDistance,
      path: key,
    };
  }
  return undefined;
}

/**
 * Constraints a filter puts on one field, for index selection. Only conjunctive, top-level
 * predicates are reported (fields of the filter itself and of a top-level `$and`); anything under
 * $or/$nor/$not/$elemMatch, regexes, $ne/$nin, $exists, $type and so on are left out. Using them
 * can only narrow the candidate set to a superset of the matches: the caller must still run the
 * compiled matcher on every candidate.
 *
 * - `eq`: the field equals one of these values (implicit equality, `$eq`, `$in` without regexes).
 *   Values are as in the query (BSON values). As in any MongoDB equality, a document also
 *   matches when the field is an array that contains the value, and `null` also matches a
 *   missing field (and an array containing null). An array value matches an equal array and an
 *   array that contains it as an element. When several equality predicates apply to one field, the
 *   shortest list is kept.
 * - `gt`/`gte`/`lt`/`lte`: range bounds, type-bracketed like MongoDB: `{$gt: 5}` only matches
 *   numbers (of any BSON numeric type), `{$lt: "m"}` only strings. When the field may be an
 *   array, two bounds can be met by two different elements, so a multikey index may apply only
 *   one of them. When several bounds of one kind apply, the tightest is kept.
 */
export interface FieldConstraint {
  eq?: unknown[];
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
}

/** Field path → constraints; see FieldConstraint. The filter is assumed valid (compile it first). */
export function fieldConstraints(filter: Doc): Map<string, FieldConstraint> {
  const constraints = new Map<string, FieldConstraint>();
  collectConstraints(filter, constraints);
  return constraints;
}

// ---------------------------------------------------------------------------------------------
// Documents and logical operators

function compileDocumentFilter(filter: Doc, context: CompileContext): Matcher {
  const matchers: Matcher[] = [];
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key.startsWith("$")) {
      const matcher = compileTopLevelOperator(key, value, context);
      if (matcher) matchers.push(matcher);
    } else {
      matchers.push(...compileField(key, value, context));
    }
  }
  return allOf(matchers);
}

function compileTopLevelOperator(name: string, operand: unknown, context: CompileContext): Matcher | undefined {
  switch (name) {
    case "$and":
    case "$or":
    case "$nor": {
      if (!Array.isArray(operand) || operand.length === 0) throw badValue("$and/$or/$nor must be a nonempty array");
      const nestedContext = name === "$and" ? context : { ...context, nested: true };
      const members = operand.map((member) => {
        if (!isDocument(member)) throw badValue("$or/$and/$nor entries need to be full objects");
        return compileDocumentFilter(member, nestedContext);
      });
      if (name === "$and") return allOf(members);
      const any = anyOf(members);
      return name === "$or" ? any : (doc) => !any(doc);
    }
    case "$comment":
      return undefined;
    case "$expr":
      return compileExpr(operand, context);
    case "$jsonSchema":
      if (!isDocument(operand)) throw new MongoCommandError(ErrorCodes.TypeMismatch, "$jsonSchema must be an object");
      return compileJsonSchema(operand);
    case "$alwaysTrue":
      return () => true;
    case "$alwaysFalse":
      return () => false;
    case "$where":
      throw badValue("$where is not supported by this server");
    case "$text":
      throw new MongoCommandError(ErrorCodes.IndexNotFound, "text index required for $text query");
    default:
      throw badValue(
        `unknown top level operator: ${name}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
      );
  }
}

function allOf(matchers: Matcher[]): Matcher {
  if (matchers.length === 0) return () => true;
  if (matchers.length === 1) return matchers[0];
  if (matchers.length === 2) {
    const [first, second] = matchers;
    return (doc) => first(doc) && second(doc);
  }
  return (doc) => {
    for (let i = 0; i < matchers.length; i++) if (!matchers[i](doc)) return false;
    return true;
  };
}

function anyOf(matchers: Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0];
  return (doc) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i](doc)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Fields

function compileField(path: string, operand: unknown, context: CompileContext): Matcher[] {
  return compileFieldPredicates(operand, context).map((predicate) => bindToPath(predicate, path));
}

/** A field's operand as predicates: an operator document, a regex, or a value to equal. */
function compileFieldPredicates(operand: unknown, context: CompileContext): Predicate[] {
  if (isOperatorDocument(operand)) return compileOperatorDocument(operand, context);
  if (isRegex(operand)) return [{ kind: "test", test: regexTest(toJsRegExp(operand)), expandArrays: true }];
  return [{ kind: "test", test: equalityTest(operand), expandArrays: true }];
}

/** `{ $gt: 1 }` rather than a literal subdocument `{ b: 1 }` (DBRefs `{ $ref, $id }` are literals). */
function isOperatorDocument(value: unknown): value is Doc {
  if (!isDocument(value)) return false;
  for (const key in value) return key.startsWith("$") && key !== "$ref" && key !== "$id" && key !== "$db";
  return false;
}

function bindToPath(predicate: Predicate, path: string): Matcher {
  if (predicate.kind === "not") {
    const inner = allOf(predicate.inner.map((member) => bindToPath(member, path)));
    return (doc) => !inner(doc);
  }
  return pathMatcher(path, predicate.test, predicate.expandArrays);
}

/** A predicate applied to one array element, as `$elemMatch: { $op: ... }` does (no array expansion). */
function toElementTest(predicate: Predicate): ValueTest {
  if (predicate.kind === "test") return predicate.test;
  const inner = predicate.inner.map(toElementTest);
  return (value) => {
    for (let i = 0; i < inner.length; i++) if (!inner[i](value)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Paths

/** Records the array position for the positional `$` operator while matchArrayPosition runs. */
let positionRecorder: { position: number | undefined } | undefined;

function recordPosition(index: number): void {
  if (positionRecorder) positionRecorder.position = index;
}

interface PathPart {
  name: string;
  /** The component as an array index, or -1. */
  index: number;
  /** The name is also an Object.prototype property ("constructor"): read own properties only. */
  guarded: boolean;
}

function splitPath(path: string): PathPart[] {
  return path.split(".").map((name) => ({
    name,
    index: /^(0|[1-9][0-9]*)$/.test(name) ? Number(name) : -1,
    guarded: name in Object.prototype,
  }));
}

function readField(doc: Doc, part: PathPart): unknown {
  if (part.guarded) return Object.hasOwn(doc, part.name) ? doc[part.name] : undefined;
  return doc[part.name];
}

function pathMatcher(path: string, test: ValueTest, expandArrays: boolean): Matcher {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const [part] = parts;
    return (doc) => matchLeaf(readField(doc, part), test, expandArrays);
  }
  return (doc) => matchFrom(doc, parts, 0, test, expandArrays);
}

function matchLeaf(value: unknown, test: ValueTest, expandArrays: boolean): boolean {
  if (test(value)) return true;
  if (expandArrays && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (test(value[i])) {
        recordPosition(i);
        return true;
      }
    }
  }
  return false;
}

/** `container` holds the value of parts[0..depth); tests the rest of the path below it. */
function matchFrom(container: unknown, parts: PathPart[], depth: number, test: ValueTest, expandArrays: boolean): boolean {
  if (depth === parts.length) return matchLeaf(container, test, expandArrays);
  if (Array.isArray(container)) {
    const part = parts[depth];
    if (part.index >= 0 && part.index < container.length) {
      if (matchFrom(container[part.index], parts, depth + 1, test, expandArrays)) return true;
    }
    for (let i = 0; i < container.length; i++) {
      const element = container[i];
      if (isDocument(element) && matchFrom(element, parts, depth, test, expandArrays)) {
        recordPosition(i);
        return true;
      }
    }
    return false;
  }
  if (isDocument(container)) {
    return matchFrom(readField(container, parts[depth]), parts, depth + 1, test, expandArrays);
  }
  // The path runs into a scalar or a missing field: the value is missing.
  return test(undefined);
}

/** Every value at the path (missing ones left out), each array at the end followed by its elements. */
function valuesAtPath(doc: Doc, parts: PathPart[]): unknown[] {
  const values: unknown[] = [];
  collectValues(doc, parts, 0, values);
  return values;
}

function collectValues(container: unknown, parts: PathPart[], depth: number, into: unknown[]): void {
  if (depth === parts.length) {
    if (container === undefined) return;
    into.push(container);
    if (Array.isArray(container)) into.push(...container);
    return;
  }
  if (Array.isArray(container)) {
    const part = parts[depth];
    if (part.index >= 0 && part.index < container.length) collectValues(container[part.index], parts, depth + 1, into);
    for (const element of container) if (isDocument(element)) collectValues(element, parts, depth, into);
    return;
  }
  if (isDocument(container)) collectValues(readField(container, parts[depth]), parts, depth + 1, into);
}

// ---------------------------------------------------------------------------------------------
// Operators of a field

function compileOperatorDocument(operators: Doc, context: CompileContext): Predicate[] {
  const predicates: Predicate[] = [];
  const hasNear = "$near" in operators || "$nearSphere" in operators;
  for (const name of Object.keys(operators)) {
    const operand = operators[name];
    if (hasNear && (name === "$maxDistance" || name === "$minDistance")) continue;
    predicates.push(...compileOperator(name, operand, operators, context));
  }
  if ("$options" in operators && !("$regex" in operators)) throw badValue("$options needs a $regex");
  return predicates;
}

function compileOperator(name: string, operand: unknown, siblings: Doc, context: CompileContext): Predicate[] {
  const test = (valueTest: ValueTest, expandArrays = true): Predicate[] => [{ kind: "test", test: valueTest, expandArrays }];
  switch (name) {
    case "$eq":
      return test(equalityTest(operand));
    case "$ne":
      return [{ kind: "not", inner: test(equalityTest(operand)) }];
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return test(comparisonTest(name, operand));
    case "$in":
      return test(inTest(operand));
    case "$nin":
      return [{ kind: "not", inner: test(inTest(operand)) }];
    case "$exists":
      return isTruthy(operand) ? test(existsTest, false) : [{ kind: "not", inner: test(existsTest, false) }];
    case "$type":
      return test(typeTest(operand));
    case "$regex":
      return test(regexTest(regexFromOperator(operand, siblings.$options)));
    case "$options":
      return []; // read with $regex
    case "$size":
      return test(sizeTest(operand), false);
    case "$all":
      return allPredicates(operand, context);
    case "$elemMatch":
      return test(elemMatchTest(operand, context), false);
    case "$not":
      return [{ kind: "not", inner: notOperand(operand, context) }];
    case "$mod":
      return test(modTest(operand));
    case "$bitsAllSet":
    case "$bitsAnySet":
    case "$bitsAllClear":
    case "$bitsAnyClear":
      return test(bitsTest(name, operand));
    case "$geoWithin":
    case "$within": {
      if (!isDocument(operand)) throw badValue(`${name} not an object`);
      const plain = toPlain(operand) as Doc;
      return test((value) => isGeoCandidate(value) && geoWithin(toPlain(value), plain));
    }
    case "$geoIntersects": {
      if (!isDocument(operand)) throw badValue("$geoIntersects not an object");
      const plain = toPlain(operand) as Doc;
      return test((value) => isGeoCandidate(value) && geoIntersects(toPlain(value), plain));
    }
    case "$near":
    case "$nearSphere": {
      if (context.nested) throw badValue(`${name} is not allowed inside of $or, $nor, $not or $elemMatch`);
      const near = parseNearOperand(name, siblings);
      const distanceOptions = { maxDistance: near.maxDistance, minDistance: near.minDistance };
      return test((value) => isGeoCandidate(value) && nearDistance(toPlain(value), near.operand, near.spherical, distanceOptions) !== null);
    }
    case "$comment":
      return [];
    case "$text":
    case "$where":
      throw badValue(`${name} can only be applied to the top-level document`);
    default:
      throw badValue(`unknown operator: ${name}`);
  }
}

function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (isNumberLike(value)) return toNumber(value) !== 0;
  return true;
}

const existsTest: ValueTest = (value) => value !== undefined;

function notOperand(operand: unknown, context: CompileContext): Predicate[] {
  const nestedContext = { ...context, nested: true };
  if (isRegex(operand)) return [{ kind: "test", test: regexTest(toJsRegExp(operand)), expandArrays: true }];
  if (!isDocument(operand)) throw badValue("$not needs a regex or a document");
  const keys = Object.keys(operand);
  if (keys.length === 0) throw badValue("$not cannot be empty");
  for (const key of keys) if (!key.startsWith("$")) throw badValue(`unknown operator: ${key}`);
  return compileOperatorDocument(operand, nestedContext);
}

// ---------------------------------------------------------------------------------------------
// Equality and comparison

/** Type brackets as mongod's canonical types order them (numbers together, strings with symbols). */
const enum Bracket {
  MinKey = 0,
  Null = 1,
  Number = 2,
  String = 3,
  Object = 4,
  Array = 5,
  BinData = 6,
  ObjectId = 7,
  Bool = 8,
  Date = 9,
  Timestamp = 10,
  Regex = 11,
  DbPointer = 12,
  JavaScript = 13,
  JavaScriptWithScope = 14,
  MaxKey = 15,
}

const bracketOfType: Record<BsonTypeName, Bracket> = {
  minKey: Bracket.MinKey,
  undefined: Bracket.Null,
  null: Bracket.Null,
  int: Bracket.Number,
  long: Bracket.Number,
  double: Bracket.Number,
  decimal: Bracket.Number,
  string: Bracket.String,
  symbol: Bracket.String,
  object: Bracket.Object,
  array: Bracket.Array,
  binData: Bracket.BinData,
  objectId: Bracket.ObjectId,
  bool: Bracket.Bool,
  date: Bracket.Date,
  timestamp: Bracket.Timestamp,
  regex: Bracket.Regex,
  dbPointer: Bracket.DbPointer,
  javascript: Bracket.JavaScript,
  javascriptWithScope: Bracket.JavaScriptWithScope,
  maxKey: Bracket.MaxKey,
};

function bracketOf(value: unknown): Bracket {
  switch (typeof value) {
    case "string":
      return Bracket.String;
    case "number":
      return Bracket.Number;
    case "boolean":
      return Bracket.Bool;
    case "undefined":
      return Bracket.Null;
    default:
      return bracketOfType[bsonTypeOf(value)];
  }
}

/** The value as a JS number when that is exact and cheap (JS numbers, Int32, Double); else undefined. */
function fastNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "object" && value !== null) {
    const tag = (value as { _bsontype?: string })._bsontype;
    if (tag === "Int32" || tag === "Double") return (value as { value: number }).value;
  }
  return undefined;
}

function isSymbol(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { _bsontype?: string })._bsontype === "BSONSymbol";
}

function isNumberLike(value: unknown): boolean {
  return bracketOf(value) === Bracket.Number;
}

/** A query operand that a JS number represents exactly (so comparing through JS numbers agrees with compareValues). */
function exactJsNumber(operand: unknown): number | undefined {
  const fast = fastNumber(operand);
  if (fast !== undefined) return fast;
  const tag = (operand as { _bsontype?: string } | null)?._bsontype;
  if (tag === "Long") {
    const number = toNumber(operand);
    if (Number.isSafeInteger(number)) return number;
  }
  return undefined;
}

function equalityTest(operand: unknown): ValueTest {
  if (operand === null || operand === undefined) return (value) => value === null || value === undefined;
  if (typeof operand === "string") {
    return (value) => value === operand || (isSymbol(value) && valuesEqual(value, operand));
  }
  if (typeof operand === "boolean") return (value) => value === operand;
  if (operand instanceof Date) {
    const time = operand.getTime();
    return (value) => value instanceof Date && value.getTime() === time;
  }
  const number = exactJsNumber(operand);
  if (number !== undefined && !Number.isNaN(number)) {
    return (value) => {
      const fast = fastNumber(value);
      if (fast !== undefined) return fast === number;
      return typeof value === "object" && value !== null && !Array.isArray(value) && valuesEqual(value, operand);
    };
  }
  return (value) => valuesEqual(value, operand);
}

type ComparisonOperator = "$gt" | "$gte" | "$lt" | "$lte";

function comparisonTest(operator: ComparisonOperator, operand: unknown): ValueTest {
  const operandBracket = bracketOf(operand);
  const accept = orderAcceptor(operator);
  const inclusive = operator === "$gte" || operator === "$lte";
  if (operandBracket === Bracket.MinKey || operandBracket === Bracket.MaxKey) {
    // Every value is above MinKey and below MaxKey, whatever its type.
    const matchesOtherTypes = operandBracket === Bracket.MinKey ? operator === "$gt" || operator === "$gte" : operator === "$lt" || operator === "$lte";
    return (value) => {
      if (value === undefined) return false;
      return bracketOf(value) === operandBracket ? inclusive : matchesOtherTypes;
    };
  }
  if (operandBracket === Bracket.Number) {
    const operandNumber = toNumber(operand);
    if (Number.isNaN(operandNumber)) {
      // NaN equals NaN and compares false with everything else.
      return (value) => inclusive && isNumberLike(value) && Number.isNaN(toNumber(value));
    }
    const exact = exactJsNumber(operand);
    return (value) => {
      const fast = exact === undefined ? undefined : fastNumber(value);
      if (fast !== undefined) return !Number.isNaN(fast) && accept(fast < exact! ? -1 : fast > exact! ? 1 : 0);
      if (!isNumberLike(value)) return false;
      if (Number.isNaN(toNumber(value))) return false;
      return accept(compareValues(value, operand));
    };
  }
  if (operandBracket === Bracket.String && typeof operand === "string") {
    return (value) => {
      if (typeof value === "string") return accept(value < operand ? -1 : value > operand ? 1 : 0);
      return bracketOf(value) === Bracket.String && accept(compareValues(value, operand));
    };
  }
  return (value) => bracketOf(value) === operandBracket && accept(compareValues(value, operand));
}

function orderAcceptor(operator: ComparisonOperator): (order: number) => boolean {
  switch (operator) {
    case "$gt":
      return (order) => order > 0;
    case "$gte":
      return (order) => order >= 0;
    case "$lt":
      return (order) => order < 0;
    case "$lte":
      return (order) => order <= 0;
  }
}

/** Above this many values, $in looks values up by canonical key instead of comparing each. */
const IN_LINEAR_LIMIT = 8;

function inTest(operand: unknown): ValueTest {
  if (!Array.isArray(operand)) throw badValue("$in needs an array");
  const regexTests: ValueTest[] = [];
  const values: unknown[] = [];
  for (const entry of operand) {
    if (isRegex(entry)) regexTests.push(regexTest(toJsRegExp(entry)));
    else if (isOperatorDocument(entry)) throw badValue("cannot nest $ under $in");
    else values.push(entry);
  }
  let valueTest: ValueTest;
  if (values.length > 0 && values.every((value) => typeof value === "string")) {
    const strings = new Set(values as string[]);
    valueTest = (value) =>
      typeof value === "string" ? strings.has(value) : isSymbol(value) && strings.has(String((value as { value: unknown }).value));
  } else if (values.length > IN_LINEAR_LIMIT) {
    const keys = new Set(values.map(canonicalKey));
    if (values.some((value) => value === null)) keys.add(canonicalKey(undefined));
    valueTest = (value) => keys.has(canonicalKey(value));
  } else {
    const tests = values.map(equalityTest);
    valueTest = (value) => {
      for (let i = 0; i < tests.length; i++) if (tests[i](value)) return true;
      return false;
    };
  }
  if (regexTests.length === 0) return valueTest;
  return (value) => {
    if (valueTest(value)) return true;
    for (let i = 0; i < regexTests.length; i++) if (regexTests[i](value)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

function isRegex(value: unknown): boolean {
  return value instanceof RegExp || (typeof value === "object" && value !== null && (value as { _bsontype?: string })._bsontype === "BSONRegExp");
}

function regexSource(value: unknown): { pattern: string; options: string } {
  if (value instanceof RegExp) return { pattern: value.source, options: value.flags };
  const regex = value as { pattern: string; options: string };
  return { pattern: regex.pattern, options: regex.options };
}

function toJsRegExp(value: unknown): RegExp {
  const { pattern, options } = regexSource(value);
  return buildRegExp(pattern, options);
}

function regexFromOperator(operand: unknown, options: unknown): RegExp {
  if (typeof operand === "string") {
    if (options !== undefined && typeof options !== "string") throw badValue("$options has to be a string");
    return buildRegExp(operand, (options as string | undefined) ?? "");
  }
  if (isRegex(operand)) {
    const source = regexSource(operand);
    if (options !== undefined) {
      if (source.options.length > 0) throw badValue("options set in both $regex and $options");
      if (typeof options !== "string") throw badValue("$options has to be a string");
      return buildRegExp(source.pattern, options);
    }
    return buildRegExp(source.pattern, source.options);
  }
  throw badValue("$regex has to be a string");
}

/** mongod's code for an unknown regex option letter. */
const INVALID_REGEX_FLAG = 51108;

/** PCRE options → JS flags; `x` (extended) is applied to the pattern, PCRE-only anchors are translated. */
function buildRegExp(pattern: string, options: string): RegExp {
  let flags = "";
  let extended = false;
  for (const option of options) {
    switch (option) {
      case "i":
      case "m":
      case "s":
        if (!flags.includes(option)) flags += option;
        break;
      case "x":
        extended = true;
        break;
      case "u":
      case "l":
      case "g":
      case "y":
        break;
      default:
        throw new MongoCommandError(INVALID_REGEX_FLAG, `invalid flag in regex options: ${option}`);
    }
  }
  let source = pattern;
  // A leading inline option group such as (?i) is PCRE syntax JS lacks.
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const option of inline[1]) {
      if (option === "x") extended = true;
      else if (!flags.includes(option)) flags += option;
    }
  }
  if (extended) source = stripExtendedWhitespace(source);
  source = source.replace(/\\A/g, "^").replace(/\\[zZ]/g, "$");
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new MongoCommandError(ErrorCodes.Location51091, `Regular expression is invalid: ${(error as Error).message}`);
  }
}

/** PCRE extended mode: unescaped whitespace and #-comments outside character classes are ignored. */
function stripExtendedWhitespace(pattern: string): string {
  let result = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") {
      result += char + (pattern[i + 1] ?? "");
      i++;
    } else if (inClass) {
      if (char === "]") inClass = false;
      result += char;
    } else if (char === "[") {
      inClass = true;
      result += char;
    } else if (char === "#") {
      while (i < pattern.length && pattern[i] !== "\n") i++;
    } else if (!/\s/.test(char)) {
      result += char;
    }
  }
  return result;
}

/** Strings and symbols that match, and stored regexes equal to the query's own. */
function regexTest(regex: RegExp): ValueTest {
  return (value) => {
    if (typeof value === "string") return regex.test(value);
    if (typeof value !== "object" || value === null) return false;
    const tag = (value as { _bsontype?: string })._bsontype;
    if (tag === "BSONSymbol") return regex.test(String((value as { value: unknown }).value));
    if (tag === "BSONRegExp" || value instanceof RegExp) {
      const source = regexSource(value);
      return source.pattern === regex.source && [...source.options].sort().join("") === [...regex.flags].sort().join("");
    }
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Element and array operators

const typeNamesByNumber: Record<number, BsonTypeName> = {
  1: "double",
  2: "string",
  3: "object",
  4: "array",
  5: "binData",
  6: "undefined",
  7: "objectId",
  8: "bool",
  9: "date",
  10: "null",
  11: "regex",
  12: "dbPointer",
  13: "javascript",
  14: "symbol",
  15: "javascriptWithScope",
  16: "int",
  17: "timestamp",
  18: "long",
  19: "decimal",
  [-1]: "minKey",
  127: "maxKey",
};

const typeNames = new Set<string>(Object.values(typeNamesByNumber));

function typeTest(operand: unknown): ValueTest {
  const entries = Array.isArray(operand) ? operand : [operand];
  if (Array.isArray(operand) && operand.length === 0) throw badValue("$type must match at least one type");
  const accepted = new Set<BsonTypeName>();
  for (const entry of entries) {
    if (typeof entry === "string") {
      if (entry === "number") {
        for (const name of ["double", "int", "long", "decimal"] as const) accepted.add(name);
      } else if (typeNames.has(entry)) {
        accepted.add(entry as BsonTypeName);
      } else {
        throw badValue(`Unknown type name alias: ${entry}`);
      }
    } else if (isNumberLike(entry)) {
      const code = toNumber(entry);
      const name = Number.isInteger(code) ? typeNamesByNumber[code] : undefined;
      if (!name) throw badValue(`Invalid numerical type code: ${code}`);
      accepted.add(name);
    } else {
      throw new MongoCommandError(ErrorCodes.TypeMismatch, "type must be represented as a number or a string");
    }
  }
  return (value) => value !== undefined && accepted.has(bsonTypeOf(value));
}

function sizeTest(operand: unknown): ValueTest {
  if (!isNumberLike(operand)) throw badValue("$size needs a number");
  const size = toNumber(operand);
  if (!Number.isInteger(size)) throw badValue("$size must be a whole number");
  if (size < 0) throw badValue("$size may not be negative");
  return (value) => Array.isArray(value) && value.length === size;
}

function allPredicates(operand: unknown, context: CompileContext): Predicate[] {
  if (!Array.isArray(operand)) throw badValue("$all needs an array");
  if (operand.length === 0) return [{ kind: "test", test: () => false, expandArrays: false }];
  const isElemMatch = (entry: unknown) => isDocument(entry) && Object.keys(entry)[0] === "$elemMatch";
  if (isElemMatch(operand[0])) {
    return operand.map((entry) => {
      if (!isElemMatch(entry)) throw badValue("$all/$elemMatch has to be consistent");
      return { kind: "test" as const, test: elemMatchTest((entry as Doc).$elemMatch, context), expandArrays: false };
    });
  }
  return operand.map((entry) => {
    if (isElemMatch(entry)) throw badValue("$all/$elemMatch has to be consistent");
    if (isOperatorDocument(entry)) throw badValue("no $ expressions in $all");
    const test = isRegex(entry) ? regexTest(toJsRegExp(entry)) : equalityTest(entry);
    return { kind: "test" as const, test, expandArrays: true };
  });
}

/** Operators that make an `$elemMatch` document a query on subdocuments rather than on values. */
const elemMatchDocumentOperators = new Set(["$and", "$or", "$nor", "$expr", "$where", "$text", "$comment", "$jsonSchema", "$alwaysTrue", "$alwaysFalse"]);

function elemMatchTest(operand: unknown, context: CompileContext): ValueTest {
  if (!isDocument(operand)) throw badValue("$elemMatch needs an Object");
  const nestedContext = { ...context, nested: true };
  const firstKey = Object.keys(operand)[0];
  if (firstKey !== undefined && firstKey.startsWith("$") && !elemMatchDocumentOperators.has(firstKey)) {
    const elementTests = compileOperatorDocument(operand, nestedContext).map(toElementTest);
    const elementMatches = (element: unknown) => {
      for (let i = 0; i < elementTests.length; i++) if (!elementTests[i](element)) return false;
      return true;
    };
    return (value) => {
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) {
        if (elementMatches(value[i])) {
          recordPosition(i);
          return true;
        }
      }
      return false;
    };
  }
  const subMatcher = compileDocumentFilter(operand, nestedContext);
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) {
      const element = value[i];
      if ((isDocument(element) || Array.isArray(element)) && subMatcher(element as Doc)) {
        recordPosition(i);
        return true;
      }
    }
    return false;
  };
}

function modTest(operand: unknown): ValueTest {
  if (!Array.isArray(operand)) throw badValue("malformed mod, needs to be an array");
  if (operand.length < 2) throw badValue("malformed mod, not enough elements");
  if (operand.length > 2) throw badValue("malformed mod, too many elements");
  if (!isNumberLike(operand[0])) throw badValue("malformed mod, divisor not a number");
  if (!isNumberLike(operand[1])) throw badValue("malformed mod, remainder not a number");
  const divisor = Math.trunc(toNumber(operand[0]));
  const remainder = Math.trunc(toNumber(operand[1]));
  if (!Number.isFinite(divisor) || !Number.isFinite(remainder)) throw badValue("malformed mod, divisor and remainder must be finite");
  if (divisor === 0) throw badValue("divisor cannot be 0");
  return (value) => {
    if (!isNumberLike(value)) return false;
    const number = Math.trunc(toNumber(value));
    if (!Number.isFinite(number)) return false;
    return number % divisor === remainder || (number % divisor === 0 && remainder === 0);
  };
}

function bitsTest(operator: string, operand: unknown): ValueTest {
  let mask = 0n;
  if (Array.isArray(operand)) {
    for (const position of operand) {
      const bit = isNumberLike(position) ? toNumber(position) : Number.NaN;
      if (!Number.isInteger(bit) || bit < 0) throw badValue(`bit positions must be >= 0 but got: ${String(position)}`);
      if (bit < 64) mask |= 1n << BigInt(bit);
    }
  } else if (isNumberLike(operand)) {
    const number = toNumber(operand);
    if (!Number.isInteger(number) || number < 0) throw badValue(`${operator} may only be a non-negative integer`);
    mask = BigInt.asUintN(64, BigInt(number));
  } else {
    throw badValue(`${operator} takes an Array, a number, or a BinData but received: ${String(operand)}`);
  }
  return (value) => {
    if (!isNumberLike(value)) return false;
    const number = (value as { _bsontype?: string })._bsontype === "Long" ? (value as { toBigInt(): bigint }).toBigInt() : toNumber(value);
    if (typeof number === "number" && !Number.isInteger(number)) return false;
    const bits = BigInt.asUintN(64, BigInt(number));
    const masked = bits & mask;
    switch (operator) {
      case "$bitsAllSet":
        return masked === mask;
      case "$bitsAnySet":
        return masked !== 0n;
      case "$bitsAllClear":
        return masked === 0n;
      default:
        return masked !== mask;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Geo

/**
 * Only documents and arrays can be geometries or coordinate pairs. The geo predicates get values
 * through `toPlain`, so coordinates are JS numbers whatever BSON type they were stored as.
 */
function isGeoCandidate(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}

interface ParsedNear {
  operand: unknown;
  spherical: boolean;
  maxDistance?: number;
  minDistance?: number;
}

function parseNearOperand(name: "$near" | "$nearSphere", operators: Doc): ParsedNear {
  const raw = operators[name];
  const distance = (value: unknown, label: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!isNumberLike(value)) throw badValue(`${label} must be a number`);
    const number = toNumber(value);
    if (number < 0) throw badValue(`${label} must be non-negative`);
    return number;
  };
  if (isDocument(raw) && "$geometry" in raw) {
    const operand = toPlain(raw) as Doc;
    return {
      operand,
      spherical: true,
      maxDistance: distance(raw.$maxDistance ?? operators.$maxDistance, "$maxDistance"),
      minDistance: distance(raw.$minDistance ?? operators.$minDistance, "$minDistance"),
    };
  }
  if (Array.isArray(raw) || isDocument(raw)) {
    return {
      operand: toPlain(raw),
      spherical: name === "$nearSphere",
      maxDistance: distance(operators.$maxDistance, "$maxDistance"),
      minDistance: distance(operators.$minDistance, "$minDistance"),
    };
  }
  throw badValue(`${name} must be a point: a GeoJSON $geometry or legacy coordinates`);
}

// ---------------------------------------------------------------------------------------------
// $expr and $jsonSchema

function compileExpr(expression: unknown, context: CompileContext): Matcher {
  const variables = context.variables ? (toPlain(context.variables) as Doc) : undefined;
  const query = new Query({ $expr: toPlain(expression) }, variables ? { variables } : {});
  const evaluate = (doc: Doc): boolean => {
    try {
      return query.test(toPlain(doc) as Doc);
    } catch (error) {
      throw exprError(error);
    }
  };
  // An unknown expression operator is an error before any document is read, as in mongod.
  try {
    query.test({});
  } catch (error) {
    const converted = exprError(error);
    if (converted.code === ErrorCodes.InvalidPipelineOperator) throw converted;
  }
  return evaluate;
}

function exprError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const unknownOperator = /'(\$[A-Za-z0-9_]+)' is not registered/.exec(message);
  if (unknownOperator) return new MongoCommandError(ErrorCodes.InvalidPipelineOperator, `Unrecognized expression '${unknownOperator[1]}'`);
  return badValue(message);
}

/**
 * The subset of $jsonSchema that collection validators and queries commonly use: bsonType, type,
 * required, properties, additionalProperties, enum, minimum/maximum (exclusive too),
 * minLength/maxLength, pattern, items, minItems/maxItems, uniqueItems, allOf/anyOf/oneOf/not.
 */
function compileJsonSchema(schema: Doc): Matcher {
  const validate = compileSchemaNode(schema);
  return (doc) => validate(doc);
}

const jsonTypeToBson: Record<string, BsonTypeName[]> = {
  object: ["object"],
  array: ["array"],
  string: ["string"],
  number: ["double", "int", "long", "decimal"],
  boolean: ["bool"],
  null: ["null"],
};

function compileSchemaNode(schema: unknown): ValueTest {
  if (!isDocument(schema)) throw new MongoCommandError(ErrorCodes.TypeMismatch, "$jsonSchema keyword must be an object");
  const checks: ValueTest[] = [];
  const typeList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);
  for (const [keyword, argument] of Object.entries(schema)) {
    switch (keyword) {
      case "bsonType": {
        const accepted = new Set<string>();
        for (const name of typeList(argument)) {
          if (name === "number") ["double", "int", "long", "decimal"].forEach((type) => accepted.add(type));
          else if (typeNames.has(name)) accepted.add(name);
          else throw badValue(`Unknown type name alias: ${name}`);
        }
        checks.push((value) => accepted.has(bsonTypeOf(value)));
        break;
      }
      case "type": {
        const accepted = new Set<string>();
        for (const name of typeList(argument)) {
          const bsonTypes = jsonTypeToBson[name];
          if (!bsonTypes) throw badValue(`Unknown $jsonSchema type: ${name}`);
          bsonTypes.forEach((type) => accepted.add(type));
        }
        checks.push((value) => accepted.has(bsonTypeOf(value)));
        break;
      }
      case "required": {
        const required = (argument as unknown[]).map(String);
        checks.push((value) => !isDocument(value) || required.every((field) => value[field] !== undefined));
        break;
      }
      case "properties": {
        const properties = Object.entries(argument as Doc).map(([field, sub]) => [field, compileSchemaNode(sub)] as const);
        checks.push((value) => !isDocument(value) || properties.every(([field, check]) => value[field] === undefined || check(value[field])));
        break;
      }
      case "additionalProperties": {
        const known = new Set(Object.keys((schema.properties as Doc | undefined) ?? {}));
        if (argument === false) {
          checks.push((value) => !isDocument(value) || Object.keys(value).every((field) => known.has(field)));
        } else if (isDocument(argument)) {
          const check = compileSchemaNode(argument);
          checks.push((value) => !isDocument(value) || Object.keys(value).every((field) => known.has(field) || check(value[field])));
        }
        break;
      }
      case "enum": {
        const options = argument as unknown[];
        checks.push((value) => options.some((option) => valuesEqual(option, value)));
        break;
      }
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        if (keyword === "exclusiveMinimum" || keyword === "exclusiveMaximum") break; // read with minimum/maximum
        {
          const bound = argument;
          const exclusive = keyword === "minimum" ? schema.exclusiveMinimum === true : schema.exclusiveMaximum === true;
          const below = keyword === "minimum";
          checks.push((value) => {
            if (!isNumberLike(value)) return true;
            const order = compareValues(value, bound);
            return below ? (exclusive ? order > 0 : order >= 0) : exclusive ? order < 0 : order <= 0;
          });
        }
        break;
      case "minLength":
      case "maxLength": {
        const limit = toNumber(argument);
        checks.push((value) => typeof value !== "string" || (keyword === "minLength" ? [...value].length >= limit : [...value].length <= limit));
        break;
      }
      case "pattern": {
        const regex = buildRegExp(String(argument), "");
        checks.push((value) => typeof value !== "string" || regex.test(value));
        break;
      }
      case "items": {
        if (Array.isArray(argument)) {
          const itemChecks = argument.map(compileSchemaNode);
          checks.push((value) => !Array.isArray(value) || itemChecks.every((check, i) => i >= value.length || check(value[i])));
        } else {
          const check = compileSchemaNode(argument);
          checks.push((value) => !Array.isArray(value) || value.every(check));
        }
        break;
      }
      case "minItems":
      case "maxItems": {
        const limit = toNumber(argument);
        checks.push((value) => !Array.isArray(value) || (keyword === "minItems" ? value.length >= limit : value.length <= limit));
        break;
      }
      case "uniqueItems":
        if (argument === true) {
          checks.push((value) => !Array.isArray(value) || new Set(value.map(canonicalKey)).size === value.length);
        }
        break;
      case "allOf":
      case "anyOf":
      case "oneOf": {
        const members = (argument as unknown[]).map(compileSchemaNode);
        if (keyword === "allOf") checks.push((value) => members.every((check) => check(value)));
        else if (keyword === "anyOf") checks.push((value) => members.some((check) => check(value)));
        else checks.push((value) => members.filter((check) => check(value)).length === 1);
        break;
      }
      case "not": {
        const check = compileSchemaNode(argument);
        checks.push((value) => !check(value));
        break;
      }
      case "title":
      case "description":
        break;
      default:
        throw new MongoCommandError(ErrorCodes.FailedToParse, `Unknown $jsonSchema keyword: ${keyword}`);
    }
  }
  return (value) => checks.every((check) => check(value));
}

// ---------------------------------------------------------------------------------------------
// Constraints for index planning

function collectConstraints(filter: Doc, into: Map<string, FieldConstraint>): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const member of value) if (isDocument(member)) collectConstraints(member, into);
      continue;
    }
    if (key.startsWith("$")) continue;
    if (isOperatorDocument(value)) {
      for (const [operator, operand] of Object.entries(value)) {
        switch (operator) {
          case "$eq":
            if (!isRegex(operand)) addEquality(into, key, [operand]);
            break;
          case "$in":
            if (Array.isArray(operand) && !operand.some(isRegex)) addEquality(into, key, operand);
            break;
          case "$gt":
          case "$gte":
          case "$lt":
          case "$lte":
            addBound(into, key, operator.slice(1) as "gt" | "gte" | "lt" | "lte", operand);
            break;
          default:
            break;
        }
      }
    } else if (!isRegex(value)) {
      addEquality(into, key, [value]);
    }
  }
}

function constraintFor(into: Map<string, FieldConstraint>, field: string): FieldConstraint {
  let constraint = into.get(field);
  if (!constraint) {
    constraint = {};
    into.set(field, constraint);
  }
  return constraint;
}

function addEquality(into: Map<string, FieldConstraint>, field: string, values: unknown[]): void {
  const constraint = constraintFor(into, field);
  if (constraint.eq === undefined || values.length < constraint.eq.length) constraint.eq = [...values];
}

function addBound(into: Map<string, FieldConstraint>, field: string, kind: "gt" | "gte" | "lt" | "lte", bound: unknown): void {
  const constraint = constraintFor(into, field);
  const current = constraint[kind];
  if (current === undefined || bracketOf(current) !== bracketOf(bound)) {
    constraint[kind] = bound;
    return;
  }
  const order = compareValues(bound, current);
  const tighter = kind === "gt" || kind === "gte" ? order > 0 : order < 0;
  if (tighter) constraint[kind] = bound;
}

// ---------------------------------------------------------------------------------------------

/** A BSON document as deserialized (a plain object), not an array or a BSON value class. */
function isDocument(value: unknown): value is Doc {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
