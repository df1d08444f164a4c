/**
 * The unified test format's "Evaluating Matches" rules: does an actual value (a driver result, an
 * error, a stored document) match an expected value from a test file?
 *
 * - Documents: every expected field must match; extra actual fields are allowed only in root-level
 *   documents (the result itself, or each document of a result array such as find's), never in
 *   embedded ones. Key order does not matter.
 * - Arrays: same length, elements matched in order.
 * - Numbers: int, long and double are equal when their values are (Decimal128 only equals itself).
 * - Special operators: $$exists, $$type, $$unsetOrMatches, $$matchesEntity, $$matchesHexBytes,
 *   $$sessionLsid, $$lte, $$matchAsDocument, $$matchAsRoot.
 *
 * Functions return a description of the first mismatch, or undefined when the values match.
 */
import { BSON, Binary, Decimal128, Double, Int32, Long } from "mongodb";

const { EJSON } = BSON;
import { isDocument } from "./unified-format.js";

export type Mismatch = string | undefined;

/** Values saved by `saveResultAsEntity` and the entities created by `createEntities`. */
export type EntityLookup = (id: string) => unknown;

interface MatchContext {
  lookupEntity: EntityLookup;
}

const noEntities: EntityLookup = () => undefined;

/**
 * Matches `actual` against `expected` as a root-level value (extra fields allowed at the top of a
 * document result, and at the top of each document in an array result).
 */
export function matchResult(expected: unknown, actual: unknown, lookupEntity: EntityLookup = noEntities): Mismatch {
  return matchValue(expected, actual, "", true, { lookupEntity });
}

/** Matches with no extra fields allowed anywhere: how `outcome` compares stored documents. */
export function matchExactly(expected: unknown, actual: unknown, lookupEntity: EntityLookup = noEntities): Mismatch {
  return matchValue(expected, actual, "", false, { lookupEntity });
}

const SPECIAL_OPERATORS = [
  "$$exists",
  "$$type",
  "$$unsetOrMatches",
  "$$matchesEntity",
  "$$matchesHexBytes",
  "$$sessionLsid",
  "$$lte",
  "$$matchAsDocument",
  "$$matchAsRoot",
] as const;
type SpecialOperatorName = (typeof SPECIAL_OPERATORS)[number];

