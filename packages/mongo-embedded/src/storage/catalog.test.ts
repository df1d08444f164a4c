import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Double, Int32, Long, ObjectId } from "bson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { silentLogger } from "../logger.js";
import { Storage, type Collection } from "./catalog.js";

let storage: Storage;
let counter = 0;

beforeEach(async () => {
  storage = await Storage.open({ logger: silentLogger });
});

afterEach(async () => {
  await storage.close();
});

function freshCollection(): Collection {
  return storage.database("test").collection(`c${++counter}`);
}

function plain(doc: Doc): Doc {
  return JSON.parse(JSON.stringify(doc)) as Doc;
}

function findAll(collection: Collection, filter: Doc = {}, hint?: string | Doc): Doc[] {
  return [...collection.find(filter, { hint })];
}

function thrown(action: () => unknown): MongoCommandError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MongoCommandError);
    return error as MongoCommandError;
  }
  throw new Error("expected an error");
}

describe("documents", () => {
  it("inserts, reads copies, replaces in place and removes", () => {
    const collection = freshCollection();
    collection.insert({ _id: 1, name: "a" });
    collection.insert({ _id: 2, name: "b" });
    collection.insert({ _id: 3, name: "c" });
    const copy = collection.findById(2)!;
    copy.name = "changed";
    expect(collection.findById(2)).toEqual({ _id: new Int32(2), name: "b" });

    collection.replace({ _id: 2, name: "B" });
    expect(findAll(collection).map((doc) => doc.name)).toEqual(["a", "B", "c"]);
    expect(collection.remove(1)).toBe(true);
    expect(collection.remove(1)).toBe(false);
    expect(collection.count()).toBe(2);
  });

  it("treats numerically equal _ids as the same document", () => {
    const collection = freshCollection();
    collection.insert({ _id: new Int32(1) });
    const error = thrown(() => collection.insert({ _id: new Double(1) }));
    expect(error.code).toBe(11000);
    expect(error.message).toBe(`E11000 duplicate key error collection: test.${collection.name} index: _id_ dup key: { _id: 1.0 }`);
    expect(collection.findById(new Long(1))).toBeDefined();
  });

  it("keeps dataSize equal to the BSON size of the documents", () => {
    const collection = freshCollection();
    collection.insert({ _id: 1, text: "x".repeat(100) });
    const size = collection.dataSize();
    expect(size).toBeGreaterThan(100);
    collection.replace({ _id: 1, text: "x".repeat(200) });
    expect(collection.dataSize()).toBe(size + 100);
    collection.remove(1);
    expect(collection.dataSize()).toBe(0);
  });

  it("refuses documents over 16 MiB with BSONObjectTooLarge", () => {
    const collection = freshCollection();
    const error = thrown(() => collection.insert({ _id: 1, big: "x".repeat(16 * 1024 * 1024) }));
    expect(error.code).toBe(10334);
    expect(collection.count()).toBe(0);
  });

  it("refuses an array _id and $-prefixed fields inside _id", () => {
    expect(thrown(() => freshCollection().insert({ _id: [1, 2] })).code).toBe(53);
    expect(thrown(() => freshCollection().insert({ _id: { a: { $b: 1 } } })).code).toBe(52);
  });
});

