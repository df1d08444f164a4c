/**
 * Sorted reads answered by walking an index in sort order (no sort stage, stopping after skip +
 * limit) must return what filtering everything and sorting it returns: the same documents, in the
 * same sort-key order. Checked on random data with ties, missing fields, mixed types, multikey
 * fields, descending and compound sorts, skip and limit; and lazily read across writes, as a
 * cursor's later batches are.
 */
import { BSON, Int32 } from "bson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalKey, DESERIALIZE_OPTIONS, toNumber, type Doc } from "../bson-values.js";
import { silentLogger } from "../logger.js";
import { compileFilter } from "../query/matcher.js";
import { compileSort } from "../query/sort.js";
import { Storage, type Collection } from "../storage/catalog.js";
import { selectDocuments } from "./select.js";

let storage: Storage;
let counter = 0;

beforeEach(async () => {
  storage = await Storage.open({ logger: silentLogger });
});

afterEach(async () => {
  await storage.close();
});

function freshCollection(): Collection {
  return storage.database("ordered_scan_test").collection(`c${++counter}`);
}

/** mulberry32: the same cases on every run, so a failure can be replayed. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickFrom<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A value of one of several BSON types, or nothing (the field is then left out). */
function mixedValue(random: () => number): unknown {
  switch (Math.floor(random() * 8)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return new Int32(Math.floor(random() * 6));
    case 3:
      return Math.floor(random() * 12) / 2;
    case 4:
      return pickFrom(random, ["", "a", "ab", "b", "Ž", "ž"]);
    case 5:
      return random() < 0.5;
    case 6:
      return new Date(Date.UTC(2026, 0, 1 + Math.floor(random() * 5)));
    default:
      return { x: Math.floor(random() * 3) };
  }
}

function multikeyValue(random: () => number): unknown {
  const roll = random();
  if (roll < 0.15) return undefined;
  if (roll < 0.25) return [];
  if (roll < 0.55) return Math.floor(random() * 8);
  return Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.8 ? Math.floor(random() * 8) : pickFrom(random, ["k", null])));
}

function randomDocument(random: () => number, id: number): Doc {
  const doc: Doc = { _id: random() < 0.8 ? new Int32(id) : `id-${String(id).padStart(5, "0")}` };
  const fields: Record<string, unknown> = {
    a: mixedValue(random),
    b: random() < 0.9 ? new Int32(Math.floor(random() * 4)) : undefined,
    m: multikeyValue(random),
    c: random() < 0.8 ? { d: random() < 0.9 ? Math.floor(random() * 10) : "text" } : undefined,
    s: random() < 0.3 ? Math.floor(random() * 5) : undefined,
    p: random() < 0.5 ? "on" : "off",
    w: random() < 0.2 ? undefined : random() < 0.3 ? pickFrom(random, ["x", "y"]) : Array.from({ length: Math.floor(random() * 4) }, () => pickFrom(random, ["x", "y", "z", "xy"])),
  };
  for (const [field, value] of Object.entries(fields)) if (value !== undefined) doc[field] = value;
  return doc;
}

const INDEXES: Doc[] = [
  { key: { a: 1 }, name: "a_1" },
  { key: { b: 1, a: 1 }, name: "b_1_a_1" },
  { key: { b: -1, "c.d": 1 }, name: "b_-1_cd_1" },
  { key: { m: 1 }, name: "m_1" },
  { key: { p: 1, m: -1 }, name: "p_1_m_-1" },
  { key: { "c.d": -1 }, name: "cd_-1" },
  { key: { s: 1 }, name: "s_sparse", sparse: true },
  { key: { b: 1 }, name: "b_partial", partialFilterExpression: { p: "on" } },
  { key: { w: 1, _id: 1 }, name: "w_1__id_1" },
];

const FILTERS: Doc[] = [
  {},
  { b: 1 },
  { b: 2, a: { $gt: 1 } },
  { a: { $gte: 2 } },
  { a: { $lt: "b" } },
  { m: 3 },
  { m: { $gt: 4 } },
  { p: "on" },
  { p: "on", m: { $in: [1, 2] } },
  { b: { $in: [0, 3] } },
  { "c.d": { $lte: 4 } },
  { s: { $exists: true } },
  { s: { $gte: 2 } },
  { $or: [{ b: 0 }, { m: 5 }] },
  { _id: { $gt: 100 } },
  { b: 3, p: "on" },
  { w: "x" },
  { $and: [{ w: "x" }, { w: "y" }] },
  { w: "y", p: "on" },
  { w: { $eq: "z" }, _id: { $gt: 50 } },
  { w: "x", b: { $gte: 1 } },
  { $and: [{ w: "xy" }, { m: { $gt: 2 } }] },
  { "c.d": "text" },
  { a: "ab" },
  { a: { $eq: "a" }, p: "off" },
  { p: "on", $or: [{ w: "z" }, { a: "b" }] },
];