/** The operator name when `value` is a special-operator document such as `{ $$exists: true }`. */
function specialOperatorOf(value: unknown): SpecialOperatorName | undefined {
  if (!isDocument(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !keys[0].startsWith("$$")) return undefined;
  return SPECIAL_OPERATORS.find((name) => name === keys[0]) ?? unknownOperator(keys[0]);
}

function unknownOperator(name: string): never {
  throw new Error(`unsupported special operator ${name}`);
}

function matchValue(expected: unknown, actual: unknown, path: string, isRoot: boolean, context: MatchContext): Mismatch {
  const operator = specialOperatorOf(expected);
  if (operator !== undefined) {
    return matchSpecialOperator(operator, (expected as Record<string, unknown>)[operator], actual, path, isRoot, context);
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return mismatch(path, "an array", actual);
    if (actual.length !== expected.length) {
      return `${where(path)}expected an array of ${expected.length} elements, got ${actual.length}: ${describe(actual)}`;
    }
    // The documents of a root-level array (find, aggregate results) are root-level documents.
    for (let index = 0; index < expected.length; index++) {
      const found = matchValue(expected[index], actual[index], `${path}[${index}]`, isRoot, context);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isDocument(expected)) return matchDocument(expected, actual, path, isRoot, context);
  return matchScalar(expected, actual, path);
}

function matchDocument(
  expected: Record<string, unknown>,
  actual: unknown,
  path: string,
  isRoot: boolean,
  context: MatchContext,
): Mismatch {
  if (!isDocument(actual)) return mismatch(path, "a document", actual);
  for (const [key, expectedField] of Object.entries(expected)) {
    const fieldPath = `${path}.${key}`;
    // Property access rather than own keys: driver results expose some fields through getters.
    const actualField = actual[key];
    const operator = specialOperatorOf(expectedField);
    if (operator === "$$exists") {
      const shouldExist = (expectedField as { $$exists: unknown }).$$exists;
      if (typeof shouldExist !== "boolean") throw new Error(`${fieldPath}: $$exists takes a boolean`);
      if (shouldExist && actualField === undefined) return `${fieldPath}: expected the field to exist`;
      if (!shouldExist && actualField !== undefined) {
        return `${fieldPath}: expected no such field, got ${describe(actualField)}`;
      }
      continue;
    }
    if (operator === "$$unsetOrMatches" && actualField === undefined) continue;
    if (actualField === undefined) return `${fieldPath}: missing, expected ${describe(expectedField)}`;
    const found = matchValue(expectedField, actualField, fieldPath, false, context);
    if (found !== undefined) return found;
  }
  if (!isRoot) {
    const extraKeys = Object.keys(actual).filter((key) => !(key in expected) && actual[key] !== undefined);
    if (extraKeys.length > 0) {
      return `${where(path)}unexpected field(s) ${extraKeys.join(", ")} in ${describe(actual)}`;
    }
  }
  return undefined;
}

function matchSpecialOperator(
  operator: SpecialOperatorName,
  operand: unknown,
  actual: unknown,
  path: string,
  isRoot: boolean,
  context: MatchContext,
): Mismatch {
  switch (operator) {
    case "$$exists":
      // Inside a document this is handled per field; anywhere else the value is simply present.
      return operand === (actual !== undefined) ? undefined : mismatch(path, operand ? "a value" : "no value", actual);
    case "$$unsetOrMatches":
      return actual === undefined || actual === null ? undefined : matchValue(operand, actual, path, isRoot, context);
    case "$$type": {
      const aliases = Array.isArray(operand) ? operand : [operand];
      if (!aliases.every((alias): alias is string => typeof alias === "string")) {
        throw new Error(`${path}: $$type takes a type alias or a list of them`);
      }
      return aliases.some((alias) => hasBsonType(actual, alias)) ? undefined : mismatch(path, `type ${aliases.join(" or ")}`, actual);
    }
    case "$$matchesEntity": {
      const entity = lookupRequiredEntity(operand, context);
      return matchValue(entity, actual, path, false, context);
    }
    case "$$sessionLsid": {
      const session = lookupRequiredEntity(operand, context);
      // A driver ClientSession exposes its logical session id document as `id`.
      const lsid = typeof session === "object" && session !== null && "id" in session ? session.id : undefined;
      if (lsid === undefined) throw new Error(`${path}: entity ${String(operand)} is not a session`);
      return matchValue(lsid, actual, path, false, context);
    }
    case "$$matchesHexBytes": {
      if (typeof operand !== "string") throw new Error(`${path}: $$matchesHexBytes takes a hex string`);
      const bytes = actual instanceof Binary ? actual.value() : actual instanceof Uint8Array ? actual : undefined;
      if (bytes === undefined) return mismatch(path, "binary data", actual);
      return Buffer.from(bytes).toString("hex") === operand.toLowerCase() ? undefined : mismatch(path, `bytes ${operand}`, actual);
    }
    case "$$lte": {
      const limit = numericValue(operand);
      const value = numericValue(actual);
      if (limit === undefined) throw new Error(`${path}: $$lte takes a number`);
      return value !== undefined && value <= limit ? undefined : mismatch(path, `a number <= ${String(limit)}`, actual);
    }
    case "$$matchAsDocument": {
      if (typeof actual !== "string") return mismatch(path, "a string holding Extended JSON", actual);
      return matchValue(operand, EJSON.parse(actual, { relaxed: false }), path, false, context);
    }
    case "$$matchAsRoot":
      return matchValue(operand, actual, path, true, context);
  }
}

function lookupRequiredEntity(id: unknown, context: MatchContext): unknown {
  if (typeof id !== "string") throw new Error(`entity ids are strings, got ${describe(id)}`);
  const entity = context.lookupEntity(id);
  if (entity === undefined) throw new Error(`no entity named ${id}`);
  return entity;
}

function matchScalar(expected: unknown, actual: unknown, path: string): Mismatch {
  return scalarsEqual(expected, actual) ? undefined : mismatch(path, describe(expected), actual);
}

function scalarsEqual(expected: unknown, actual: unknown): boolean {
  const expectedNumber = numericValue(expected);
  const actualNumber = numericValue(actual);
  if (expectedNumber !== undefined || actualNumber !== undefined) {
    if (expectedNumber === undefined || actualNumber === undefined) return false;
    if (Number.isNaN(expectedNumber) && Number.isNaN(actualNumber)) return true;
    return expectedNumber == actualNumber; // loose equality compares a bigint with a number by value
  }
  if (expected instanceof Decimal128 || actual instanceof Decimal128) {
    return expected instanceof Decimal128 && actual instanceof Decimal128 && expected.toString() === actual.toString();
  }
  if (expected instanceof Date || actual instanceof Date) {
    return expected instanceof Date && actual instanceof Date && expected.getTime() === actual.getTime();
  }
  if (isBsonObject(expected) || isBsonObject(actual) || expected instanceof RegExp || actual instanceof RegExp) {
    return canonicalExtendedJson(expected) === canonicalExtendedJson(actual);
  }
  return expected === actual;
}

/** The numeric value of a JS number or a BSON int/long/double; bigint keeps longs exact. */
function numericValue(value: unknown): number | bigint | undefined {
  if (typeof value === "number" || typeof value === "bigint") return value;
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) return value.toBigInt();
  return undefined;
}

function isBsonObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && "_bsontype" in value;
}

