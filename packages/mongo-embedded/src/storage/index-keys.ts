/**
 * How a document becomes index keys, as mongod extracts them: a dotted path walks into embedded
 * documents and through arrays; an array at the end of the path gives one key per element
 * (multikey); a missing field indexes as null.
 */
import { bsonTypeOf, canonicalKey, type Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";

/** One field of a key pattern. `direction` orders B-tree keys; geo fields live in a GeoIndex instead. */
export interface IndexField {
  path: string;
  kind: "ascending" | "descending" | "hashed" | "2dsphere";
  direction: 1 | -1;
}

export function isPlainDocument(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && bsonTypeOf(value) === "object";
}

/** Marks an empty array at the end of a path: mongod indexes it as `undefined` (apart from null), so `{a: []}` is still found. */
export const EMPTY_ARRAY: unique symbol = Symbol("empty array");

export interface PathValues {
  /** The values the path reaches; `undefined` marks "missing here", EMPTY_ARRAY an empty array. */
  values: unknown[];
  /** An array was expanded on the way (the index becomes multikey). */
  expandedArray: boolean;
}

/** Every value `path` reaches in `doc`, expanding arrays the way index key generation does. */
export function valuesAtPath(doc: Doc, path: string): PathValues {
  const state: PathValues = { values: [], expandedArray: false };
  collect(doc, path.split("."), 0, state);
  if (state.values.length === 0) state.values.push(undefined);
  return state;
}

function collect(value: unknown, parts: string[], depth: number, state: PathValues): void {
  if (depth === parts.length) {
    if (Array.isArray(value)) {
      state.expandedArray = true;
      if (value.length === 0) state.values.push(EMPTY_ARRAY);
      else for (const element of value) state.values.push(element);
    } else {
      state.values.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    state.expandedArray = true;
    const part = parts[depth];
    if (/^\d+$/.test(part)) {
      collect(value[Number(part)], parts, depth + 1, state);
      return;
    }
    for (const element of value) if (isPlainDocument(element)) collect(element, parts, depth, state);
    return;
  }
  if (isPlainDocument(value)) {
    collect(value[parts[depth]], parts, depth + 1, state);
    return;
  }
  state.values.push(undefined);
}

/**
 * The value a geo field holds, without expanding a trailing array (a legacy pair `[lng, lat]` is one
 * value). Arrays crossed on the way give an array of values, which the GeoIndex accepts.
 */
export function geoValueAtPath(doc: Doc, path: string): unknown {
  const found: unknown[] = [];
  let crossedArray = false;
  const walk = (value: unknown, parts: string[], depth: number): void => {
    if (depth === parts.length) {
      if (value !== undefined && value !== null) found.push(value);
      return;
    }
    if (Array.isArray(value) && !isLegacyPair(value)) {
      crossedArray = true;
      for (const element of value) walk(element, parts, depth);
      return;
    }
    if (isPlainDocument(value)) walk(value[parts[depth]], parts, depth + 1);
  };
  walk(doc, path.split("."), 0);
  if (found.length === 0) return undefined;
  return crossedArray ? found : found[0];
}

function isLegacyPair(value: unknown[]): boolean {
  return value.length >= 2 && value.every((element) => bsonTypeOf(element) !== "object" && !Array.isArray(element));
}

/**
 * The key tuples of a document for the B-tree fields of an index: the cross product of each field's
 * values. `present` is false when every field is missing (what `sparse` skips).
 */
export function keyTuples(
  doc: Doc,
  fields: IndexField[],
): { tuples: unknown[][]; present: boolean; multikey: boolean; arrayFields: string[] } {
  const perField: unknown[][] = [];
  const arrayFields: string[] = [];
  let present = false;
  for (const field of fields) {
    const { values, expandedArray } = valuesAtPath(doc, field.path);
    if (expandedArray) {
      if (field.kind === "hashed") {
        throw new MongoCommandError(16766, "Error: hashed indexes do not currently support array values", {
          codeName: "Location16766",
        });
      }
      arrayFields.push(field.path);
    }
    if (values.some((value) => value !== undefined)) present = true;
    perField.push(values.map(indexedValue));
  }
  if (arrayFields.length > 1) {
    throw new MongoCommandError(171, `cannot index parallel arrays [${arrayFields[1]}] [${arrayFields[0]}]`, {
      codeName: "CannotIndexParallelArrays",
    });
  }
  let tuples: unknown[][] = [[]];
  for (const values of perField) {
    const next: unknown[][] = [];
    for (const tuple of tuples) for (const value of values) next.push([...tuple, value]);
    tuples = next;
  }
  if (arrayFields.length > 0) tuples = distinctTuples(tuples);
  return { tuples, present, multikey: arrayFields.length > 0, arrayFields };
}

/** A missing field indexes as null; an empty array as undefined. */
function indexedValue(value: unknown): unknown {
  if (value === undefined) return null;
  return value === EMPTY_ARRAY ? undefined : value;
}

function distinctTuples(tuples: unknown[][]): unknown[][] {
  if (tuples.length < 2) return tuples;
  const seen = new Map<string, unknown[]>();
  for (const tuple of tuples) {
    const key = tuple.map((value) => (value === undefined ? "undef" : canonicalKey(value))).join("\u0000");
    if (!seen.has(key)) seen.set(key, tuple);
  }
  return [...seen.values()];
}