const SORTS: Doc[] = [
  { _id: 1 },
  { _id: -1 },
  { a: 1 },
  { a: -1 },
  { a: 1, _id: 1 },
  { b: 1, a: 1 },
  { b: -1, a: -1 },
  { b: 1, a: -1 },
  { a: 1 },
  { "c.d": 1 },
  { "c.d": -1, _id: -1 },
  { m: 1 },
  { m: -1 },
  { m: -1, _id: 1 },
  { s: 1 },
  { b: 1 },
  { b: -1, "c.d": 1 },
];

function bson(doc: Doc): Doc {
  return BSON.deserialize(BSON.serialize(doc), DESERIALIZE_OPTIONS) as Doc;
}

/** What a sorted find must return: every document filtered, sorted, windowed. */
function reference(collection: Collection, filter: Doc, sort: Doc, skip: number, limit: number): Doc[] {
  return window(filterThenSort(collection, filter, sort), skip, limit);
}

function filterThenSort(collection: Collection, filter: Doc, sort: Doc): Doc[] {
  const matches = compileFilter(filter);
  return [...collection.find({}, { hint: { $natural: 1 } })].filter(matches).sort(compileSort(sort));
}

function window(sorted: Doc[], skip: number, limit: number): Doc[] {
  return sorted.slice(skip, limit > 0 ? skip + limit : undefined);
}

function expectSameSortedResult(actual: Doc[], expected: Doc[], sort: Doc, windowed: boolean, context: string): void {
  const compare = compileSort(sort);
  expect(actual.length, context).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (compare(actual[i]!, expected[i]!) !== 0) {
      throw new Error(`${context}: position ${i} sorts differently: ${JSON.stringify(actual[i])} vs ${JSON.stringify(expected[i])}`);
    }
  }
  // Ties may come in either order; a whole result still holds the same documents, a window too
  // when the sort ends on _id (unique).
  const totalOrder = Object.keys(sort).at(-1) === "_id";
  if (!windowed || totalOrder) {
    const ids = (docs: Doc[]) => docs.map((doc) => canonicalKey(doc._id)).sort();
    expect(ids(actual), context).toEqual(ids(expected));
  }
  if (totalOrder) expect(actual.map((doc) => canonicalKey(doc._id)), context).toEqual(expected.map((doc) => canonicalKey(doc._id)));
}

function loadRandom(collection: Collection, random: () => number, count: number): void {
  collection.createIndexes(INDEXES);
  for (let id = 0; id < count; id++) collection.insert(bson(randomDocument(random, id)));
}

