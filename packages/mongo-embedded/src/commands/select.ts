/**
 * Selecting documents for find, count, update, delete and findAndModify: index-assisted candidate
 * selection (the catalog), then sort, skip and limit. One place, so every command reads alike.
 */
import type { Doc } from "../bson-values.js";
import { compileFilter, findNearQuery } from "../query/matcher.js";
import { compileSort, sortKeysOf } from "../query/sort.js";
import { nearDistance } from "../geo/predicates.js";
import type { Collection } from "../storage/catalog.js";

export interface SelectOptions {
  sort?: Doc;
  skip?: number;
  /** 0 or undefined: no limit. */
  limit?: number;
  hint?: string | Doc;
  /** `let` variables for $expr. */
  variables?: Doc;
  /** The caller reads only these top-level fields (and `_id`); the rest need not be decoded. */
  fields?: ReadonlySet<string>;
  /** With `fields`, for unsorted reads: the caller does not read `_id` either, unless `fields` names it. */
  withoutId?: boolean;
}

export function selectDocuments(collection: Collection | undefined, filter: Doc, options: SelectOptions = {}): Iterable<Doc> {
  // Compiled even when there is nothing to read: a bad filter is an error either way.
  const matches = compileFilter(filter, { variables: options.variables });
  const sortBy = options.sort && Object.keys(options.sort).length > 0 ? compileSort(options.sort) : undefined;
  if (!collection) return [];

  const skip = options.skip ?? 0;
  const limit = options.limit ?? 0;
  // The catalog's own re-check does not know `let` variables, so such filters are matched here.
  const near = findNearQuery(filter);
  if (sortBy && !near && !options.variables) {
    // An index may give the order: then the window stops the walk after skip + limit matches.
    const sortFields = sortKeysOf(options.sort!);
    const fields = options.fields && new Set([...options.fields, ...sortFields.map((key) => key.path.split(".")[0])]);
    const found = collection.findSorted(filter, sortFields, { hint: options.hint, fields, need: limit > 0 ? skip + limit : 0 });
    return window(found.sorted ? found.documents : [...found.documents].sort(sortBy), skip, limit);
  }
  // Sorting by distance reads the location, so partial documents are only for reads in index order.
  const fields = near ? undefined : options.fields;
  const candidates = options.variables
    ? filterIterable(collection.find({}, { hint: options.hint }), matches)
    : collection.find(filter, { hint: options.hint, fields, withoutId: options.withoutId });

  let ordered: Iterable<Doc> = candidates;
  if (near) ordered = sortByDistance(candidates, near);
  if (sortBy) ordered = [...ordered].sort(sortBy);
  return window(ordered, skip, limit);
}

/** $near and $nearSphere return documents nearest first. */
function sortByDistance(documents: Iterable<Doc>, near: ReturnType<typeof findNearQuery> & object): Doc[] {
  const withDistance: { doc: Doc; distance: number }[] = [];
  for (const doc of documents) {
    const distance = nearestDistance(near.values(doc), near.operand, near.spherical);
    if (distance !== null) withDistance.push({ doc, distance });
  }
  return withDistance.sort((a, b) => a.distance - b.distance).map((entry) => entry.doc);
}

function nearestDistance(values: unknown[], operand: unknown, spherical: boolean): number | null {
  let best: number | null = null;
  for (const value of values) {
    const distance = nearDistance(value, operand, spherical);
    if (distance !== null && (best === null || distance < best)) best = distance;
  }
  return best;
}

function* filterIterable(documents: Iterable<Doc>, keep: (doc: Doc) => boolean): Iterable<Doc> {
  for (const doc of documents) if (keep(doc)) yield doc;
}

function* window(documents: Iterable<Doc>, skip: number, limit: number): Iterable<Doc> {
  let skipped = 0;
  let taken = 0;
  if (limit > 0 && taken >= limit) return;
  for (const doc of documents) {
    if (skipped < skip) {
      skipped++;
      continue;
    }
    yield doc;
    if (limit > 0 && ++taken >= limit) return;
  }
}