describe("unique indexes", () => {
  it("reports duplicates as mongod does, with keyPattern and keyValue", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { code: 1 }, name: "code_1", unique: true }]);
    collection.insert({ _id: 1, code: "A" });
    const error = thrown(() => collection.insert({ _id: 2, code: "A" }));
    expect(error.code).toBe(11000);
    expect(error.codeName).toBe("DuplicateKey");
    expect(error.message).toBe(`E11000 duplicate key error collection: test.${collection.name} index: code_1 dup key: { code: "A" }`);
    expect(error.extra).toEqual({ keyPattern: { code: 1 }, keyValue: { code: "A" } });
    expect(collection.count()).toBe(1);
  });

  it("indexes missing fields as null, so two documents without the field collide", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { code: 1 }, name: "code_1", unique: true }]);
    collection.insert({ _id: 1 });
    const error = thrown(() => collection.insert({ _id: 2 }));
    expect(error.message).toContain("dup key: { code: null }");
  });

  it("lets sparse unique indexes skip documents without the field", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { email: 1 }, name: "email_1", unique: true, sparse: true }]);
    collection.insert({ _id: 1 });
    collection.insert({ _id: 2 });
    collection.insert({ _id: 3, email: "a@x" });
    expect(thrown(() => collection.insert({ _id: 4, email: "a@x" })).code).toBe(11000);
    expect(findAll(collection, { email: "a@x" }).map((doc) => doc._id)).toEqual([new Int32(3)]);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "email_1", docsExamined: 1 });
    // `{email: null}` must find the documents the sparse index left out: not planned on it.
    expect(findAll(collection, { email: null })).toHaveLength(2);
    expect(collection.lastFindStats.stage).toBe("COLLSCAN");
  });

  it("enforces compound uniqueness on the combination only", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { city: 1, code: 1 }, name: "city_code", unique: true }]);
    collection.insert({ _id: 1, city: "Niš", code: "A" });
    collection.insert({ _id: 2, city: "Niš", code: "B" });
    collection.insert({ _id: 3, city: "Novi Sad", code: "A" });
    const error = thrown(() => collection.insert({ _id: 4, city: "Niš", code: "B" }));
    expect(error.extra).toEqual({ keyPattern: { city: 1, code: 1 }, keyValue: { city: "Niš", code: "B" } });
  });

  it("applies a partial unique index only to documents matching its filter", () => {
    const collection = freshCollection();
    collection.createIndexes([
      { key: { code: 1 }, name: "open_code", unique: true, partialFilterExpression: { status: "open" } },
    ]);
    collection.insert({ _id: 1, code: "A", status: "closed" });
    collection.insert({ _id: 2, code: "A", status: "closed" });
    collection.insert({ _id: 3, code: "A", status: "open" });
    expect(thrown(() => collection.insert({ _id: 4, code: "A", status: "open" })).code).toBe(11000);
    // Moving a closed one to open collides too.
    expect(thrown(() => collection.replace({ _id: 1, code: "A", status: "open" })).code).toBe(11000);
    expect(findAll(collection, { code: "A", status: "open" })).toHaveLength(1);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "open_code" });
    expect(findAll(collection, { code: "A" })).toHaveLength(3);
    expect(collection.lastFindStats.stage).toBe("COLLSCAN");
  });

  it("fails to create a unique index over existing duplicates, creating nothing", () => {
    const collection = freshCollection();
    collection.insert({ _id: 1, code: "A" });
    collection.insert({ _id: 2, code: "A" });
    const error = thrown(() =>
      collection.createIndexes([
        { key: { other: 1 }, name: "other_1" },
        { key: { code: 1 }, name: "code_1", unique: true },
      ]),
    );
    expect(error.code).toBe(11000);
    expect(collection.listIndexes().map((index) => index.name)).toEqual(["_id_"]);
  });

  it("allows a document to repeat a value within its own array", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { tags: 1 }, name: "tags_1", unique: true }]);
    collection.insert({ _id: 1, tags: ["a", "a", "b"] });
    expect(thrown(() => collection.insert({ _id: 2, tags: ["c", "b"] })).extra).toEqual({
      keyPattern: { tags: 1 },
      keyValue: { tags: "b" },
    });
  });
});

