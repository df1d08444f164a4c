import { Decimal128, Double, Int32, Long, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { matchExactly, matchResult } from "./match.js";
import { parseUnifiedTestFile } from "./unified-format.js";

const matches = (expected: unknown, actual: unknown) => matchResult(expected, actual) === undefined;

describe("documents", () => {
  it("allows extra fields in the root document only", () => {
    expect(matches({ a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(matches({ a: { b: 1 } }, { a: { b: 1 } })).toBe(true);
    expect(matchResult({ a: { b: 1 } }, { a: { b: 1, c: 2 } })).toMatch(/\.a: unexpected field\(s\) c/);
  });

  it("treats each document of a root-level array as a root document", () => {
    expect(matches([{ _id: 1 }], [{ _id: 1, x: 11 }])).toBe(true);
    expect(matches({ list: [{ _id: 1 }] }, { list: [{ _id: 1, x: 11 }] })).toBe(false);
  });

  it("allows no extra fields anywhere in an exact (outcome) match", () => {
    expect(matchExactly([{ _id: 1 }], [{ _id: 1, x: 11 }])).toMatch(/\[0\]: unexpected field\(s\) x/);
    expect(matchExactly([{ _id: 1, x: 11 }], [{ x: 11, _id: 1 }])).toBeUndefined();
  });

  it("requires every expected field, with its value", () => {
    expect(matchResult({ a: 1, b: 2 }, { a: 1 })).toMatch(/\.b: missing/);
    expect(matchResult({ a: 1 }, { a: 2 })).toMatch(/\.a: expected 1, got 2/);
    expect(matches({ a: null }, { a: null })).toBe(true);
    expect(matches({ a: null }, {})).toBe(false);
  });

  it("reads fields a driver result exposes through getters", () => {
    const error = Object.create({ get insertedCount() { return 2; } }) as object;
    expect(matches({ insertedCount: 2 }, error)).toBe(true);
    expect(matches({ insertedCount: 3 }, error)).toBe(false);
  });

  it("does not take a document for an array or a scalar", () => {
    expect(matches({ a: 1 }, [1])).toBe(false);
    expect(matches({ a: 1 }, "a")).toBe(false);
    expect(matches({}, null)).toBe(false);
  });
});

describe("arrays", () => {
  it("need the same length and order", () => {
    expect(matches([1, 2], [1, 2])).toBe(true);
    expect(matchResult([1, 2], [1, 2, 3])).toMatch(/array of 2 elements, got 3/);
    expect(matches([1, 2], [2, 1])).toBe(false);
    expect(matches([1], { 0: 1 })).toBe(false);
  });
});

describe("scalars", () => {
  it("compares int, long and double by value", () => {
    expect(matches(1, new Int32(1))).toBe(true);
    expect(matches(1, Long.fromNumber(1))).toBe(true);
    expect(matches(new Double(1), 1)).toBe(true);
    expect(matches(Long.fromString("9007199254740993"), Long.fromString("9007199254740993"))).toBe(true);
    expect(matches(Long.fromString("9007199254740993"), Long.fromString("9007199254740992"))).toBe(false);
    expect(matches(1.5, 1)).toBe(false);
    expect(matches(Number.NaN, Number.NaN)).toBe(true);
  });

  it("keeps numbers, strings and booleans apart", () => {
    expect(matches(1, "1")).toBe(false);
    expect(matches(1, true)).toBe(false);
    expect(matches("a", "a")).toBe(true);
    expect(matches(null, undefined)).toBe(false);
  });

  it("compares Decimal128 only with Decimal128", () => {
    expect(matches(Decimal128.fromString("1.5"), Decimal128.fromString("1.5"))).toBe(true);
    expect(matches(Decimal128.fromString("1.5"), 1.5)).toBe(false);
  });

  it("compares ObjectIds and dates by value", () => {
    const id = new ObjectId();
    expect(matches(new ObjectId(id.toHexString()), id)).toBe(true);
    expect(matches(new ObjectId(), id)).toBe(false);
    expect(matches(id.toHexString(), id)).toBe(false);
    expect(matches(new Date(5), new Date(5))).toBe(true);
    expect(matches(new Date(5), new Date(6))).toBe(false);
  });
});

describe("$$exists", () => {
  it("checks whether a field is present", () => {
    expect(matches({ a: { $$exists: true } }, { a: 0 })).toBe(true);
    expect(matches({ a: { $$exists: true } }, {})).toBe(false);
    expect(matches({ a: { $$exists: false } }, {})).toBe(true);
    expect(matches({ a: { $$exists: false } }, { a: 1 })).toBe(false);
  });
});

describe("$$unsetOrMatches", () => {
  it("accepts an unset value or a matching one", () => {
    expect(matches({ a: { $$unsetOrMatches: 1 } }, {})).toBe(true);
    expect(matches({ a: { $$unsetOrMatches: 1 } }, { a: 1 })).toBe(true);
    expect(matches({ a: { $$unsetOrMatches: 1 } }, { a: 2 })).toBe(false);
  });

  it("works at the root, keeping root-level leniency inside", () => {
    const expected = { $$unsetOrMatches: { insertedId: { $$unsetOrMatches: 1 } } };
    expect(matches(expected, undefined)).toBe(true);
    expect(matches(expected, { acknowledged: true, insertedId: 1 })).toBe(true);
    expect(matches(expected, { acknowledged: true })).toBe(true);
    expect(matches(expected, { acknowledged: true, insertedId: 2 })).toBe(false);
  });

  it("matches the driver's insertMany and bulkWrite id maps", () => {
    expect(matches({ insertedIds: { $$unsetOrMatches: { 0: 2, 1: 3 } } }, { insertedIds: { 0: 2, 1: 3 } })).toBe(true);
    expect(matches({ upsertedIds: {} }, { upsertedIds: { 2: 3 } })).toBe(false);
  });
});

describe("$$type", () => {
  it("accepts any of the listed aliases", () => {
    expect(matches({ $$type: ["int", "long"] }, 5)).toBe(true);
    expect(matches({ $$type: "long" }, Long.fromNumber(5))).toBe(true);
    expect(matches({ $$type: "int" }, new Int32(5))).toBe(true);
    expect(matches({ $$type: ["int", "long"] }, 5.5)).toBe(false);
    expect(matches({ $$type: "double" }, 5.5)).toBe(true);
    expect(matches({ $$type: "double" }, "5.5")).toBe(false);
  });

  it("knows strings, objects, arrays, ObjectIds, dates and null", () => {
    expect(matches({ $$type: "string" }, "x")).toBe(true);
    expect(matches({ $$type: "object" }, { a: 1 })).toBe(true);
    expect(matches({ $$type: "object" }, [1])).toBe(false);
    expect(matches({ $$type: "array" }, [1])).toBe(true);
    expect(matches({ $$type: "objectId" }, new ObjectId())).toBe(true);
    expect(matches({ $$type: "date" }, new Date())).toBe(true);
    expect(matches({ $$type: "null" }, null)).toBe(true);
    expect(matches({ $$type: "bool" }, 0)).toBe(false);
  });

  it("rejects an unknown alias loudly", () => {
    expect(() => matchResult({ $$type: "number" }, 1)).toThrow(/unknown \$\$type alias/);
  });
});

describe("$$matchesEntity and $$sessionLsid", () => {
  const id = new ObjectId();
  const entities = new Map<string, unknown>([
    ["savedId", id],
    ["session0", { id: { id: "lsid-bytes" } }],
  ]);
  const lookup = (name: string) => entities.get(name);

  it("compares with a saved entity", () => {
    expect(matchResult({ _id: { $$matchesEntity: "savedId" } }, { _id: id }, lookup)).toBeUndefined();
    expect(matchResult({ _id: { $$matchesEntity: "savedId" } }, { _id: new ObjectId() }, lookup)).toBeDefined();
    expect(() => matchResult({ $$matchesEntity: "missing" }, 1, lookup)).toThrow(/no entity named missing/);
  });

  it("compares with a session's logical session id", () => {
    expect(matchResult({ lsid: { $$sessionLsid: "session0" } }, { lsid: { id: "lsid-bytes" } }, lookup)).toBeUndefined();
    expect(matchResult({ lsid: { $$sessionLsid: "session0" } }, { lsid: { id: "other" } }, lookup)).toBeDefined();
  });
});

describe("other operators", () => {
  it("$$lte bounds a number", () => {
    expect(matches({ $$lte: 5 }, 5)).toBe(true);
    expect(matches({ $$lte: 5 }, 6)).toBe(false);
  });

  it("$$matchAsDocument parses Extended JSON and matches it exactly", () => {
    expect(matches({ $$matchAsDocument: { a: 1 } }, '{"a": 1}')).toBe(true);
    expect(matches({ $$matchAsDocument: { a: 1 } }, '{"a": 1, "b": 2}')).toBe(false);
  });

  it("$$matchAsRoot allows extra fields in a nested document", () => {
    expect(matches({ a: { $$matchAsRoot: { b: 1 } } }, { a: { b: 1, c: 2 } })).toBe(true);
  });

  it("rejects an unknown operator loudly", () => {
    expect(() => matchResult({ $$unknown: 1 }, 1)).toThrow(/unsupported special operator/);
  });
});

describe("driver result objects", () => {
  it("match the spec's bulkWrite result shape", () => {
    // The fields of the driver's BulkWriteResult, which it does not let us construct.
    const result = {
      insertedCount: 0,
      matchedCount: 1,
      modifiedCount: 1,
      deletedCount: 0,
      upsertedCount: 1,
      upsertedIds: { 2: 3 },
      insertedIds: {},
    };
    const expected = {
      deletedCount: 0,
      insertedCount: 0,
      insertedIds: { $$unsetOrMatches: {} },
      matchedCount: 1,
      modifiedCount: 1,
      upsertedCount: 1,
      upsertedIds: { 2: 3 },
    };
    expect(matchResult(expected, result)).toBeUndefined();
    expect(matchResult({ ...expected, upsertedIds: {} }, result)).toMatch(/\.upsertedIds: unexpected field\(s\) 2/);
  });
});

describe("parsing test files", () => {
  it("reads Extended JSON into BSON values the matcher compares", () => {
    const file = parseUnifiedTestFile(
      '{"description": "d", "schemaVersion": "1.0", "tests": [{"description": "t", "operations": [], "outcome": [{"collectionName": "c", "databaseName": "d", "documents": [{"_id": {"$oid": "000000000000000000000001"}, "n": {"$numberLong": "5"}}]}]}]}',
      "inline",
    );
    const expected = file.tests[0].outcome?.[0].documents;
    expect(matchExactly(expected, [{ _id: new ObjectId("000000000000000000000001"), n: 5 }])).toBeUndefined();
  });

  it("refuses a file that is not in the format", () => {
    expect(() => parseUnifiedTestFile('{"tests": []}', "inline")).toThrow(/not a unified test file/);
  });
});
