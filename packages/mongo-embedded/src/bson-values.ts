/**
 * CONTRACT (owner: query helper). Values as the server keeps them: BSON deserialized with
 * `{ promoteValues: false, bsonRegExp: true }`, so Int32, Double, Long and Decimal128 stay apart
 * and round-trip exactly. Every comparison in the server goes through these functions.
 */
export type Doc = { [key: string]: unknown };

/** Options every BSON.deserialize of client or stored data uses. */
export const DESERIALIZE_OPTIONS = { promoteValues: false, bsonRegExp: true } as const;

/** MongoDB's $type aliases. */
export type BsonTypeName =
  | "double" | "string" | "object" | "array" | "binData" | "undefined" | "objectId" | "bool"
  | "date" | "null" | "regex" | "dbPointer" | "javascript" | "symbol" | "javascriptWithScope"
  | "int" | "timestamp" | "long" | "decimal" | "minKey" | "maxKey";

/** The BSON type of a stored value (plain JS numbers count as double, bigint as long). */
export declare function bsonTypeOf(value: unknown): BsonTypeName;

/** MongoDB's total order over all BSON values (type bracket order, then value; numbers across types). */
export declare function compareValues(a: unknown, b: unknown): number;

/** Equality as MongoDB's `$eq` sees it between two single values (Int32(1) equals Double(1.0)). */
export declare function valuesEqual(a: unknown, b: unknown): boolean;

/** A string that is equal for exactly the values that `valuesEqual` calls equal: for hashing, e.g. _id maps. */
export declare function canonicalKey(value: unknown): string;

export declare function isNumeric(value: unknown): boolean;
export declare function toNumber(value: unknown): number;

/** For mingo: numbers of any BSON type become JS numbers (deeply); other values are kept. */
export declare function toPlain<T = unknown>(value: T): unknown;