describe("atomic writes", () => {
  it("leaves every index untouched when one index refuses an insert", () => {
    const collection = freshCollection();
    collection.createIndexes([
      { key: { a: 1 }, name: "a_1" },
      { key: { code: 1 }, name: "code_1", unique: true },
    ]);
    collection.insert({ _id: 1, a: 5, code: "A" });
    expect(thrown(() => collection.insert({ _id: 2, a: 7, code: "A" })).code).toBe(11000);
    expect(findAll(collection, { a: 7 })).toHaveLength(0);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", docsExamined: 0 });
    expect(collection.count()).toBe(1);
  });

  it("keeps the old document and index entries when a replace fails", () => {
    const collection = freshCollection();
    collection.createIndexes([
      { key: { a: 1 }, name: "a_1" },
      { key: { code: 1 }, name: "code_1", unique: true },
    ]);
    collection.insert({ _id: 1, a: 1, code: "A" });
    collection.insert({ _id: 2, a: 2, code: "B" });
    expect(thrown(() => collection.replace({ _id: 2, a: 3, code: "A" })).code).toBe(11000);
    expect(findAll(collection, { a: 2 }).map((doc) => doc._id)).toEqual([new Int32(2)]);
    expect(findAll(collection, { a: 3 })).toHaveLength(0);
  });

  it("rejects parallel arrays in a compound index (171) and stores nothing", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { a: 1, b: 1 }, name: "a_b" }]);
    const error = thrown(() => collection.insert({ _id: 1, a: [1, 2], b: [3, 4] }));
    expect(error.code).toBe(171);
    expect(error.codeName).toBe("CannotIndexParallelArrays");
    expect(collection.count()).toBe(0);
    collection.insert({ _id: 2, a: [1, 2], b: 3 });
  });
});

