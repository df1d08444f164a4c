/**
 * Update semantics as mongod applies them: operator documents, replacement documents and
 * aggregation-pipeline updates. Values are BSON deserialized with `promoteValues: false`, so every
 * operator keeps MongoDB's numeric types (Int32, Long, Double, Decimal128) instead of JS numbers.
 *
 * Operator updates follow mongod's update tree: every path is parsed and checked for conflicts
 * first, positional parts (`$`, `$[]`, `$[id]`) are then resolved against the document, and the
 * resulting concrete paths are applied in lexicographic order, which is also the order in which
 * mongod appends new fields. The input document is never mutated: containers on a written path
 * are copied on first write, untouched subtrees are shared with the input.
 */
import { Aggregator } from "mingo";
import { Decimal128, Double, Int32, Long, Timestamp } from "bson";
import { bsonTypeOf, compareValues, isNumeric, toNumber, toPlain, valuesEqual, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, badValue, failedToParse, typeMismatch } from "../errors.js";
import { compileFilter, type Matcher } from "./matcher.js";

export interface UpdateOptions {
  arrayFilters?: Doc[];
  /** The query filter: needed for the positional `$` operator. */
  filter?: Doc;
  /** True when the update builds a new document for an upsert: `$setOnInsert` applies only then. */
  isUpsertInsert?: boolean;
  /** The command's `let` variables (unevaluated expressions), for `$$name` in pipeline updates. */
  variables?: Doc;
}

export type UpdateSpec = Doc | Doc[];

/**
 * Applies an update: operator document ($set, $unset, $inc, $mul, $min, $max, $rename,
 * $setOnInsert, $currentDate, $push with $each/$slice/$sort/$position, $addToSet, $pop, $pull,
 * $pullAll, $bit; positional $, $[], $[id] with arrayFilters), a replacement document, or an
 * aggregation pipeline (evaluated with mingo). Never mutates `doc`. Types are kept: $inc on a Long
 * stays a Long, Int32 overflow promotes to Long, Int32 + Double gives Double.
 * Throws MongoCommandError with MongoDB's codes (ImmutableField 66 for _id changes,
 * ConflictingUpdateOperators 40, FailedToParse 9, TypeMismatch 14, ...).
 */
export function applyUpdate(doc: Doc, update: UpdateSpec, options: UpdateOptions = {}): { doc: Doc; modified: boolean } {
  if (Array.isArray(update)) return applyPipelineUpdate(doc, update, options);
  if (isReplacement(update)) return applyReplacement(doc, update);
  return applyOperatorUpdate(doc, update, options);
}

/** The base document of an upsert: the equality fields of the filter ({a: 1}, {a: {$eq: 1}}, $and of those), without operators. */
export function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  const assignedPaths: string[] = [];
  collectEqualities(filter, (path, value) => {
    for (const assigned of assignedPaths) {
      if (assigned === path) {
        throw new MongoCommandError(ErrorCodes.NotSingleValueField, `cannot infer query fields to set, path '${path}' is matched twice`);
      }
      if (isPathPrefix(assigned, path) || isPathPrefix(path, assigned)) {
        throw new MongoCommandError(
          ErrorCodes.NotSingleValueField,
          `cannot infer query fields to set, both paths '${path}' and '${assigned}' are matched`,
        );
      }
    }
    assignedPaths.push(path);
    const parts = path.split(".");
    let container = seed;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainDocument(container[part])) container[part] = {};
      container = container[part] as Doc;
    }
    container[parts[parts.length - 1]] = cloneValue(value);
  });
  return seed;
}

/**
 * True when `update` is a replacement document rather than operators or a pipeline. As in mongod,
 * a document is a replacement when its first field name does not start with `$`; the empty
 * document is therefore a replacement (it keeps only `_id`), which is what `replaceOne(f, {})` sends.
 */
export function isReplacement(update: UpdateSpec): boolean {
  if (Array.isArray(update)) return false;
  const firstKey = Object.keys(update)[0];
  return firstKey === undefined || !firstKey.startsWith("$");
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/** Marks an absent field: distinct from a field holding `undefined` or `null`. */
const MISSING: unique symbol = Symbol("missing");
type Maybe<T> = T | typeof MISSING;

/** A document in the BSON sense: a plain object, not a BSON value class, array, date or regex. */
function isPlainDocument(value: unknown): value is Doc {
  return bsonTypeOf(value) === "object" && (value as { _bsontype?: unknown })._bsontype === undefined;
}

/** Deep copy of arrays and documents; BSON value instances are immutable and shared. */
function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isPlainDocument(value)) {
    const copy: Doc = {};
    for (const [key, element] of Object.entries(value)) copy[key] = cloneValue(element);
    return copy as T;
  }
  return value;
}

function isPathPrefix(prefix: string, path: string): boolean {
  return path.startsWith(`${prefix}.`);
}

/** An array index as mongod reads one from a path part: decimal digits without a leading zero. */
function arrayIndexOf(part: string): number | undefined {
  if (!/^(0|[1-9]\d*)$/.test(part)) return undefined;
  const index = Number(part);
  return Number.isSafeInteger(index) ? index : undefined;
}

/**
 * Binary equality: same types, same values, same field order. This is what decides whether an
 * update modified a document (mongod compares the new value with the old one byte for byte), so
 * Int32(1) -> Double(1) is a modification while setting the same Int32(1) again is not.
 */
function identical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const type = bsonTypeOf(a);
  if (type !== bsonTypeOf(b)) return false;
  switch (type) {
    case "double":
      return Object.is(toNumber(a), toNumber(b));
    case "decimal":
      return String(a) === String(b);
    case "array": {
      const x = a as unknown[];
      const y = b as unknown[];
      return x.length === y.length && x.every((element, i) => identical(element, y[i]));
    }
    case "object": {
      if (!isPlainDocument(a) || !isPlainDocument(b)) return compareValues(a, b) === 0;
      const keysA = Object.keys(a);
      const keysB = Object.keys(b);
      return keysA.length === keysB.length && keysA.every((key, i) => key === keysB[i] && identical(a[key], b[key]));
    }
    case "regex":
    case "timestamp":
    case "binData":
    case "date":
    case "objectId":
    case "string":
    case "symbol":
    case "int":
    case "long":
    case "bool":
      return compareValues(a, b) === 0;
    case "null":
    case "undefined":
    case "minKey":
    case "maxKey":
      return true;
    default:
      return String(a) === String(b);
  }
}

