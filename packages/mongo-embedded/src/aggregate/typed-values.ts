/**
 * Moving values between the server's typed BSON form (Int32, Double, Long, Decimal128 kept apart)
 * and the plain JS form mingo computes on (every number a JS number).
 *
 * Going to plain loses the number types, so every container made on the way is stamped with the
 * typed value it came from. Coming back, a plain value that still equals its typed source takes
 * the source's exact BSON type (and an unchanged container is the source object itself); only
 * values mingo computed get a type by rule. The stamp is only a hint: the way back compares
 * values, so a container mingo mutated or copied is still converted correctly.
 */
import { Double, Int32, Long } from "bson";
import { isNumeric, toNumber, type Doc } from "../bson-values.js";

const typedSource = Symbol("typedSource");

type Stamped = { [typedSource]?: unknown };

/** Objects built from literals or BSON documents, as opposed to class instances (ObjectId, Date, ...). */
export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `toPlain`, with each new container remembering the typed value it came from. Written out
 * rather than built on `toPlain` because a whole collection goes through here for a $group.
 */
export function toPlainTracked(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return typeof value === "bigint" ? Number(value) : value;
  if (Array.isArray(value)) {
    const plain: unknown[] & Stamped = new Array(value.length);
    for (let index = 0; index < value.length; index++) plain[index] = toPlainTracked(value[index]);
    plain[typedSource] = value;
    return plain;
  }
  const tag = (value as { _bsontype?: unknown })._bsontype;
  if (tag !== undefined) {
    // Numbers of every BSON type become JS numbers; ObjectId, Binary and the rest stay.
    return tag === "Int32" || tag === "Double" || tag === "Long" || tag === "Decimal128" ? toNumber(value) : value;
  }
  if (!isPlainObject(value)) return value;
  const plain: Doc & Stamped = { [typedSource]: value };
  for (const key of Object.keys(value)) plain[key] = toPlainTracked(value[key]);
  return plain;
}

/** Only some top-level fields of a typed document, in plain form (for stages that read no others). */
export function toPlainFields(doc: Doc, fields: readonly string[]): Doc {
  const plain: Doc = {};
  for (const field of fields) {
    const value = doc[field];
    if (value !== undefined) plain[field] = toPlainTracked(value);
  }
  return plain;
}

export function toPlainDocs(docs: Iterable<Doc>): Doc[] {
  const plain: Doc[] = [];
  for (const doc of docs) plain.push(toPlainTracked(doc) as Doc);
  return plain;
}

/**
 * The BSON type MongoDB would most likely give a computed JS number: integers in int32 range are
 * ints, larger exact integers longs, everything else doubles.
 */
export function typedNumber(value: number): unknown {
  if (Number.isInteger(value) && !Object.is(value, -0)) {
    if (value >= -2147483648 && value <= 2147483647) return new Int32(value);
    if (Number.isSafeInteger(value)) return Long.fromNumber(value);
  }
  return new Double(value);
}

function sameNumber(typed: unknown, plain: number): boolean {
  if (!isNumeric(typed)) return false;
  const number = toNumber(typed);
  return number === plain || (Number.isNaN(number) && Number.isNaN(plain));
}

function numberFromPlain(value: number, hint: unknown): unknown {
  if (sameNumber(hint, value)) return hint;
  // An element taken out of a typed array ($unwind, $arrayElemAt, $first) keeps its type.
  if (Array.isArray(hint)) {
    const element = hint.find((candidate) => sameNumber(candidate, value));
    if (element !== undefined) return element;
  }
  return typedNumber(value);
}

/**
 * A plain value back in typed form. `hint` is the typed value this one probably came from (the
 * container's own stamp wins over it). Undefined stays undefined: the caller drops the field.
 */
export function fromPlain(value: unknown, hint?: unknown): unknown {
  if (typeof value === "number") return numberFromPlain(value, hint);
  if (typeof value === "bigint") return Long.fromBigInt(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return arrayFromPlain(value, hint);
  if (isPlainObject(value)) return objectFromPlain(value, hint);
  return value;
}

function arrayFromPlain(value: unknown[], hint: unknown): unknown[] {
  const source = (value as Stamped)[typedSource] ?? hint;
  const typedSourceArray = Array.isArray(source) ? (source as unknown[]) : undefined;
  let unchanged = typedSourceArray !== undefined && typedSourceArray.length === value.length;
  const typed: unknown[] = new Array(value.length);
  for (let index = 0; index < value.length; index++) {
    const element = fromPlain(value[index], typedSourceArray?.[index]);
    // BSON arrays have no holes: a missing element is null, as in MongoDB.
    typed[index] = element === undefined ? null : element;
    if (unchanged && typed[index] !== typedSourceArray![index]) unchanged = false;
  }
  return unchanged ? typedSourceArray! : typed;
}

function objectFromPlain(value: Doc, hint: unknown): Doc {
  const source = (value as Stamped)[typedSource] ?? hint;
  const typedSourceDoc = isPlainObject(source) ? source : undefined;
  const keys = Object.keys(value);
  let unchanged = typedSourceDoc !== undefined && sameKeyOrder(keys, Object.keys(typedSourceDoc));
  const typed: Doc = {};
  for (const key of keys) {
    const field = fromPlain(value[key], typedSourceDoc?.[key]);
    if (field === undefined) {
      unchanged = false;
      continue;
    }
    typed[key] = field;
    if (unchanged && field !== typedSourceDoc![key]) unchanged = false;
  }
  return unchanged ? typedSourceDoc! : typed;
}

function sameKeyOrder(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** A plain document back in typed form, its fields typed like those of `hint` where they still agree. */
export function docFromPlain(value: Doc, hint?: Doc): Doc {
  return objectFromPlain(value, hint);
}