function canonicalExtendedJson(value: unknown): string {
  return EJSON.stringify({ value }, { relaxed: false });
}

/**
 * `$$type` aliases. The driver decodes int32, int64 and double alike into JS numbers (its default
 * promoteValues), so an integral number may have been any of the three and a fractional one a double.
 */
function hasBsonType(value: unknown, alias: string): boolean {
  const bsonType = isBsonObject(value) ? (value as { _bsontype: string })._bsontype : undefined;
  switch (alias) {
    case "double":
      return typeof value === "number" || bsonType === "Double";
    case "int":
      return (typeof value === "number" && Number.isInteger(value)) || bsonType === "Int32";
    case "long":
      return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint" || bsonType === "Long";
    case "decimal":
      return bsonType === "Decimal128";
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "undefined":
      return value === undefined;
    case "array":
      return Array.isArray(value);
    case "object":
      return isDocument(value);
    case "date":
      return value instanceof Date;
    case "objectId":
      return bsonType === "ObjectId";
    case "binData":
      return bsonType === "Binary" || value instanceof Uint8Array;
    case "regex":
      return value instanceof RegExp || bsonType === "BSONRegExp";
    case "timestamp":
      return bsonType === "Timestamp";
    case "javascript":
      return bsonType === "Code" && (value as { scope?: unknown }).scope == null;
    case "javascriptWithScope":
      return bsonType === "Code" && (value as { scope?: unknown }).scope != null;
    case "symbol":
      return bsonType === "BSONSymbol";
    case "dbPointer":
      return bsonType === "DBPointer" || bsonType === "DBRef";
    case "minKey":
      return bsonType === "MinKey";
    case "maxKey":
      return bsonType === "MaxKey";
    default:
      throw new Error(`unknown $$type alias ${alias}`);
  }
}

function where(path: string): string {
  return path === "" ? "" : `${path}: `;
}

function mismatch(path: string, expectedDescription: string, actual: unknown): string {
  return `${where(path)}expected ${expectedDescription}, got ${describe(actual)}`;
}

/** A short Extended JSON rendering for failure messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "undefined (unset)";
  let text: string;
  try {
    text = EJSON.stringify(value, { relaxed: true });
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