/** A value as mongod prints it inside error messages (close to its BSON toString). */
function formatValue(value: unknown): string {
  switch (bsonTypeOf(value)) {
    case "string":
      return JSON.stringify(value);
    case "int":
      return String(toNumber(value));
    case "long":
      return typeof value === "bigint" ? value.toString() : (value as Long).toString();
    case "double": {
      const number = toNumber(value);
      return Number.isInteger(number) && Math.abs(number) < 1e21 ? `${number}.0` : String(number);
    }
    case "decimal":
      return `NumberDecimal("${String(value)}")`;
    case "objectId":
      return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
    case "date":
      return `new Date(${(value as Date).getTime()})`;
    case "timestamp": {
      const timestamp = value as Timestamp;
      return `Timestamp(${timestamp.t}, ${timestamp.i})`;
    }
    case "regex": {
      const regex = value as { pattern?: string; options?: string; source?: string; flags?: string };
      return `/${regex.pattern ?? regex.source}/${regex.options ?? regex.flags ?? ""}`;
    }
    case "array": {
      const elements = (value as unknown[]).map(formatValue);
      return elements.length === 0 ? "[]" : `[ ${elements.join(", ")} ]`;
    }
    case "object": {
      if (!isPlainDocument(value)) return String(value);
      const fields = Object.entries(value).map(([key, element]) => `${key}: ${formatValue(element)}`);
      return fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
    }
    default:
      return String(value);
  }
}

/** `{_id: 1}`: how mongod names the document in many update errors. */
function describeDocumentId(doc: Doc): string {
  return Object.hasOwn(doc, "_id") ? `{_id: ${formatValue(doc._id)}}` : "{}";
}

// ---------------------------------------------------------------------------------------------
// Numbers: MongoDB's arithmetic type rules
// ---------------------------------------------------------------------------------------------

type NumericKind = "int" | "long" | "double" | "decimal";
const numericRank: Record<NumericKind, number> = { int: 0, long: 1, double: 2, decimal: 3 };

function numericKindOf(value: unknown): NumericKind {
  return bsonTypeOf(value) as NumericKind;
}

function integerOf(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (value instanceof Long) return value.toBigInt();
  return BigInt(toNumber(value));
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A decimal as sign-less coefficient and exponent, or a special value mongod keeps as is. */
interface DecimalParts {
  coefficient: bigint;
  exponent: number;
}

function decimalPartsOf(value: unknown): DecimalParts | undefined {
  const kind = numericKindOf(value);
  if (kind === "int" || kind === "long") return { coefficient: integerOf(value), exponent: 0 };
  // mongod converts a double to a decimal rounded to 15 significant digits.
  const text = kind === "decimal" ? String(value) : toNumber(value).toPrecision(15);
  const match = /^(-)?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return undefined;
  const fraction = match[3] ?? "";
  const magnitude = BigInt(`${match[2]}${fraction}`);
  return {
    coefficient: match[1] ? -magnitude : magnitude,
    exponent: Number(match[4] ?? 0) - fraction.length,
  };
}

function decimalArithmetic(operation: "add" | "multiply", a: unknown, b: unknown): Decimal128 {
  const x = decimalPartsOf(a);
  const y = decimalPartsOf(b);
  if (!x || !y) {
    // NaN or an infinity is involved: JS numbers give the same special result.
    const result = operation === "add" ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
    return Decimal128.fromString(Number.isNaN(result) ? "NaN" : String(result));
  }
  if (operation === "multiply") {
    return Decimal128.fromStringWithRounding(`${x.coefficient * y.coefficient}E${x.exponent + y.exponent}`);
  }
  const exponent = Math.min(x.exponent, y.exponent);
  const sum =
    x.coefficient * 10n ** BigInt(x.exponent - exponent) + y.coefficient * 10n ** BigInt(y.exponent - exponent);
  return Decimal128.fromStringWithRounding(`${sum}E${exponent}`);
}

/** a + b or a * b with MongoDB's result type; undefined when a 64-bit integer overflows. */
function arithmetic(operation: "add" | "multiply", a: unknown, b: unknown): unknown {
  const kindA = numericKindOf(a);
  const kindB = numericKindOf(b);
  const kind = numericRank[kindA] >= numericRank[kindB] ? kindA : kindB;
  if (kind === "decimal") return decimalArithmetic(operation, a, b);
  if (kind === "double") {
    return new Double(operation === "add" ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b));
  }
  const x = integerOf(a);
  const y = integerOf(b);
  const result = operation === "add" ? x + y : x * y;
  if (kind === "int" && result >= INT32_MIN && result <= INT32_MAX) return new Int32(Number(result));
  if (result >= INT64_MIN && result <= INT64_MAX) return Long.fromBigInt(result);
  return undefined;
}

function zeroOfKind(kind: NumericKind): unknown {
  switch (kind) {
    case "int":
      return new Int32(0);
    case "long":
      return Long.fromNumber(0);
    case "decimal":
      return Decimal128.fromString("0");
    default:
      return new Double(0);
  }
}

/** An operand of $bit: Int32 or Long (plain JS integers, which only server code passes, count as Int32). */
function isBitOperand(value: unknown): boolean {
  const type = bsonTypeOf(value);
  if (type === "int" || type === "long") return true;
  return typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
}

// ---------------------------------------------------------------------------------------------
// Operator updates: parsing
// ---------------------------------------------------------------------------------------------

type OperatorName =
  | "$set"
  | "$unset"
  | "$inc"
  | "$mul"
  | "$min"
  | "$max"
  | "$rename"
  | "$setOnInsert"
  | "$currentDate"
  | "$push"
  | "$addToSet"
  | "$pop"
  | "$pull"
  | "$pullAll"
  | "$bit";

const OPERATORS: ReadonlySet<string> = new Set<OperatorName>([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$rename",
  "$setOnInsert",
  "$currentDate",
  "$push",
  "$addToSet",
  "$pop",
  "$pull",
  "$pullAll",
  "$bit",
]);

interface PushModifiers {
  each: unknown[];
  slice?: number;
  sort?: 1 | -1 | Doc;
  position?: number;
}

type BitOperation = { operation: "and" | "or" | "xor"; operand: unknown };

/** What one field of one operator does to the value at its path. */
type LeafAction =
  | { kind: "set"; value: unknown }
  | { kind: "setOnInsert"; value: unknown }
  | { kind: "unset" }
  | { kind: "inc"; operand: unknown }
  | { kind: "mul"; operand: unknown }
  | { kind: "min"; operand: unknown }
  | { kind: "max"; operand: unknown }
  | { kind: "currentDate"; asTimestamp: boolean }
  | { kind: "push"; modifiers: PushModifiers }
  | { kind: "addToSet"; values: unknown[] }
  | { kind: "pop"; fromFront: boolean }
  | { kind: "pull"; matches: (element: unknown) => boolean }
  | { kind: "pullAll"; values: unknown[] }
  | { kind: "bit"; operations: BitOperation[] }
  | { kind: "renameSource" }
  | { kind: "renameTarget"; sourceParts: string[]; sourcePath: string; targetPath: string };

