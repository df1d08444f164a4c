/**
 * Values as the server keeps them: BSON deserialized with `{ promoteValues: false, bsonRegExp: true }`,
 * so Int32, Double, Long and Decimal128 stay apart and round-trip exactly. Every comparison in the
 * server goes through these functions, so that the matcher, the sort, the indexes and `_id` lookups
 * agree on what "equal" and "less than" mean.
 */
import { Decimal128, Double, Int32, Long } from "bson";

export type Doc = { [key: string]: unknown };

/** Options every BSON.deserialize of client or stored data uses. */
export const DESERIALIZE_OPTIONS = { promoteValues: false, bsonRegExp: true } as const;

/** MongoDB's $type aliases. */
export type BsonTypeName =
  | "double" | "string" | "object" | "array" | "binData" | "undefined" | "objectId" | "bool"
  | "date" | "null" | "regex" | "dbPointer" | "javascript" | "symbol" | "javascriptWithScope"
  | "int" | "timestamp" | "long" | "decimal" | "minKey" | "maxKey";

/** The `_bsontype` tags of the bson package's value classes, mapped to MongoDB's type names. */
const taggedTypes: Record<string, BsonTypeName> = {
  Int32: "int",
  Double: "double",
  Long: "long",
  Decimal128: "decimal",
  ObjectId: "objectId",
  Binary: "binData",
  Timestamp: "timestamp",
  BSONRegExp: "regex",
  MinKey: "minKey",
  MaxKey: "maxKey",
  BSONSymbol: "symbol",
  DBRef: "object",
  DBPointer: "dbPointer",
};

function bsonTag(value: object): string | undefined {
  const tag = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === "string" ? tag : undefined;
}

/** The BSON type of a stored value (plain JS numbers count as double, bigint as long). */
export function bsonTypeOf(value: unknown): BsonTypeName {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      return "double";
    case "bigint":
      return "long";
    case "function":
      return "javascript";
    case "symbol":
      return "symbol";
    default:
      break;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (value instanceof RegExp) return "regex";
  if (value instanceof Uint8Array) return "binData";
  const tag = bsonTag(value as object);
  if (tag === "Code") return (value as { scope?: unknown }).scope ? "javascriptWithScope" : "javascript";
  if (tag !== undefined && taggedTypes[tag]) return taggedTypes[tag];
  return "object";
}

/** MongoDB's comparison order of type brackets: numbers are one bracket, strings and symbols another. */
const bracketOrder: Record<BsonTypeName, number> = {
  minKey: 1,
  undefined: 2,
  null: 2,
  int: 3,
  long: 3,
  double: 3,
  decimal: 3,
  string: 4,
  symbol: 4,
  object: 5,
  array: 6,
  binData: 7,
  objectId: 8,
  bool: 9,
  date: 10,
  timestamp: 11,
  regex: 12,
  dbPointer: 13,
  javascript: 14,
  javascriptWithScope: 15,
  maxKey: 16,
};

export function isNumeric(value: unknown): boolean {
  const type = bsonTypeOf(value);
  return type === "int" || type === "long" || type === "double" || type === "decimal";
}

export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Int32 || value instanceof Double) return value.value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return decimalToNumber(value);
  return Number.NaN;
}

function decimalToNumber(value: Decimal128): number {
  const text = value.toString();
  if (text === "Infinity" || text === "-Infinity") return Number(text);
  if (text.endsWith("NaN")) return Number.NaN;
  return Number(text);
}

/**
 * Numbers are compared exactly where JS numbers would lose precision: two integers beyond 2^53
 * (Longs, or a Long against an integral double) compare as bigints.
 */