describe("index planning", () => {
  function populated(): Collection {
    const collection = freshCollection();
    for (let i = 0; i < 1000; i++) collection.insert({ _id: i, n: i, group: i % 10, tags: [`t${i % 7}`, "all"] });
    return collection;
  }

  it("looks _id up directly", () => {
    const collection = populated();
    expect(findAll(collection, { _id: 17 })).toHaveLength(1);
    expect(collection.lastFindStats).toMatchObject({ stage: "IDHACK", docsExamined: 1 });
    expect(findAll(collection, { _id: { $in: [1, 2, 2000] } })).toHaveLength(2);
    expect(collection.lastFindStats.docsExamined).toBe(2);
  });

  it("narrows equality, $in and ranges to the matching index entries", () => {
    const collection = populated();
    collection.createIndexes([{ key: { n: 1 }, name: "n_1" }]);
    expect(findAll(collection, { n: 500 })).toHaveLength(1);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1", docsExamined: 1 });
    expect(findAll(collection, { n: { $in: [3, 4, 5000] } })).toHaveLength(2);
    expect(collection.lastFindStats.docsExamined).toBe(2);
    expect(findAll(collection, { n: { $gte: 10, $lt: 20 } })).toHaveLength(10);
    expect(collection.lastFindStats.docsExamined).toBe(11);
    // The scan includes the boundary (990); the re-check drops it.
    expect(findAll(collection, { $and: [{ n: { $gt: 990 } }, { group: 5 }] })).toHaveLength(1);
    expect(collection.lastFindStats.docsExamined).toBe(10);
    expect(findAll(collection, { n: { $gt: "a" } })).toHaveLength(0);
    expect(collection.lastFindStats.docsExamined).toBe(0);
  });

  it("scans instead when an index's candidates are most of the collection, unless hinted or for findIndexed", () => {
    const collection = populated();
    collection.createIndexes([{ key: { n: 1 }, name: "n_1" }]);
    expect(findAll(collection, { n: { $gte: 0 } })).toHaveLength(1000);
    expect(collection.lastFindStats).toMatchObject({ stage: "COLLSCAN", docsExamined: 1000 });
    expect(collection.explain({ n: { $lt: 600 } })).toEqual({ stage: "COLLSCAN" });
    // Half or less: the index.
    expect(findAll(collection, { n: { $lt: 400 } })).toHaveLength(400);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1" });
    expect(findAll(collection, { n: { $gte: 0 } }, "n_1")).toHaveLength(1000);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1" });
    expect([...(collection.findIndexed({ n: { $gte: 0 } }) ?? [])]).toHaveLength(1000);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1" });
    // _id lookups stay lookups however much of the collection the rest of the filter matches.
    expect(findAll(collection, { _id: { $in: [1, 2] }, n: { $gte: 0 } })).toHaveLength(2);
    expect(collection.lastFindStats).toMatchObject({ stage: "IDHACK", docsExamined: 2 });
    // A small collection keeps the index whatever it covers.
    const small = freshCollection();
    for (let i = 0; i < 10; i++) small.insert({ _id: i, n: i });
    small.createIndexes([{ key: { n: 1 }, name: "n_1" }]);
    expect(findAll(small, { n: { $gte: 0 } })).toHaveLength(10);
    expect(small.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1" });
  });

  it("between indexes that answer a filter equally well, reads the one whose interval holds fewer keys", () => {
    const collection = freshCollection();
    // Every document received before 1000, a few of them resolved at or after 1000.
    for (let i = 0; i < 2000; i++) collection.insert({ _id: i, received: i % 1000, ...(i % 250 === 0 ? { resolved: 1000 + i } : {}) });
    // Created first, so that before the tie-break it won every tie.
    collection.createIndexes([{ key: { received: 1 }, name: "received_1" }, { key: { resolved: 1 }, name: "resolved_1" }]);
    const filter = { resolved: { $gte: 1000 }, received: { $lt: 1000 } };
    expect(findAll(collection, filter).map((doc) => Number(doc._id))).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "resolved_1", docsExamined: 8 });
    // The other way round, the other index; and the same choice for each branch of an $or.
    expect(findAll(collection, { resolved: { $gte: 0 }, received: { $lt: 3 } })).toHaveLength(2);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "received_1" });
    expect(findAll(collection, { $or: [filter, { received: { $lt: 2 }, resolved: { $gte: 0 } }] })).toHaveLength(8);
    expect(collection.lastFindStats).toMatchObject({ stage: "OR", indexName: "resolved_1,received_1" });
  });

  it("looks up an $in of more than 1,000 values through an index", () => {
    const collection = populated();
    collection.createIndexes([{ key: { n: 1, group: 1 }, name: "n_group" }]);
    const values = [...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 1200 }, (_, i) => 5000 + i)];
    expect(findAll(collection, { n: { $in: values } })).toHaveLength(300);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_group", docsExamined: 300 });
    // The cross product with the next field is still capped: the second field is left to the re-check.
    expect(findAll(collection, { n: { $in: values }, group: { $in: [1, 2] } })).toHaveLength(60);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_group", docsExamined: 300 });
  });

  it("skips undecodable candidates of an unindexed string equality by their bytes", () => {
    const collection = populated();
    collection.insert({ _id: "x", label: "needle" });
    collection.insert({ _id: "y", labels: ["hay", "needle"] });
    collection.insert({ _id: "z", label: "needles", other: "needle" });
    expect(findAll(collection, { label: "needle" }).map((doc) => doc._id)).toEqual(["x"]);
    // Only the three documents holding the bytes "needle" are decoded, out of 1003.
    expect(collection.lastFindStats).toMatchObject({ stage: "COLLSCAN", docsExamined: 3 });
    expect(findAll(collection, { labels: { $in: ["needle", "pin"] } }).map((doc) => doc._id)).toEqual(["y"]);
  });

  it("uses the leading fields of a compound index in either direction", () => {
    const collection = populated();
    collection.createIndexes([{ key: { group: 1, n: -1 }, name: "group_n" }]);
    const found = findAll(collection, { group: 3, n: { $lt: 100 } });
    expect(found.map((doc) => doc.n)).toEqual([93, 83, 73, 63, 53, 43, 33, 23, 13, 3].map((n) => new Int32(n)));
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "group_n", docsExamined: 10 });
    expect(findAll(collection, { group: 3, n: { $gt: 900 } })).toHaveLength(10);
    expect(collection.lastFindStats.docsExamined).toBe(10);
    expect(findAll(collection, { group: { $in: [1, 2] } })).toHaveLength(200);
    expect(collection.lastFindStats.docsExamined).toBe(200);
  });

  it("answers a $or whose every branch has an index with the union of the index scans", () => {
    const collection = populated();
    collection.createIndexes([
      { key: { n: 1 }, name: "n_1" },
      { key: { group: 1, n: 1 }, name: "group_n" },
    ]);
    const ids = (filter: Doc) => findAll(collection, filter).map((doc) => Number(doc._id)).sort((a, b) => a - b);
    // n < 5, or group 3 with n < 40, or _id 999: 3 is found by two branches and examined once (and
    // the range scan takes its boundary, 5, which the re-check drops).
    expect(ids({ $or: [{ n: { $lt: 5 } }, { group: 3, n: { $lt: 40 } }, { _id: 999 }] })).toEqual([0, 1, 2, 3, 4, 13, 23, 33, 999]);
    expect(collection.lastFindStats).toMatchObject({ stage: "OR", docsExamined: 10 });
    expect(collection.lastFindStats.indexName?.split(",").sort()).toEqual(["_id_", "group_n", "n_1"]);
    // Overlapping branches examine each document once (and 3, the boundary); the outer condition
    // narrows every branch.
    expect(ids({ n: { $lt: 30 }, $or: [{ n: { $lt: 3 } }, { group: 1 }, { n: 2 }] })).toEqual([0, 1, 2, 11, 21]);
    expect(collection.lastFindStats).toMatchObject({ stage: "OR", docsExamined: 6 });
    expect(ids({ $and: [{ $or: [{ n: 7 }, { n: 8 }] }, { group: 7 }] })).toEqual([7]);
    // A branch no index answers, here on `tags`, means a scan; and a narrower single index wins.
    expect(ids({ $or: [{ n: 1 }, { tags: "t3" }] })).toHaveLength(144);
    expect(collection.lastFindStats.stage).toBe("COLLSCAN");
    expect(ids({ n: { $gte: 998 }, $or: [{ group: 8 }, { group: 9 }] })).toEqual([998, 999]);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", indexName: "n_1", docsExamined: 2 });
  });

  it("finds multikey entries once per document and keeps ranges correct", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { scores: 1 }, name: "scores_1" }]);
    collection.insert({ _id: 1, scores: [3, 12] });
    collection.insert({ _id: 2, scores: [7] });
    collection.insert({ _id: 3, scores: 20 });
    collection.insert({ _id: 4, scores: [] });
    // [3, 12] has an element > 5 and another < 10: both conditions hold, by different elements.
    const ids = (filter: Doc) => findAll(collection, filter).map((doc) => Number(doc._id)).sort();
    expect(ids({ scores: { $gt: 5, $lt: 10 } })).toEqual([1, 2]);
    expect(ids({ scores: { $in: [3, 12, 20] } })).toEqual([1, 3]);
    expect(ids({ scores: [] })).toEqual([4]);
    expect(findAll(collection, { scores: 12 })).toHaveLength(1);
    expect(collection.lastFindStats.stage).toBe("IXSCAN");
  });

  it("finds documents through nested paths and arrays of subdocuments", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { "items.sku": 1 }, name: "sku" }]);
    collection.insert({ _id: 1, items: [{ sku: "a" }, { sku: "b" }] });
    collection.insert({ _id: 2, items: { sku: "b" } });
    collection.insert({ _id: 3 });
    expect(findAll(collection, { "items.sku": "b" }).map((doc) => doc._id)).toEqual([new Int32(1), new Int32(2)]);
    expect(collection.lastFindStats).toMatchObject({ stage: "IXSCAN", docsExamined: 2 });
    expect(findAll(collection, { "items.sku": null }).map((doc) => doc._id)).toEqual([new Int32(3)]);
  });

  it("answers an indexed equality on 100,000 documents in well under a millisecond", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { code: 1 }, name: "code_1" }]);
    for (let i = 0; i < 100_000; i++) collection.insert({ _id: new ObjectId(), code: `R-${i}`, category: i % 13 });
    const timings: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const found = findAll(collection, { code: `R-${(i * 499) % 100_000}` });
      timings.push(performance.now() - started);
      expect(found).toHaveLength(1);
    }
    timings.sort((a, b) => a - b);
    expect(timings[Math.floor(timings.length / 2)]).toBeLessThan(1);
  }, 60_000);
});