/** Actions that create the path (and its missing intermediate documents) when it is absent. */
const CREATING_ACTIONS: ReadonlySet<LeafAction["kind"]> = new Set([
  "set",
  "setOnInsert",
  "inc",
  "mul",
  "min",
  "max",
  "currentDate",
  "push",
  "addToSet",
  "bit",
  "renameTarget",
]);

interface FieldUpdate {
  operator: OperatorName;
  /** The path as written, for messages. */
  path: string;
  parts: string[];
  action: LeafAction;
}

interface ArrayFilter {
  identifier: string;
  matches: Matcher;
}

/** A tree of the paths seen so far: detects two updates of the same path or of a path and its prefix. */
class PathConflictTree {
  private readonly root = new Map<string, PathNode>();

  add(parts: string[], path: string): void {
    let children = this.root;
    for (let i = 0; i < parts.length; i++) {
      let node = children.get(parts[i]);
      if (node?.isLeaf) throw conflictError(path, parts.slice(0, i + 1).join("."));
      if (i === parts.length - 1) {
        if (node) throw conflictError(path, path);
        children.set(parts[i], { isLeaf: true, children: new Map() });
        return;
      }
      if (!node) {
        node = { isLeaf: false, children: new Map() };
        children.set(parts[i], node);
      }
      children = node.children;
    }
  }
}

interface PathNode {
  isLeaf: boolean;
  children: Map<string, PathNode>;
}

function conflictError(path: string, conflictAt: string): MongoCommandError {
  return new MongoCommandError(
    ErrorCodes.ConflictingUpdateOperators,
    `Updating the path '${path}' would create a conflict at '${conflictAt}'`,
  );
}

function emptyFieldNameError(message: string): MongoCommandError {
  return new MongoCommandError(56, message, { codeName: "EmptyFieldName" });
}

function arrayFilterIdentifier(part: string): string | undefined {
  return part.startsWith("$[") && part.endsWith("]") ? part.slice(2, -1) : undefined;
}

/** Splits and validates an update path; records the array filter identifiers it uses. */
function parseUpdatePath(path: string, arrayFilters: Map<string, ArrayFilter>, usedIdentifiers: Set<string>): string[] {
  if (path === "") throw emptyFieldNameError("An empty update path is not valid.");
  const parts = path.split(".");
  if (parts.some((part) => part === "")) {
    throw emptyFieldNameError(`The update path '${path}' contains an empty field name, which is not allowed.`);
  }
  let positionalCount = 0;
  parts.forEach((part, index) => {
    if (!part.startsWith("$")) return;
    if (part === "$") {
      if (index === 0) throw badValue(`Cannot have positional (i.e. '$') element in the first component in path '${path}'`);
      positionalCount++;
      return;
    }
    const identifier = arrayFilterIdentifier(part);
    if (identifier === undefined) {
      throw new MongoCommandError(
        ErrorCodes.DollarPrefixedFieldName,
        `The dollar ($) prefixed field '${part}' in '${path}' is not valid for storage.`,
      );
    }
    if (index === 0) {
      throw badValue(`Cannot have array filter identifier (i.e. '$[<id>]') element in the first component in path '${path}'`);
    }
    if (identifier === "") return;
    if (!arrayFilters.has(identifier)) throw badValue(`No array filter found for identifier '${identifier}' in path '${path}'`);
    usedIdentifiers.add(identifier);
  });
  if (positionalCount > 1) throw badValue(`Too many positional (i.e. '$') elements found in path '${path}'`);
  return parts;
}

function isDynamicPath(parts: string[]): boolean {
  return parts.some((part) => part === "$" || arrayFilterIdentifier(part) !== undefined);
}

/** The top-level identifier of an array filter (`i` in {"i.b": 1} or {$or: [{i: 1}, ...]}). */
function identifiersOf(filter: Doc): string[] {
  const identifiers: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith("$")) {
      if (Array.isArray(value)) for (const clause of value) if (isPlainDocument(clause)) identifiers.push(...identifiersOf(clause));
      continue;
    }
    identifiers.push(key.split(".")[0]);
  }
  return identifiers;
}

function parseArrayFilters(rawFilters: Doc[] | undefined): Map<string, ArrayFilter> {
  const filters = new Map<string, ArrayFilter>();
  for (const rawFilter of rawFilters ?? []) {
    if (!isPlainDocument(rawFilter)) {
      throw failedToParse(`Array filters must be objects, found ${bsonTypeOf(rawFilter)}`);
    }
    const identifiers = [...new Set(identifiersOf(rawFilter))];
    if (identifiers.length === 0) {
      throw failedToParse("Cannot use an expression without a top-level field name in arrayFilters");
    }
    if (identifiers.length > 1) {
      throw failedToParse(
        `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${identifiers[0]}' and '${identifiers[1]}'`,
      );
    }
    const identifier = identifiers[0];
    if (!/^[a-z][a-zA-Z0-9]*$/.test(identifier)) {
      throw badValue(
        `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${identifier}'`,
      );
    }
    if (filters.has(identifier)) {
      throw failedToParse(`Found multiple array filters with the same top-level field name ${identifier}`);
    }
    const matcher = compileFilter(rawFilter);
    // The filter names the element by its identifier: {"i.b": 1} is matched against {i: element}.
    filters.set(identifier, { identifier, matches: (element) => matcher({ [identifier]: element }) });
  }
  return filters;
}

/** Query operators that make a $pull condition apply to the element itself ({$gte: 5}). */
function isValueCondition(condition: Doc): boolean {
  const firstKey = Object.keys(condition)[0];
  if (firstKey === undefined || !firstKey.startsWith("$")) return false;
  return !["$and", "$or", "$nor", "$expr", "$where", "$text", "$comment", "$jsonSchema"].includes(firstKey);
}

/** mongod's three $pull matchers: a condition on the element, a query on document elements, or equality. */
function pullMatcher(condition: unknown): (element: unknown) => boolean {
  if (isPlainDocument(condition) && !isValueCondition(condition)) {
    const matcher = compileFilter(condition);
    return (element) => isPlainDocument(element) && matcher(element);
  }
  if (isPlainDocument(condition) || bsonTypeOf(condition) === "regex") {
    const matcher = compileFilter({ element: condition });
    return (element) => matcher({ element });
  }
  return (element) => valuesEqual(element, condition);
}

