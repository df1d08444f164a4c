import { BSON, Decimal128, Int32, Long, MaxKey, MinKey } from "bson";
import { describe, expect, it } from "vitest";
import { DESERIALIZE_OPTIONS, toNumber } from "../bson-values.js";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { compileSort } from "./sort.js";

function bson(value: Doc): Doc {
  return BSON.deserialize(BSON.serialize(value), DESERIALIZE_OPTIONS);
}

function sortedIds(spec: Doc, docs: Doc[]): unknown[] {
  return docs.map(bson).sort(compileSort(bson(spec))).map((doc) => (typeof doc._id === "string" ? doc._id : toNumber(doc._id)));
}

function errorOf(spec: Doc): MongoCommandError {
  try {
    compileSort(bson(spec));
  } catch (error) {
    expect(error).toBeInstanceOf(MongoCommandError);
    return error as MongoCommandError;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
}

describe("compileSort", () => {
  it("sorts numbers of every BSON type together", () => {
    const docs = [
      { _id: "long", a: Long.fromNumber(3) },
      { _id: "int", a: new Int32(1) },
      { _id: "decimal", a: Decimal128.fromString("2.5") },
      { _id: "double", a: 0.5 },
    ];
    expect(sortedIds({ a: 1 }, docs)).toEqual(["double", "int", "decimal", "long"]);
    expect(sortedIds({ a: -1 }, docs)).toEqual(["long", "decimal", "int", "double"]);
  });

  it("orders type brackets as MongoDB does, missing as null", () => {
    const docs = [
      { _id: "string", a: "x" },
      { _id: "number", a: 1 },
      { _id: "missing" },
      { _id: "object", a: { b: 1 } },
      { _id: "bool", a: true },
      { _id: "date", a: new Date(0) },
      { _id: "null", a: null },
      { _id: "max", a: new MaxKey() },
      { _id: "min", a: new MinKey() },
    ];
    expect(sortedIds({ a: 1 }, docs)).toEqual(["min", "missing", "null", "number", "string", "object", "bool", "date", "max"]);
  });

  it("sorts arrays by their least element ascending and greatest descending", () => {
    const docs = [
      { _id: "wide", a: [1, 10] },
      { _id: "middle", a: [5] },
      { _id: "scalar", a: 3 },
    ];
    expect(sortedIds({ a: 1 }, docs)).toEqual(["wide", "scalar", "middle"]);
    expect(sortedIds({ a: -1 }, docs)).toEqual(["wide", "middle", "scalar"]);
  });

  it("puts empty arrays before null ascending", () => {
    const docs = [
      { _id: "one", a: 1 },
      { _id: "null", a: null },
      { _id: "empty", a: [] },
    ];
    expect(sortedIds({ a: 1 }, docs)).toEqual(["empty", "null", "one"]);
    expect(sortedIds({ a: -1 }, docs)).toEqual(["one", "null", "empty"]);
  });

  it("follows dotted paths through subdocuments and arrays", () => {
    const docs = [
      { _id: "two", a: { b: 2 } },
      { _id: "array", a: [{ b: 5 }, { b: 0 }] },
      { _id: "one", a: { b: 1 } },
      { _id: "missing", a: { c: 1 } },
    ];
    expect(sortedIds({ "a.b": 1 }, docs)).toEqual(["missing", "array", "one", "two"]);
    expect(sortedIds({ "a.b": -1 }, docs)).toEqual(["array", "two", "one", "missing"]);
  });

  it("breaks ties with later keys and keeps input order for full ties", () => {
    const docs = [
      { _id: 1, a: 1, b: 1 },
      { _id: 2, a: 0, b: 2 },
      { _id: 3, a: 1, b: 0 },
      { _id: 4, a: 1, b: 0 },
    ];
    expect(sortedIds({ a: -1, b: 1 }, docs)).toEqual([3, 4, 1, 2]);
  });

  it("accepts 1 and -1 of any numeric type and rejects anything else", () => {
    expect(sortedIds({ a: Long.fromNumber(-1) }, [{ _id: 1, a: 1 }, { _id: 2, a: 2 }])).toEqual([2, 1]);
    expect(sortedIds({ a: 1.0 }, [{ _id: 1, a: 1 }, { _id: 2, a: 0 }])).toEqual([2, 1]);
    const message = "$sort key ordering must be 1 (for ascending) or -1 (for descending)";
    expect(errorOf({ a: 2 }).message).toBe(message);
    expect(errorOf({ a: "asc" }).message).toBe(message);
    expect(errorOf({ a: 0 }).code).toBe(2);
    expect(errorOf({ score: { $meta: "textScore" } }).code).toBe(2);
  });

  it("sorts 100,000 documents in reasonable time", () => {
    const docs = Array.from({ length: 100_000 }, (_, i) => bson({ _id: i, n: (i * 7919) % 100_000, s: `k${i % 100}` }));
    const start = performance.now();
    docs.sort(compileSort({ s: 1, n: -1 }));
    expect(performance.now() - start).toBeLessThan(3000);
    expect(docs[0].s).toBe("k0");
  });
});

describe("sort key paths", () => {
  it("rejects empty path components with mongod's codes", () => {
    expect(() => compileSort({ "": 1 })).toThrow(expect.objectContaining({ code: 40352 }));
    expect(() => compileSort({ "a.": 1 })).toThrow(expect.objectContaining({ code: 40353 }));
    expect(() => compileSort({ "a..b": 1 })).toThrow(expect.objectContaining({ code: 15998 }));
  });
});