describe("hints", () => {
  it("scans a hinted index in index order, and rejects unknown hints", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { n: -1 }, name: "n_desc" }]);
    for (const n of [2, 9, 4]) collection.insert({ _id: n, n });
    expect(findAll(collection, {}, "n_desc").map((doc) => doc.n)).toEqual([9, 4, 2].map((n) => new Int32(n)));
    expect(findAll(collection, {}, { n: -1 }).map((doc) => doc.n)).toEqual([9, 4, 2].map((n) => new Int32(n)));
    expect(findAll(collection, {}, { _id: 1 }).map((doc) => doc._id)).toEqual([2, 4, 9].map((n) => new Int32(n)));
    expect(findAll(collection, {}, { $natural: -1 }).map((doc) => doc._id)).toEqual([4, 9, 2].map((n) => new Int32(n)));
    for (const hint of ["nope", { n: 1 }]) {
      const error = thrown(() => collection.find({}, { hint }));
      expect(error.code).toBe(2);
      expect(error.message).toBe("hint provided does not correspond to an existing index");
    }
  });

  it("uses a hinted sparse index even when it leaves documents out, as mongod does", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { x: 1 }, name: "x_1", sparse: true }]);
    collection.insert({ _id: 1, x: 1 });
    collection.insert({ _id: 2 });
    expect(findAll(collection, {}, "x_1")).toHaveLength(1);
  });
});