function requireInteger(value: unknown, message: string): number {
  const number = toNumber(value);
  if (!isNumeric(value) || !Number.isInteger(number)) throw badValue(message);
  return number;
}

function parsePushModifiers(argument: unknown): PushModifiers {
  if (!isPlainDocument(argument) || !Object.hasOwn(argument, "$each")) return { each: [argument] };
  const modifiers: PushModifiers = { each: [] };
  for (const [clause, value] of Object.entries(argument)) {
    switch (clause) {
      case "$each":
        if (!Array.isArray(value)) {
          throw badValue(`The argument to $each in $push must be an array but it was of type: ${bsonTypeOf(value)}`);
        }
        modifiers.each = value;
        break;
      case "$slice":
        modifiers.slice = requireInteger(value, `The value for $slice must be an integer value but was given type: ${bsonTypeOf(value)}`);
        break;
      case "$position":
        modifiers.position = requireInteger(value, `The value for $position must be an integer value, not of type: ${bsonTypeOf(value)}`);
        break;
      case "$sort":
        modifiers.sort = parsePushSort(value);
        break;
      default:
        throw badValue(`Unrecognized clause in $push: ${clause}`);
    }
  }
  return modifiers;
}

function parsePushSort(value: unknown): 1 | -1 | Doc {
  const invalid = () =>
    badValue("The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields");
  if (isNumeric(value)) {
    const direction = toNumber(value);
    if (direction !== 1 && direction !== -1) throw invalid();
    return direction;
  }
  if (!isPlainDocument(value) || Object.keys(value).length === 0) throw invalid();
  for (const [field, direction] of Object.entries(value)) {
    const number = toNumber(direction);
    if (field === "" || field.startsWith("$") || field.split(".").includes("") || (number !== 1 && number !== -1)) {
      throw invalid();
    }
  }
  return value;
}

function parseAddToSetValues(argument: unknown): unknown[] {
  if (!isPlainDocument(argument) || !Object.hasOwn(argument, "$each")) return [argument];
  const extra = Object.keys(argument).filter((key) => key !== "$each");
  if (extra.length > 0) throw badValue(`Found unexpected fields after $each in $addToSet: ${formatValue(argument)}`);
  if (!Array.isArray(argument.$each)) {
    throw badValue(`The argument to $each in $addToSet must be an array but it was of type ${bsonTypeOf(argument.$each)}`);
  }
  return argument.$each;
}

function parseBitOperations(argument: unknown): BitOperation[] {
  if (!isPlainDocument(argument)) {
    throw badValue(
      `The $bit modifier is not compatible with a ${bsonTypeOf(argument)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`,
    );
  }
  const operations: BitOperation[] = [];
  for (const [operation, operand] of Object.entries(argument)) {
    if (operation !== "and" && operation !== "or" && operation !== "xor") {
      throw badValue(
        `The $bit modifier only supports 'and', 'or', and 'xor', not '${operation}' which is an unknown operator: {${operation}: ${formatValue(operand)}}`,
      );
    }
    if (!isBitOperand(operand)) {
      throw badValue(
        `The $bit modifier field must be an Integer(32/64 bit); a '${bsonTypeOf(operand)}' is not supported here: {${operation}: ${formatValue(operand)}}`,
      );
    }
    operations.push({ operation, operand });
  }
  if (operations.length === 0) {
    throw badValue(`You must pass in at least one bitwise operation. The format is: {$bit: {field: {and/or/xor: #}}`);
  }
  return operations;
}