describe("sorted reads in index order", () => {
  for (const size of [300, 1000]) {
    it(`return what filter-then-sort returns (${size} documents, random values)`, () => {
      const random = randomSource(0x5eed + size);
      const collection = freshCollection();
      loadRandom(collection, random, size);
      let walked = 0;
      let sortedAfter = 0;
      for (const filter of FILTERS) {
        for (const sort of SORTS) {
          const expected = filterThenSort(collection, filter, sort);
          for (const [skip, limit] of [
            [0, 0],
            [0, 1],
            [0, 20],
            [7, 5],
            [Math.floor(size / 3), 50],
          ] as const) {
            const context = `filter ${JSON.stringify(filter)} sort ${JSON.stringify(sort)} skip ${skip} limit ${limit}`;
            const actual = [...selectDocuments(collection, filter, { sort, skip, limit })];
            if (collection.lastFindStats.providesSort) walked++;
            else sortedAfter++;
            expectSameSortedResult(actual, window(expected, skip, limit), sort, skip > 0 || limit > 0, context);
          }
        }
      }
      // Both kinds of plan must have been exercised, or the comparison proves nothing.
      expect(walked).toBeGreaterThan(100);
      expect(sortedAfter).toBeGreaterThan(100);
    });
  }

  it("follows a hint that gives the order, forward and backward", () => {
    const random = randomSource(7);
    const collection = freshCollection();
    loadRandom(collection, random, 500);
    for (const [sort, hint] of [
      [{ a: -1 }, "a_1"],
      [{ _id: 1 }, "_id_"],
      [{ _id: -1 }, { _id: 1 }],
      [{ s: 1 }, "s_sparse"],
    ] as const) {
      const actual = [...selectDocuments(collection, {}, { sort, hint, limit: 30 })];
      expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", providesSort: true });
      // A hinted sparse index holds only the documents that have the field, as in mongod.
      const filter = hint === "s_sparse" ? { s: { $exists: true } } : {};
      expectSameSortedResult(actual, reference(collection, filter, sort, 0, 30), sort, true, `hint ${JSON.stringify(hint)}`);
    }
  });

  it("walks an index after an equality on its leading field ({b: 1, a: 1} for {b: x} sorted by a)", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { b: 1, a: 1 }, name: "b_1_a_1" }]);
    for (let n = 0; n < 3000; n++) collection.insert({ _id: n, b: n % 3, a: (n * 7919) % 3001 });
    const page = [...selectDocuments(collection, { b: 1 }, { sort: { a: -1 }, limit: 10 })];
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "b_1_a_1", providesSort: true, backward: true });
    // Ten matches in order, without reading the other 990 documents of b = 1.
    expect(collection.lastFindStats.docsExamined).toBeLessThanOrEqual(11);
    expect(page.map((doc) => toNumber(doc.a))).toEqual(reference(collection, { b: 1 }, { a: -1 }, 0, 10).map((doc) => toNumber(doc.a)));
  });

  it("stops an _id-ordered walk early for a frequent match and falls back to the narrow index for a rare one", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { tag: 1 }, name: "tag_1" }]);
    // "common" on every other document, "rare" on 20 spread over the collection.
    for (let n = 0; n < 5000; n++) collection.insert({ _id: n, tag: n % 250 === 0 ? ["common", "rare"] : n % 2 === 0 ? "common" : "other" });
    const frequent = [...selectDocuments(collection, { tag: "common" }, { sort: { _id: 1 }, limit: 21 })];
    expect(collection.lastFindStats).toMatchObject({ indexName: "_id_", providesSort: true });
    expect(collection.lastFindStats.docsExamined).toBeLessThan(50);
    expect(frequent.map((doc) => toNumber(doc._id))).toEqual(Array.from({ length: 21 }, (_, i) => i * 2));

    const rare = [...selectDocuments(collection, { tag: "rare" }, { sort: { _id: -1 }, limit: 5 })];
    expect(collection.lastFindStats).toMatchObject({ indexName: "tag_1" });
    expect(collection.lastFindStats.providesSort).toBeUndefined();
    expect(rare.map((doc) => toNumber(doc._id))).toEqual([4750, 4500, 4250, 4000, 3750]);
  });

  it("answers string equalities from the indexes alone, intersecting lookups on a multikey field", () => {
    const collection = freshCollection();
    collection.createIndexes([
      { key: { words: 1, _id: 1 }, name: "words__id" },
      { key: { kind: 1 }, name: "kind_1" },
    ]);
    for (let n = 0; n < 2000; n++) {
      const words = [n % 2 === 0 ? "even" : "odd", n % 3 === 0 ? "three" : "other", n % 7 === 0 ? "seven" : "other"];
      collection.insert({ _id: n, words, kind: n % 5 === 0 ? "five" : "rest" });
    }
    const filter = { $and: [{ words: "even" }, { words: "three" }, { words: "seven" }], kind: "five" };
    const found = [...selectDocuments(collection, filter, {})];
    expect(collection.lastFindStats).toMatchObject({ stage: "AND_HASH", indexName: "words__id,kind_1" });
    // Only the matches are read: multiples of 2, 3, 5 and 7 below 2000.
    expect(found.map((doc) => toNumber(doc._id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i * 210));
    expect(collection.lastFindStats.docsExamined).toBe(10);
    // A count reads no field at all.
    expect([...selectDocuments(collection, { words: "seven" }, { fields: new Set() })]).toHaveLength(286);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "words__id" });
  });

  it("intersects an equality lookup with a geo index's candidates, and still checks the area", () => {
    const collection = freshCollection();
    collection.createIndexes([
      { key: { location: "2dsphere" }, name: "location_2dsphere" },
      { key: { kind: 1, _id: 1 }, name: "kind__id" },
    ]);
    const random = randomSource(11);
    for (let n = 0; n < 3000; n++) {
      const point = { type: "Point", coordinates: [21 + random() * 0.6, 43.3 + random() * 0.6] };
      collection.insert({ _id: n, kind: pickFrom(random, ["bakery", "bakery", "pharmacy", "kiosk"]), location: point });
    }
    const area = { type: "Polygon", coordinates: [[[21.1, 43.4], [21.4, 43.4], [21.25, 43.7], [21.1, 43.4]]] };
    const filter = { kind: "pharmacy", location: { $geoWithin: { $geometry: area } } };
    const all = [...selectDocuments(collection, filter, { fields: new Set() })];
    expect(collection.lastFindStats).toMatchObject({ stage: "AND_HASH", indexName: "kind__id,location_2dsphere" });
    const expected = filterThenSort(collection, filter, { _id: 1 });
    expect(expected.length).toBeGreaterThan(50);
    expect(all.map((doc) => toNumber(doc._id)).sort((a, b) => a - b)).toEqual(expected.map((doc) => toNumber(doc._id)));
    const page = [...selectDocuments(collection, filter, { sort: { _id: 1 }, skip: 20, limit: 20 })];
    expect(page.map((doc) => toNumber(doc._id))).toEqual(expected.slice(20, 40).map((doc) => toNumber(doc._id)));
  });

  it("pages by _id inside an equality ({words: 1, _id: 1}), reading only the page", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { words: 1, _id: 1 }, name: "words__id" }]);
    for (let n = 0; n < 3000; n++) collection.insert({ _id: n, words: n % 3 === 0 ? ["three", "x"] : ["x"] });
    const page = [...selectDocuments(collection, { words: "three", _id: { $gt: 600 } }, { sort: { _id: 1 }, limit: 21 })];
    expect(collection.lastFindStats).toMatchObject({ indexName: "words__id", providesSort: true });
    expect(collection.lastFindStats.docsExamined).toBeLessThanOrEqual(22);
    expect(page.map((doc) => toNumber(doc._id))).toEqual(Array.from({ length: 21 }, (_, i) => 603 + i * 3));
  });

  it("resumes a walk whose first, short trial did not fill the page", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { tag: 1 }, name: "tag_1" }]);
    // One in ten: too rare for the short trial to fill 21, frequent enough to beat sorting 500.
    // "x" is inside every tag, so no document is skipped unread and each counts as examined.
    for (let n = 0; n < 5000; n++) collection.insert({ _id: n, tag: n % 10 === 3 ? "x" : "xy" });
    const page = [...selectDocuments(collection, { tag: "x" }, { sort: { _id: -1 }, skip: 2, limit: 21 })];
    expect(collection.lastFindStats).toMatchObject({ indexName: "_id_", providesSort: true, backward: true });
    // 23 matches take 227 documents from the top: past the short trial (100), short of sorting all 500.
    expect(collection.lastFindStats.docsExamined).toBeGreaterThanOrEqual(227);
    expect(collection.lastFindStats.docsExamined).toBeLessThan(240);
    expect(page.map((doc) => toNumber(doc._id))).toEqual(Array.from({ length: 21 }, (_, i) => 4973 - i * 10));
  });

  it("keeps reading lazily across writes, each document once, in order", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { n: 1 }, name: "n_1" }]);
    for (let n = 0; n < 1000; n++) collection.insert({ _id: n, n });
    const reading = selectDocuments(collection, {}, { sort: { n: 1 } })[Symbol.iterator]();
    const seen: number[] = [];
    const take = (count: number) => {
      for (let i = 0; i < count; i++) {
        const step = reading.next();
        if (step.done) return;
        seen.push(toNumber(step.value.n));
      }
    };
    take(150);
    // Between two batches: one document ahead goes, one moves further ahead, one moves behind, one arrives.
    collection.remove(500);
    collection.replace({ _id: 600, n: 2000 });
    collection.replace({ _id: 700, n: -1 });
    collection.insert({ _id: 5000, n: 1500 });
    take(Number.POSITIVE_INFINITY);
    expect(collection.lastFindStats).toMatchObject({ indexName: "n_1", providesSort: true });
    expect(seen).not.toContain(500);
    expect(seen).not.toContain(-1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.slice(-2)).toEqual([1500, 2000]);
    expect(seen).toHaveLength(1000 - 1 - 1 + 1);
  });
});