describe("createIndexes, listIndexes and dropIndexes", () => {
  it("names indexes by default, lists specs and reports counts", () => {
    const collection = freshCollection();
    const result = collection.createIndexes([{ key: { city: 1, created: -1 } }, { key: { location: "2dsphere" } }]);
    expect(result).toEqual({ numIndexesBefore: 1, numIndexesAfter: 3 });
    expect(collection.listIndexes().map(plain)).toEqual([
      { v: 2, key: { _id: 1 }, name: "_id_" },
      { v: 2, key: { city: 1, created: -1 }, name: "city_1_created_-1" },
      { v: 2, key: { location: "2dsphere" }, name: "location_2dsphere", "2dsphereIndexVersion": 3 },
    ]);
    expect(collection.createIndexes([{ key: { city: 1, created: -1 }, name: "city_1_created_-1" }])).toEqual({
      numIndexesBefore: 3,
      numIndexesAfter: 3,
      note: "all indexes already exist",
    });
  });

  it("reports name and option clashes with mongod's codes", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { a: 1 }, name: "a_1" }]);
    expect(thrown(() => collection.createIndexes([{ key: { b: 1 }, name: "a_1" }])).code).toBe(86);
    expect(thrown(() => collection.createIndexes([{ key: { a: 1 }, name: "a_1", unique: true }])).code).toBe(85);
    expect(thrown(() => collection.createIndexes([{ key: { a: 1 }, name: "other" }])).code).toBe(85);
    // A different partial filter tells two indexes on the same key apart.
    collection.createIndexes([{ key: { a: 1 }, name: "a_partial", partialFilterExpression: { b: { $gt: 1 } } }]);
    expect(thrown(() => collection.createIndexes([{ key: { a: 0 } }])).code).toBe(67);
    expect(thrown(() => collection.createIndexes([{ key: { a: "text" } }])).code).toBe(67);
    expect(thrown(() => collection.createIndexes([{ key: { a: 1 }, name: "x", bogus: true }])).code).toBe(197);
    expect(thrown(() => collection.createIndexes([{ key: { a: 1, b: 1 }, expireAfterSeconds: 10 }])).code).toBe(67);
    expect(thrown(() => collection.createIndexes([{ key: { c: 1 }, sparse: true, partialFilterExpression: { c: 1 } }])).code).toBe(67);
    // The _id index is there already.
    expect(collection.createIndexes([{ key: { _id: 1 }, name: "_id_" }]).note).toBe("all indexes already exist");
  });

  it("drops by name, key pattern, list and '*', never _id_", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { a: 1 } }, { key: { b: 1 } }, { key: { c: 1 } }, { key: { d: 1 } }]);
    collection.dropIndexes("a_1");
    collection.dropIndexes({ b: 1 });
    expect(thrown(() => collection.dropIndexes("a_1")).code).toBe(27);
    expect(thrown(() => collection.dropIndexes({ zz: 1 })).code).toBe(27);
    expect(thrown(() => collection.dropIndexes("_id_")).code).toBe(72);
    expect(thrown(() => collection.dropIndexes(["c_1", "missing"])).code).toBe(27);
    expect(collection.listIndexes()).toHaveLength(3);
    collection.dropIndexes("*");
    expect(collection.listIndexes().map((index) => index.name)).toEqual(["_id_"]);
  });
});