function parseCurrentDate(argument: unknown): LeafAction {
  if (typeof argument === "boolean") return { kind: "currentDate", asTimestamp: false };
  if (!isPlainDocument(argument)) {
    throw badValue(
      `${formatValue(argument)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
    );
  }
  for (const key of Object.keys(argument)) {
    if (key !== "$type") throw badValue(`Unrecognized $currentDate option: ${key}`);
  }
  const type = argument.$type;
  if (type !== "date" && type !== "timestamp") {
    throw badValue("The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}");
  }
  return { kind: "currentDate", asTimestamp: type === "timestamp" };
}

/** The action of one field of one operator, after validating its argument as mongod does. */
function parseAction(operator: OperatorName, path: string, argument: unknown): LeafAction {
  switch (operator) {
    case "$set":
      return { kind: "set", value: argument };
    case "$setOnInsert":
      return { kind: "setOnInsert", value: argument };
    case "$unset":
      return { kind: "unset" };
    case "$inc":
    case "$mul":
      if (!isNumeric(argument)) {
        const verb = operator === "$inc" ? "increment" : "multiply";
        throw typeMismatch(`Cannot ${verb} with non-numeric argument: {${path}: ${formatValue(argument)}}`);
      }
      return { kind: operator === "$inc" ? "inc" : "mul", operand: argument };
    case "$min":
      return { kind: "min", operand: argument };
    case "$max":
      return { kind: "max", operand: argument };
    case "$currentDate":
      return parseCurrentDate(argument);
    case "$push":
      return { kind: "push", modifiers: parsePushModifiers(argument) };
    case "$addToSet":
      return { kind: "addToSet", values: parseAddToSetValues(argument) };
    case "$pop": {
      if (!isNumeric(argument)) throw badValue(`Expected a number in: ${path}: ${formatValue(argument)}`);
      const direction = toNumber(argument);
      if (direction !== 1 && direction !== -1) throw badValue(`$pop expects 1 or -1, found: ${formatValue(argument)}`);
      return { kind: "pop", fromFront: direction === -1 };
    }
    case "$pull":
      return { kind: "pull", matches: pullMatcher(argument) };
    case "$pullAll":
      if (!Array.isArray(argument)) {
        throw badValue(`$pullAll requires an array argument but was given a ${bsonTypeOf(argument)}`);
      }
      return { kind: "pullAll", values: argument };
    case "$bit":
      return { kind: "bit", operations: parseBitOperations(argument) };
    case "$rename":
      // $rename is split into its two paths by the caller.
      return { kind: "renameSource" };
  }
}

interface ParsedUpdate {
  fieldUpdates: FieldUpdate[];
  arrayFilters: Map<string, ArrayFilter>;
}

function parseOperatorUpdate(update: Doc, rawArrayFilters: Doc[] | undefined): ParsedUpdate {
  const arrayFilters = parseArrayFilters(rawArrayFilters);
  const usedIdentifiers = new Set<string>();
  const conflicts = new PathConflictTree();
  const fieldUpdates: FieldUpdate[] = [];
  for (const [operatorName, operand] of Object.entries(update)) {
    if (!OPERATORS.has(operatorName)) {
      throw failedToParse(
        `Unknown modifier: ${operatorName}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    const operator = operatorName as OperatorName;
    if (!isPlainDocument(operand)) {
      throw failedToParse(
        `Modifiers operate on fields but we found type ${bsonTypeOf(operand)} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${formatValue(operand)}}`,
      );
    }
    for (const [path, argument] of Object.entries(operand)) {
      const parts = parseUpdatePath(path, arrayFilters, usedIdentifiers);
      if (operator === "$rename") {
        fieldUpdates.push(...parseRename(path, parts, argument, arrayFilters, usedIdentifiers, conflicts));
        continue;
      }
      const action = parseAction(operator, path, argument);
      conflicts.add(parts, path);
      fieldUpdates.push({ operator, path, parts, action });
    }
  }
  for (const identifier of arrayFilters.keys()) {
    if (!usedIdentifiers.has(identifier)) {
      throw failedToParse(`The array filter for identifier '${identifier}' was not used in the update ${formatValue(update)}`);
    }
  }
  return { fieldUpdates, arrayFilters };
}

function parseRename(
  sourcePath: string,
  sourceParts: string[],
  target: unknown,
  arrayFilters: Map<string, ArrayFilter>,
  usedIdentifiers: Set<string>,
  conflicts: PathConflictTree,
): FieldUpdate[] {
  if (typeof target !== "string") {
    throw badValue(`The 'to' field for $rename must be a string: ${sourcePath}: ${formatValue(target)}`);
  }
  const targetParts = parseUpdatePath(target, arrayFilters, usedIdentifiers);
  if (isDynamicPath(sourceParts)) throw badValue(`The source field for $rename may not be dynamic: ${sourcePath}`);
  if (isDynamicPath(targetParts)) throw badValue(`The destination field for $rename may not be dynamic: ${target}`);
  if (sourcePath === target) throw badValue(`The source and target field for $rename must differ: ${sourcePath}: "${target}"`);
  if (isPathPrefix(sourcePath, target) || isPathPrefix(target, sourcePath)) {
    throw badValue(`The source and target field for $rename must not be on the same path: ${sourcePath}: "${target}"`);
  }
  conflicts.add(sourceParts, sourcePath);
  conflicts.add(targetParts, target);
  return [
    { operator: "$rename", path: sourcePath, parts: sourceParts, action: { kind: "renameSource" } },
    {
      operator: "$rename",
      path: target,
      parts: targetParts,
      action: { kind: "renameTarget", sourceParts, sourcePath, targetPath: target },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Operator updates: resolving positional paths
// ---------------------------------------------------------------------------------------------

function childOf(container: unknown, part: string): Maybe<unknown> {
  if (isPlainDocument(container)) return Object.hasOwn(container, part) ? container[part] : MISSING;
  if (Array.isArray(container)) {
    const index = arrayIndexOf(part);
    return index !== undefined && index < container.length ? container[index] : MISSING;
  }
  return MISSING;
}

/** The top-level conditions of a filter, including those inside `$and`. */
function topLevelConditions(filter: Doc): [string, unknown][] {
  const conditions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const clause of value) if (isPlainDocument(clause)) conditions.push(...topLevelConditions(clause));
    } else if (!key.startsWith("$")) {
      conditions.push([key, value]);
    }
  }
  return conditions;
}

/**
 * The index the positional `$` stands for: the first element of the array at `arrayParts` that
 * satisfies the filter's conditions on that array. Each element is tested by matching those
 * conditions against a document in which the array holds only that element.
 */
function positionalIndex(doc: Doc, filter: Doc | undefined, arrayParts: string[]): number {
  const noMatch = () => badValue("The positional operator did not find the match needed from the query.");
  const array = arrayParts.reduce<Maybe<unknown>>((value, part) => (value === MISSING ? MISSING : childOf(value, part)), doc);
  if (!filter || !Array.isArray(array)) throw noMatch();
  const arrayPath = arrayParts.join(".");
  const conditions = topLevelConditions(filter).filter(([key]) => key === arrayPath || isPathPrefix(arrayPath, key));
  if (conditions.length === 0) throw noMatch();
  const matcher = compileFilter({ $and: conditions.map(([key, condition]) => ({ [key]: condition })) });
  for (let index = 0; index < array.length; index++) {
    const probe: Doc = {};
    let container = probe;
    for (const part of arrayParts.slice(0, -1)) {
      const next: Doc = {};
      container[part] = next;
      container = next;
    }
    container[arrayParts[arrayParts.length - 1]] = [array[index]];
    if (matcher(probe)) return index;
  }
  throw noMatch();
}

interface ResolveContext {
  doc: Doc;
  filter: Doc | undefined;
  arrayFilters: Map<string, ArrayFilter>;
}

/** The concrete paths a path with positional parts stands for in this document. */
function concretePaths(parts: string[], context: ResolveContext): string[][] {
  if (!parts.some((part) => part.startsWith("$"))) return [parts];
  const results: string[][] = [];
  const walk = (value: Maybe<unknown>, index: number, prefix: string[]): void => {
    if (index === parts.length) {
      results.push(prefix);
      return;
    }
    const part = parts[index];
    if (part === "$") {
      const position = String(positionalIndex(context.doc, context.filter, prefix));
      walk(value === MISSING ? MISSING : childOf(value, position), index + 1, [...prefix, position]);
      return;
    }
    const identifier = arrayFilterIdentifier(part);
    if (identifier === undefined) {
      walk(value === MISSING ? MISSING : childOf(value, part), index + 1, [...prefix, part]);
      return;
    }
    if (value === MISSING) {
      throw badValue(`The path '${prefix.join(".")}' must exist in the document in order to apply array updates.`);
    }
    if (!Array.isArray(value)) {
      throw badValue(`Cannot apply array updates to non-array element ${prefix[prefix.length - 1]}: ${formatValue(value)}`);
    }
    const filter = identifier === "" ? undefined : context.arrayFilters.get(identifier);
    value.forEach((element, elementIndex) => {
      if (!filter || filter.matches(element)) walk(element, index + 1, [...prefix, String(elementIndex)]);
    });
  };
  walk(context.doc, 0, []);
  return results;
}

function compareParts(a: string[], b: string[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

function isPartsPrefix(prefix: string[], parts: string[]): boolean {
  return prefix.length <= parts.length && prefix.every((part, i) => part === parts[i]);
}

// ---------------------------------------------------------------------------------------------
// Operator updates: applying
// ---------------------------------------------------------------------------------------------

type PathLookup =
  | { state: "found"; value: unknown }
  | { state: "missing" }
  /** A value on the way is neither a document nor an array it could index: the path cannot exist. */
  | { state: "blocked"; index: number; blocker: unknown };

function lookupPath(root: Doc, parts: string[]): PathLookup {
  let current: unknown = root;
  for (let i = 0; i < parts.length; i++) {
    if (isPlainDocument(current)) {
      if (!Object.hasOwn(current, parts[i])) return { state: "missing" };
      current = current[parts[i]];
      continue;
    }
    if (Array.isArray(current)) {
      const index = arrayIndexOf(parts[i]);
      if (index === undefined) return { state: "blocked", index: i, blocker: current };
      if (index >= current.length) return { state: "missing" };
      current = current[index];
      continue;
    }
    return { state: "blocked", index: i, blocker: current };
  }
  return { state: "found", value: current };
}

/** mongod refuses to pad an array by more than this many elements in one update. */
const MAX_ARRAY_PADDING = 1_500_000;

/** The document being built: written containers are private copies, everything else is shared with the input. */
class DocumentWriter {
  readonly root: Doc;
  private readonly owned = new Set<object>();

  constructor(original: Doc) {
    this.root = { ...original };
    this.owned.add(this.root);
  }

  write(parts: string[], value: Maybe<unknown>): void {
    let container: Doc | unknown[] = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      let child = childOf(container, parts[i]);
      if (child === MISSING) {
        child = {};
        this.owned.add(child as Doc);
        this.setChild(container, parts[i], child);
      } else if (!this.owned.has(child as object)) {
        child = Array.isArray(child) ? [...child] : { ...(child as Doc) };
        this.owned.add(child as object);
        this.setChild(container, parts[i], child);
      }
      container = child as Doc | unknown[];
    }
    const last = parts[parts.length - 1];
    if (value !== MISSING) {
      this.setChild(container, last, value);
    } else if (Array.isArray(container)) {
      // $unset of an array element keeps the array's length: the element becomes null.
      container[arrayIndexOf(last) as number] = null;
    } else {
      delete container[last];
    }
  }

  private setChild(container: Doc | unknown[], part: string, value: unknown): void {
    if (!Array.isArray(container)) {
      container[part] = value;
      return;
    }
    const index = arrayIndexOf(part) as number;
    if (index - container.length > MAX_ARRAY_PADDING) {
      throw badValue(`can't backfill array to larger than ${MAX_ARRAY_PADDING} elements`);
    }
    while (container.length < index) container.push(null);
    container[index] = value;
  }
}

interface ApplyContext {
  original: Doc;
  isUpsertInsert: boolean;
  now: Date;
}

let timestampIncrement = 0;

function currentTimestamp(now: Date): Timestamp {
  timestampIncrement = (timestampIncrement + 1) % 2 ** 31;
  return new Timestamp({ t: Math.floor(now.getTime() / 1000), i: timestampIncrement });
}

function sortPushed(elements: unknown[], sort: 1 | -1 | Doc): unknown[] {
  if (typeof sort === "number") return [...elements].sort((a, b) => compareValues(a, b) * sort);
  const keys = Object.entries(sort).map(([field, direction]) => ({ parts: field.split("."), direction: toNumber(direction) }));
  const valueAt = (element: unknown, parts: string[]): unknown => {
    let current: unknown = element;
    for (const part of parts) {
      if (!isPlainDocument(current) || !Object.hasOwn(current, part)) return null;
      current = current[part];
    }
    return current;
  };
  return [...elements].sort((a, b) => {
    for (const key of keys) {
      const order = compareValues(valueAt(a, key.parts), valueAt(b, key.parts));
      if (order !== 0) return order * key.direction;
    }
    return 0;
  });
}

function pushed(existing: unknown[], modifiers: PushModifiers): unknown[] {
  let result = [...existing];
  const position =
    modifiers.position === undefined
      ? result.length
      : modifiers.position < 0
        ? Math.max(0, result.length + modifiers.position)
        : Math.min(modifiers.position, result.length);
  result.splice(position, 0, ...modifiers.each.map(cloneValue));
  if (modifiers.sort !== undefined) result = sortPushed(result, modifiers.sort);
  if (modifiers.slice !== undefined) {
    result = modifiers.slice >= 0 ? result.slice(0, modifiers.slice) : result.slice(Math.max(0, result.length + modifiers.slice));
  }
  return result;
}

function bitwise(existing: unknown, operations: BitOperation[]): unknown {
  let isLong = bsonTypeOf(existing) === "long";
  let result = integerOf(existing);
  for (const { operation, operand } of operations) {
    isLong ||= bsonTypeOf(operand) === "long";
    const value = integerOf(operand);
    result = operation === "and" ? result & value : operation === "or" ? result | value : result ^ value;
  }
  return isLong ? Long.fromBigInt(BigInt.asIntN(64, result)) : new Int32(Number(BigInt.asIntN(32, result)));
}

/**
 * The new value at a path for one action, given the current one: a value to store, MISSING to
 * remove the field, or undefined when the action leaves the document as it is.
 */
function computeLeaf(
  action: LeafAction,
  existing: Maybe<unknown>,
  parts: string[],
  context: ApplyContext,
): Maybe<unknown> | undefined {
  const fieldName = parts[parts.length - 1];
  const path = parts.join(".");
  const typeOfExisting = existing === MISSING ? "missing" : bsonTypeOf(existing);
  switch (action.kind) {
    case "set":
      return cloneValue(action.value);
    case "setOnInsert":
      return context.isUpsertInsert ? cloneValue(action.value) : undefined;
    case "unset":
    case "renameSource":
      return existing === MISSING ? undefined : MISSING;
    case "inc":
    case "mul": {
      const operatorName = action.kind === "inc" ? "$inc" : "$mul";
      if (existing === MISSING) return action.kind === "inc" ? action.operand : zeroOfKind(numericKindOf(action.operand));
      if (!isNumeric(existing)) {
        throw typeMismatch(
          `Cannot apply ${operatorName} to a value of non-numeric type. ${describeDocumentId(context.original)} has the field '${fieldName}' of non-numeric type ${typeOfExisting}`,
        );
      }
      const result = arithmetic(action.kind === "inc" ? "add" : "multiply", existing, action.operand);
      if (result === undefined) {
        throw badValue(
          `Failed to apply ${operatorName} operations to current value (${formatValue(existing)}) for document ${describeDocumentId(context.original)}`,
        );
      }
      return result;
    }
    case "min":
    case "max": {
      if (existing === MISSING) return cloneValue(action.operand);
      const order = compareValues(action.operand, existing);
      return (action.kind === "min" ? order < 0 : order > 0) ? cloneValue(action.operand) : undefined;
    }
    case "currentDate":
      return action.asTimestamp ? currentTimestamp(context.now) : new Date(context.now.getTime());
    case "push":
      if (existing === MISSING) return pushed([], action.modifiers);
      if (!Array.isArray(existing)) {
        throw badValue(
          `The field '${fieldName}' must be an array but is of type ${typeOfExisting} in document ${describeDocumentId(context.original)}`,
        );
      }
      return pushed(existing, action.modifiers);
    case "addToSet": {
      if (existing !== MISSING && !Array.isArray(existing)) {
        throw badValue(`Cannot apply $addToSet to non-array field. Field named '${fieldName}' has non-array type ${typeOfExisting}`);
      }
      const result = existing === MISSING ? [] : [...existing];
      for (const value of action.values) {
        if (!result.some((element) => valuesEqual(element, value))) result.push(cloneValue(value));
      }
      return result;
    }
    case "pop":
      if (existing === MISSING) return undefined;
      if (!Array.isArray(existing)) throw badValue(`Path '${path}' contains an element of non-array type '${typeOfExisting}'`);
      if (existing.length === 0) return undefined;
      return action.fromFront ? existing.slice(1) : existing.slice(0, -1);
    case "pull":
    case "pullAll": {
      if (existing === MISSING) return undefined;
      if (!Array.isArray(existing)) throw badValue("Cannot apply $pull to a non-array value");
      const remove =
        action.kind === "pull"
          ? action.matches
          : (element: unknown) => action.values.some((value) => valuesEqual(element, value));
      return existing.filter((element) => !remove(element));
    }
    case "bit":
      if (existing === MISSING) return bitwise(new Int32(0), action.operations);
      if (!isBitOperand(existing)) {
        throw badValue(
          `Cannot apply $bit to a value of non-integral type.${describeDocumentId(context.original)} has the field ${fieldName} of non-integer type ${typeOfExisting}`,
        );
      }
      return bitwise(existing, action.operations);
    case "renameTarget": {
      rejectArrayOnPath(context.original, action.sourceParts, (part, array) =>
        badValue(`The source field cannot be an array element, '${action.sourcePath}' in doc with ${part}: ${formatValue(array)}`),
      );
      const source = lookupPath(context.original, action.sourceParts);
      if (source.state !== "found") return undefined;
      rejectArrayOnPath(context.original, parts, (part, array) =>
        badValue(`The destination field cannot be an array element, '${action.targetPath}' in doc with ${part}: ${formatValue(array)}`),
      );
      return source.value;
    }
  }
}

/** $rename works on fields of documents only: no array may lie on the way to either path. */
function rejectArrayOnPath(doc: Doc, parts: string[], error: (part: string, array: unknown[]) => MongoCommandError): void {
  let current: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isPlainDocument(current) || !Object.hasOwn(current, parts[i])) return;
    current = current[parts[i]];
    if (Array.isArray(current)) throw error(parts[i], current);
  }
}