function compareNumbers(a: unknown, b: unknown): number {
  const exactA = exactInteger(a);
  const exactB = exactInteger(b);
  if (exactA !== undefined && exactB !== undefined) return exactA < exactB ? -1 : exactA > exactB ? 1 : 0;
  const x = toNumber(a);
  const y = toNumber(b);
  // MongoDB orders NaN below every other number and equal to itself.
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The value as a bigint when it is an integer whose exact value matters (outside ±2^53), else undefined. */
function exactInteger(value: unknown): bigint | undefined {
  if (value instanceof Long) return value.toBigInt();
  if (typeof value === "bigint") return value;
  const number = toNumber(value);
  if (Number.isInteger(number) && !(value instanceof Decimal128)) return BigInt(number);
  return undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function binaryBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const binary = value as { buffer?: Uint8Array; value?: () => Uint8Array; sub_type?: number };
  return binary.buffer ?? new Uint8Array();
}

function binarySubtype(value: unknown): number {
  return value instanceof Uint8Array ? 0 : ((value as { sub_type?: number }).sub_type ?? 0);
}

/** MongoDB's total order over all BSON values (type bracket order, then value; numbers across types). */
export function compareValues(a: unknown, b: unknown): number {
  const typeA = bsonTypeOf(a);
  const typeB = bsonTypeOf(b);
  const bracket = bracketOrder[typeA] - bracketOrder[typeB];
  if (bracket !== 0) return bracket < 0 ? -1 : 1;
  switch (bracketOrder[typeA]) {
    case bracketOrder.minKey:
    case bracketOrder.null:
    case bracketOrder.maxKey:
      return 0;
    case bracketOrder.int:
      return compareNumbers(a, b);
    case bracketOrder.string:
      return compareStrings(String(stringOf(a)), String(stringOf(b)));
    case bracketOrder.object:
      return compareDocuments(a as Doc, b as Doc);
    case bracketOrder.array:
      return compareArrays(a as unknown[], b as unknown[]);
    case bracketOrder.binData: {
      // mongod orders binary data by length, then subtype, then bytes.
      const bytesA = binaryBytes(a);
      const bytesB = binaryBytes(b);
      if (bytesA.length !== bytesB.length) return bytesA.length < bytesB.length ? -1 : 1;
      const subtype = binarySubtype(a) - binarySubtype(b);
      if (subtype !== 0) return subtype < 0 ? -1 : 1;
      return Math.sign(compareBytes(bytesA, bytesB));
    }
    case bracketOrder.objectId:
      return compareStrings(String((a as { toHexString(): string }).toHexString()), (b as { toHexString(): string }).toHexString());
    case bracketOrder.bool:
      return Number(a) - Number(b);
    case bracketOrder.date: {
      const x = (a as Date).getTime();
      const y = (b as Date).getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case bracketOrder.timestamp: {
      const x = (a as Long).toBigInt?.() ?? 0n;
      const y = (b as Long).toBigInt?.() ?? 0n;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case bracketOrder.regex: {
      const [patternA, flagsA] = regexParts(a);
      const [patternB, flagsB] = regexParts(b);
      return compareStrings(patternA, patternB) || compareStrings(flagsA, flagsB);
    }
    default:
      return compareStrings(String(a), String(b));
  }
}

function stringOf(value: unknown): string {
  if (typeof value === "string") return value;
  return String((value as { value?: unknown }).value ?? value);
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const regex = value as { pattern: string; options: string };
  return [regex.pattern, regex.options];
}

/** BSON document order: element by element, each by type bracket, then field name, then value. */
function compareDocuments(a: Doc, b: Doc): number {
  const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
  const length = Math.min(keysA.length, keysB.length);
  for (let i = 0; i < length; i++) {
    const valueA = a[keysA[i]];
    const valueB = b[keysB[i]];
    const bracket = bracketOrder[bsonTypeOf(valueA)] - bracketOrder[bsonTypeOf(valueB)];
    if (bracket !== 0) return bracket < 0 ? -1 : 1;
    const name = compareStrings(keysA[i], keysB[i]);
    if (name !== 0) return name;
    const value = compareValues(valueA, valueB);
    if (value !== 0) return value;
  }
  return Math.sign(keysA.length - keysB.length);
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return Math.sign(a.length - b.length);
}

/** Equality as MongoDB's `$eq` sees it between two single values (Int32(1) equals Double(1.0)). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  const typeA = bsonTypeOf(a);
  const typeB = bsonTypeOf(b);
  // Undefined is its own type for equality, although it sorts with null.
  if ((typeA === "undefined") !== (typeB === "undefined")) return false;
  if (bracketOrder[typeA] !== bracketOrder[typeB]) return false;
  return compareValues(a, b) === 0;
}

/** A string that is equal for exactly the values that `valuesEqual` calls equal: for hashing, e.g. _id maps. */
export function canonicalKey(value: unknown): string {
  const type = bsonTypeOf(value);
  switch (type) {
    case "int":
    case "long":
    case "double":
    case "decimal":
      return `n:${numberKey(value)}`;
    case "string":
    case "symbol":
      return `s:${stringOf(value)}`;
    case "null":
      return "null";
    case "undefined":
      return "undef";
    case "bool":
      return value ? "true" : "false";
    case "objectId":
      return `o:${(value as { toHexString(): string }).toHexString()}`;
    case "date":
      return `d:${(value as Date).getTime()}`;
    case "array":
      return `[${(value as unknown[]).map(canonicalKey).join(",")}]`;
    case "object": {
      const parts: string[] = [];
      for (const [key, element] of Object.entries(value as Doc)) {
        if (element !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalKey(element)}`);
      }
      return `{${parts.join(",")}}`;
    }
    case "binData":
      return `b:${binarySubtype(value)}:${Buffer.from(binaryBytes(value)).toString("base64")}`;
    case "timestamp":
      return `t:${(value as Long).toBigInt?.() ?? 0n}`;
    case "regex": {
      const [pattern, flags] = regexParts(value);
      return `r:/${pattern}/${flags}`;
    }
    case "minKey":
      return "minKey";
    case "maxKey":
      return "maxKey";
    default:
      return `${type}:${String(value)}`;
  }
}

function numberKey(value: unknown): string {
  const exact = exactInteger(value);
  if (exact !== undefined) return exact.toString();
  const number = toNumber(value);
  if (Number.isNaN(number)) return "NaN";
  // A decimal such as 1.0 equals the integer 1.
  if (Number.isInteger(number)) return BigInt(number).toString();
  return String(number);
}

/** For mingo: numbers of any BSON type become JS numbers (deeply); other values are kept. */
export function toPlain<T = unknown>(value: T): unknown {
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? Number(value) : value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Date) return value;
  const tag = bsonTag(value);
  if (tag === "Int32" || tag === "Double" || tag === "Long" || tag === "Decimal128") return toNumber(value);
  if (tag !== undefined) return value;
  if (value instanceof Uint8Array || value instanceof RegExp) return value;
  const plain: Doc = {};
  for (const [key, element] of Object.entries(value as Doc)) plain[key] = toPlain(element);
  return plain;
}