describe("TTL indexes", () => {
  it("removes documents whose date is past expireAfterSeconds", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { expiresAt: 1 }, expireAfterSeconds: 60 }]);
    const now = new Date("2024-05-01T12:00:00Z");
    collection.insert({ _id: 1, expiresAt: new Date(now.getTime() - 120_000) });
    collection.insert({ _id: 2, expiresAt: new Date(now.getTime() - 30_000) });
    collection.insert({ _id: 3, expiresAt: "not a date" });
    collection.insert({ _id: 4, expiresAt: [new Date(now.getTime() + 1e6), new Date(now.getTime() - 1e6)] });
    collection.insert({ _id: 5 });
    expect(storage.expireTtl(now)).toBe(2);
    expect(findAll(collection).map((doc) => doc._id)).toEqual([2, 3, 5].map((n) => new Int32(n)));
  });

  it("runs by itself on the configured interval", async () => {
    const ttlStorage = await Storage.open({ logger: silentLogger, ttlIntervalMs: 20 });
    try {
      const collection = ttlStorage.database("test").collection("sessions");
      collection.createIndexes([{ key: { at: 1 }, expireAfterSeconds: 0 }]);
      collection.insert({ _id: 1, at: new Date(Date.now() - 1000) });
      // Polled rather than slept on, so a busy machine does not make this flaky.
      for (let waited = 0; collection.count() > 0 && waited < 5000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(collection.count()).toBe(0);
    } finally {
      await ttlStorage.close();
      await ttlStorage.close();
    }
  });
});

describe("2dsphere indexes", () => {
  const square = { type: "Polygon", coordinates: [[[21, 43], [22, 43], [22, 44], [21, 44], [21, 43]]] };

  it("narrows $geoWithin to the index's candidates and refuses unindexable values", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { location: "2dsphere" } }]);
    collection.insert({ _id: 1, location: { type: "Point", coordinates: [21.5, 43.5] } });
    collection.insert({ _id: 2, location: { type: "Point", coordinates: [10, 10] } });
    collection.insert({ _id: 3 });
    const error = thrown(() => collection.insert({ _id: 4, location: { type: "Point", coordinates: [500, 500] } }));
    expect(error.code).toBe(16755);
    expect(collection.count()).toBe(3);
    expect(findAll(collection, { location: { $geoWithin: { $geometry: square } } }).map((doc) => doc._id)).toEqual([new Int32(1)]);
    expect(collection.lastFindStats).toMatchObject({ stage: "GEO", docsExamined: 1 });
  });

  it("keeps the old geo entry when a replace brings an unindexable value", () => {
    const collection = freshCollection();
    collection.createIndexes([{ key: { location: "2dsphere" } }]);
    collection.insert({ _id: 1, location: { type: "Point", coordinates: [21.5, 43.5] } });
    expect(thrown(() => collection.replace({ _id: 1, location: { type: "Point", coordinates: [500, 0] } })).code).toBe(16755);
    expect(findAll(collection, { location: { $geoWithin: { $geometry: square } } })).toHaveLength(1);
  });

  it("requires a 2dsphere index for $near", () => {
    const collection = freshCollection();
    collection.insert({ _id: 1, location: { type: "Point", coordinates: [21.5, 43.5] } });
    const near = { location: { $near: { $geometry: { type: "Point", coordinates: [21.5, 43.5] } } } };
    expect(thrown(() => collection.find(near)).code).toBe(291);
  });
});