interface ConcreteUpdate {
  parts: string[];
  fieldUpdate: FieldUpdate;
}

function applyOperatorUpdate(doc: Doc, update: Doc, options: UpdateOptions): { doc: Doc; modified: boolean } {
  const { fieldUpdates, arrayFilters } = parseOperatorUpdate(update, options.arrayFilters);
  const isUpsertInsert = options.isUpsertInsert ?? false;
  const resolveContext: ResolveContext = { doc, filter: options.filter, arrayFilters };

  const concreteUpdates: ConcreteUpdate[] = [];
  for (const fieldUpdate of fieldUpdates) {
    // $setOnInsert outside an insert does nothing, so its positional parts need no match either.
    if (fieldUpdate.action.kind === "setOnInsert" && !isUpsertInsert) continue;
    for (const parts of concretePaths(fieldUpdate.parts, resolveContext)) concreteUpdates.push({ parts, fieldUpdate });
  }
  // Sorted application appends new fields in lexicographic order, as mongod's update tree does.
  concreteUpdates.sort((a, b) => compareParts(a.parts, b.parts));
  for (let i = 1; i < concreteUpdates.length; i++) {
    const previous = concreteUpdates[i - 1].parts;
    if (isPartsPrefix(previous, concreteUpdates[i].parts)) {
      throw new MongoCommandError(ErrorCodes.ConflictingUpdateOperators, `Update created a conflict at '${previous.join(".")}'`);
    }
  }

  const context: ApplyContext = { original: doc, isUpsertInsert, now: new Date() };
  const writer = new DocumentWriter(doc);
  for (const { parts, fieldUpdate } of concreteUpdates) {
    const { action } = fieldUpdate;
    const lookup = lookupPath(writer.root, parts);
    if (lookup.state === "blocked") {
      if (!CREATING_ACTIONS.has(action.kind)) continue;
      const blockedAt = parts[lookup.index];
      throw new MongoCommandError(
        ErrorCodes.PathNotViable,
        `Cannot create field '${blockedAt}' in element {${parts[lookup.index - 1]}: ${formatValue(lookup.blocker)}}`,
      );
    }
    if (lookup.state === "missing" && !CREATING_ACTIONS.has(action.kind)) continue;
    const existing = lookup.state === "found" ? lookup.value : MISSING;
    const result = computeLeaf(action, existing, parts, context);
    if (result === undefined) continue;
    if (result !== MISSING && existing !== MISSING && identical(existing, result)) continue;
    writer.write(parts, result);
  }

  const result = writer.root;
  checkIdUnchanged(doc, result, fieldUpdates);
  return { doc: result, modified: !identical(doc, result) };
}

