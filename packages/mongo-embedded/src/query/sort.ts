/**
 * MongoDB's sort order for find and $sort. Each key is compared with `compareValues` (type bracket,
 * then value, numbers across BSON types). A field that holds an array sorts by its least element
 * ascending and its greatest element descending; a missing field sorts as null; an empty array
 * sorts before null (mongod gives it the key `undefined`).
 */
import { compareValues, isNumeric, toNumber } from "../bson-values.js";
import type { Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, badValue } from "../errors.js";

interface SortKey {
  parts: string[];
  direction: 1 | -1;
}

/** The key of an empty array: below null and everything else (but MinKey). */
const EMPTY_ARRAY_KEY: unique symbol = Symbol("empty array");

/** MongoDB sort: `{a: 1, "b.c": -1}`; arrays sort by their least (ascending) or greatest (descending) element; missing sorts as null. `{$meta: ...}` is rejected with BadValue. */
export function compileSort(spec: Doc): (a: Doc, b: Doc) => number {
  const keys = parseSortSpec(spec);
  if (keys.length === 0) return () => 0;
  // Sort keys are computed once per document: a sort compares each document many times.
  const cache = new WeakMap<Doc, unknown[]>();
  const keysOf = (doc: Doc): unknown[] => {
    let values = cache.get(doc);
    if (!values) {
      values = keys.map((key) => sortKeyValue(doc, key));
      cache.set(doc, values);
    }
    return values;
  };
  return (a, b) => {
    const keysA = keysOf(a);
    const keysB = keysOf(b);
    for (let i = 0; i < keys.length; i++) {
      const order = compareSortKeys(keysA[i], keysB[i]);
      if (order !== 0) return keys[i].direction === 1 ? order : -order;
    }
    return 0;
  };
}

/** A validated sort specification as its keys in order (for the planner, which may answer it from an index). */
export function sortKeysOf(spec: Doc): { path: string; direction: 1 | -1 }[] {
  return parseSortSpec(spec).map((key) => ({ path: key.parts.join("."), direction: key.direction }));
}

/** The value a document sorts by for one key (exported for $sort-like consumers and tests). */
export function sortKeyOf(doc: Doc, path: string, direction: 1 | -1): unknown {
  return sortKeyValue(doc, { parts: path.split("."), direction });
}

function parseSortSpec(spec: Doc): SortKey[] {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw badValue("sort must be an object");
  return Object.entries(spec).map(([path, value]) => {
    if (typeof value === "object" && value !== null && "$meta" in (value as Doc)) {
      throw badValue(`$meta sort by ${JSON.stringify((value as Doc).$meta)} is not supported: there are no text scores or search metadata here`);
    }
    const direction = isNumeric(value) ? toNumber(value) : Number.NaN;
    if (direction !== 1 && direction !== -1) throw badValue("$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    validateFieldPath(path);
    return { parts: path.split("."), direction };
  });
}

/** mongod's FieldPath rules for sort keys, with its codes. */
function validateFieldPath(path: string): void {
  if (path.length === 0) throw new MongoCommandError(ErrorCodes.Location40352, "FieldPath cannot be constructed with empty string");
  if (path.endsWith(".")) throw new MongoCommandError(ErrorCodes.Location40353, "FieldPath must not end with a '.'.");
  if (path.split(".").some((part) => part.length === 0)) {
    throw new MongoCommandError(ErrorCodes.Location15998, "FieldPath field names may not be empty strings.");
  }
}

function compareSortKeys(a: unknown, b: unknown): number {
  if (a === EMPTY_ARRAY_KEY || b === EMPTY_ARRAY_KEY) {
    if (a === b) return 0;
    const other = a === EMPTY_ARRAY_KEY ? b : a;
    // MinKey still sorts first.
    const otherFirst = isMinKey(other);
    const emptyFirst = a === EMPTY_ARRAY_KEY ? !otherFirst : otherFirst;
    return emptyFirst ? -1 : 1;
  }
  return compareValues(a, b);
}

function isMinKey(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { _bsontype?: string })._bsontype === "MinKey";
}

/** The least (ascending) or greatest (descending) of the values the path reaches, arrays expanded. */
function sortKeyValue(doc: Doc, key: SortKey): unknown {
  let best: unknown;
  let found = false;
  let sawEmptyArray = false;
  const consider = (value: unknown) => {
    if (!found) {
      best = value;
      found = true;
      return;
    }
    const order = compareValues(value, best);
    if (key.direction === 1 ? order < 0 : order > 0) best = value;
  };
  const visit = (container: unknown, depth: number): void => {
    if (depth === key.parts.length) {
      if (Array.isArray(container)) {
        if (container.length === 0) sawEmptyArray = true;
        for (const element of container) consider(element === undefined ? null : element);
      } else {
        consider(container === undefined ? null : container);
      }
      return;
    }
    if (Array.isArray(container)) {
      const part = key.parts[depth];
      const index = /^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : -1;
      if (index >= 0 && index < container.length) visit(container[index], depth + 1);
      for (const element of container) {
        if (isDocument(element)) visit(element, depth);
      }
      return;
    }
    if (isDocument(container)) {
      const part = key.parts[depth];
      visit(Object.hasOwn(container, part) ? container[part] : undefined, depth + 1);
      return;
    }
    consider(null);
  };
  visit(doc, 0);
  if (sawEmptyArray && (!found || key.direction === 1)) return EMPTY_ARRAY_KEY;
  return found ? best : null;
}

function isDocument(value: unknown): value is Doc {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