describe("namespaces", () => {
  it("validates database and collection names", () => {
    expect(thrown(() => storage.database("bad.name")).code).toBe(73);
    expect(thrown(() => storage.database("")).code).toBe(73);
    const database = storage.database("test");
    for (const name of ["", "a$b", "nul\0l"]) expect(thrown(() => database.createCollection(name)).code).toBe(73);
  });

  it("refuses to create an existing collection", () => {
    const database = storage.database("test");
    database.createCollection("once");
    const error = thrown(() => database.createCollection("once"));
    expect(error.code).toBe(48);
    expect(error.message).toBe("Collection test.once already exists.");
  });

  it("renames with documents and indexes, across databases, honouring dropTarget", () => {
    const source = storage.database("test").collection("source");
    source.createIndexes([{ key: { code: 1 }, unique: true }]);
    source.insert({ _id: 1, code: "A" });
    storage.database("other").collection("target").insert({ _id: 9 });
    expect(thrown(() => storage.renameCollection("test", "source", "other", "target", false)).code).toBe(48);
    expect(thrown(() => storage.renameCollection("test", "missing", "other", "x", false)).code).toBe(26);
    storage.renameCollection("test", "source", "other", "target", true);
    expect(storage.getDatabase("test")?.getCollection("source")).toBeUndefined();
    const target = storage.getDatabase("other")!.getCollection("target")!;
    expect(target.findById(1)).toBeDefined();
    expect(target.findById(9)).toBeUndefined();
    const error = thrown(() => target.insert({ _id: 2, code: "A" }));
    expect(error.message).toContain("collection: other.target index: code_1");
  });

  it("drops collections and databases", () => {
    const database = storage.database("dropme");
    database.collection("a").insert({ _id: 1 });
    expect(database.dropCollection("a")).toBe(true);
    expect(database.dropCollection("a")).toBe(false);
    database.collection("b");
    expect(storage.dropDatabase("dropme")).toBe(true);
    expect(storage.getDatabase("dropme")).toBeUndefined();
    expect(storage.dropDatabase("dropme")).toBe(false);
  });
});

describe("with a data directory", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "catalog-test-"));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function writeState(durable: Storage): Promise<void> {
    const requests = durable.database("city").collection("requests");
    requests.createIndexes([{ key: { code: 1 }, unique: true }, { key: { location: "2dsphere" } }]);
    for (let i = 0; i < 50; i++) {
      requests.insert({ _id: i, code: `R-${i}`, n: new Long(i), location: { type: "Point", coordinates: [21 + i / 100, 43.5] } });
    }
    requests.replace({ _id: 3, code: "R-3", n: new Long(300) });
    requests.remove(4);
    durable.database("city").collection("gone").insert({ _id: 1 });
    durable.database("city").dropCollection("gone");
    durable.database("city").collection("old").insert({ _id: "x" });
    durable.renameCollection("city", "old", "city", "renamed", false);
    await durable.sync();
  }

  function expectState(reopened: Storage): void {
    const requests = reopened.getDatabase("city")!.getCollection("requests")!;
    expect(requests.count()).toBe(49);
    expect(requests.findById(3)).toEqual({ _id: new Int32(3), code: "R-3", n: new Long(300) });
    expect(requests.findById(4)).toBeUndefined();
    expect(requests.listIndexes().map((index) => index.name)).toEqual(["_id_", "code_1", "location_2dsphere"]);
    expect(thrown(() => requests.insert({ _id: 100, code: "R-7" })).code).toBe(11000);
    expect([...requests.find({ code: "R-10" })]).toHaveLength(1);
    expect(requests.lastFindStats.stage).toBe("IXSCAN");
    expect(reopened.getDatabase("city")!.getCollection("gone")).toBeUndefined();
    expect(reopened.getDatabase("city")!.getCollection("renamed")!.findById("x")).toBeDefined();
  }

  it("reopens to the same documents, indexes and namespaces", async () => {
    const durable = await Storage.open({ dataDir, logger: silentLogger });
    await writeState(durable);
    await durable.close();
    await durable.close();

    const reopened = await Storage.open({ dataDir, logger: silentLogger });
    try {
      expectState(reopened);
    } finally {
      await reopened.close();
    }
  });

  it("reopens to the same state after compaction and the journal written after it", async () => {
    const durable = await Storage.open({ dataDir, logger: silentLogger });
    await writeState(durable);
    await durable.compact();
    const requests = durable.database("city").collection("requests");
    requests.insert({ _id: 1000, code: "after" });
    requests.remove(1000);
    await durable.sync();
    await durable.close();

    const reopened = await Storage.open({ dataDir, logger: silentLogger });
    try {
      expectState(reopened);
    } finally {
      await reopened.close();
    }
  });
});