function checkIdUnchanged(original: Doc, result: Doc, fieldUpdates: FieldUpdate[]): void {
  if (!Object.hasOwn(original, "_id")) return;
  if (Object.hasOwn(result, "_id") && valuesEqual(original._id, result._id)) return;
  const culprit = fieldUpdates.find((update) => update.parts[0] === "_id");
  throw new MongoCommandError(
    ErrorCodes.ImmutableField,
    `Performing an update on the path '${culprit?.path ?? "_id"}' would modify the immutable field '_id'`,
  );
}

// ---------------------------------------------------------------------------------------------
// Replacement documents
// ---------------------------------------------------------------------------------------------

function idAlteredError(newId: unknown): MongoCommandError {
  return new MongoCommandError(
    ErrorCodes.ImmutableField,
    `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(newId)}`,
  );
}

/** The document that replaces `original`: the original `_id` first, then the replacement's fields. */
function withOriginalId(original: Doc, replacement: Doc): Doc {
  const result: Doc = {};
  if (Object.hasOwn(original, "_id")) {
    if (Object.hasOwn(replacement, "_id") && !valuesEqual(original._id, replacement._id)) throw idAlteredError(replacement._id);
    result._id = original._id;
  } else if (Object.hasOwn(replacement, "_id")) {
    result._id = replacement._id;
  }
  for (const [key, value] of Object.entries(replacement)) {
    if (key !== "_id") result[key] = value;
  }
  return result;
}

function applyReplacement(doc: Doc, replacement: Doc): { doc: Doc; modified: boolean } {
  for (const key of Object.keys(replacement)) {
    if (key.startsWith("$")) {
      throw new MongoCommandError(
        ErrorCodes.DollarPrefixedFieldName,
        `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
  }
  const result = withOriginalId(doc, cloneValue(replacement));
  return { doc: result, modified: !identical(doc, result) };
}

// ---------------------------------------------------------------------------------------------
// Aggregation-pipeline updates
// ---------------------------------------------------------------------------------------------

const PIPELINE_UPDATE_STAGES: ReadonlySet<string> = new Set([
  "$addFields",
  "$set",
  "$project",
  "$unset",
  "$replaceRoot",
  "$replaceWith",
]);

/** A JS number computed by mingo as a BSON number: integers that fit are Int32, everything else Double. */
function bsonNumberOf(value: number): unknown {
  if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 && !Object.is(value, -0)) return new Int32(value);
  return new Double(value);
}

/**
 * `toPlain` for mingo, remembering for every document and array of the result which BSON
 * container it was made from, so that values mingo moves elsewhere ($replaceWith: "$a") can still
 * get their types back.
 */
function toPlainTracked(value: unknown, origins: WeakMap<object, unknown>): unknown {
  if (Array.isArray(value)) {
    const plain = value.map((element) => toPlainTracked(element, origins));
    origins.set(plain, value);
    return plain;
  }
  if (isPlainDocument(value)) {
    const plain: Doc = {};
    for (const [key, element] of Object.entries(value)) plain[key] = toPlainTracked(element, origins);
    origins.set(plain, value);
    return plain;
  }
  return toPlain(value);
}

/**
 * mingo works on plain JS numbers; its result gets its BSON types back: a number equal to the
 * original value at the same place keeps the original's exact type (so untouched Longs, Decimals
 * and Int32s round-trip), new numbers become Int32 or Double. "The same place" is the container
 * the value came from when mingo kept it, else the same path in the original document.
 */
function restoreTypes(value: unknown, original: unknown, origins: WeakMap<object, unknown>): unknown {
  if (typeof value === "number") {
    return isNumeric(original) && Object.is(toNumber(original), value) ? original : bsonNumberOf(value);
  }
  if (value === null || typeof value !== "object") return value;
  const source = origins.get(value) ?? original;
  if (Array.isArray(value)) {
    return value.map((element, index) => restoreTypes(element, Array.isArray(source) ? source[index] : undefined, origins));
  }
  if (isPlainDocument(value)) {
    const restored: Doc = {};
    for (const [key, element] of Object.entries(value)) {
      const sourceElement = isPlainDocument(source) && Object.hasOwn(source, key) ? source[key] : undefined;
      restored[key] = restoreTypes(element, sourceElement, origins);
    }
    return restored;
  }
  return value;
}

/** `let` variables are expressions evaluated once, without a document ({$literal: "x"} is "x"). */
function evaluateVariables(variables: Doc): Doc {
  if (Object.keys(variables).length === 0) return {};
  return new Aggregator([{ $addFields: toPlain(variables) as Doc }], {}).run([{}])[0] as Doc;
}

function applyPipelineUpdate(doc: Doc, pipeline: Doc[], options: UpdateOptions): { doc: Doc; modified: boolean } {
  if ((options.arrayFilters?.length ?? 0) > 0) {
    throw failedToParse("arrayFilters may not be specified for pipeline-style updates");
  }
  for (const stage of pipeline) {
    const names = isPlainDocument(stage) ? Object.keys(stage) : [];
    if (names.length !== 1) {
      throw new MongoCommandError(40323, "A pipeline stage specification object must contain exactly one field.");
    }
    if (!PIPELINE_UPDATE_STAGES.has(names[0])) {
      throw new MongoCommandError(ErrorCodes.InvalidOptions, `${names[0]} is not allowed to be used within an update`);
    }
  }
  const origins = new WeakMap<object, unknown>();
  let output: unknown[];
  try {
    const variables = options.variables === undefined ? undefined : evaluateVariables(options.variables);
    output = new Aggregator(toPlain(pipeline) as Doc[], { variables }).run([toPlainTracked(doc, origins) as Doc]);
  } catch (error) {
    if (error instanceof MongoCommandError) throw error;
    throw badValue(error instanceof Error ? error.message : String(error));
  }
  const computed = output[0];
  if (output.length !== 1 || !isPlainDocument(computed)) {
    throw new MongoCommandError(
      40228,
      `'replacement document' must evaluate to an object, but resulting value was: ${formatValue(computed)}`,
    );
  }
  const restored = restoreTypes(computed, doc, origins) as Doc;
  // Like a replacement, the pipeline's result keeps the original _id (first), and may not change it.
  const result = withOriginalId(doc, restored);
  return { doc: result, modified: !identical(doc, result) };
}

// ---------------------------------------------------------------------------------------------
// Upsert seeds
// ---------------------------------------------------------------------------------------------

const NO_EQUALITY: unique symbol = Symbol("no equality");

function equalityValue(condition: unknown): unknown {
  if (isPlainDocument(condition)) {
    const firstKey = Object.keys(condition)[0];
    if (firstKey === undefined || !firstKey.startsWith("$")) return condition;
    if (Object.hasOwn(condition, "$eq")) return condition.$eq;
    // mongod treats a one-element $in as an equality.
    const values = condition.$in;
    if (Array.isArray(values) && values.length === 1 && bsonTypeOf(values[0]) !== "regex") return values[0];
    return NO_EQUALITY;
  }
  // A regex in a filter is a pattern match, not a value to store.
  if (bsonTypeOf(condition) === "regex") return NO_EQUALITY;
  return condition;
}

function collectEqualities(filter: Doc, emit: (path: string, value: unknown) => void): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(condition)) continue;
      // An $or of a single clause is that clause, as mongod normalises it.
      if (key === "$or" && condition.length !== 1) continue;
      for (const clause of condition) if (isPlainDocument(clause)) collectEqualities(clause, emit);
      continue;
    }
    if (key.startsWith("$")) continue;
    const value = equalityValue(condition);
    if (value !== NO_EQUALITY) emit(key, value);
  }
}
