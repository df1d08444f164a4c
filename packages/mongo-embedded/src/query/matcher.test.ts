import { BSON, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId } from "bson";
import { describe, expect, it, vi } from "vitest";
import { DESERIALIZE_OPTIONS } from "../bson-values.js";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";

// The geo predicates belong to another module; here they only need to show they are called right.
vi.mock("../geo/predicates.js", () => ({
  geoWithin: (value: { coordinates?: number[] }, operand: { $box?: number[][] }) => {
    const [x, y] = value.coordinates ?? (value as unknown as number[]);
    const [[x1, y1], [x2, y2]] = operand.$box ?? [[0, 0], [0, 0]];
    return typeof x === "number" && x >= x1 && x <= x2 && y >= y1 && y <= y2;
  },
  geoIntersects: (value: { type?: string }) => value.type === "Polygon",
  nearDistance: (value: { coordinates?: number[] }, operand: { $geometry?: { coordinates: number[] } } | number[], _spherical: boolean, options: { maxDistance?: number } = {}) => {
    const point = value.coordinates ?? (Array.isArray(value) ? (value as number[]) : undefined);
    if (!point || typeof point[0] !== "number") return null;
    const origin = Array.isArray(operand) ? operand : operand.$geometry!.coordinates;
    const distance = Math.hypot(point[0] - origin[0], point[1] - origin[1]);
    return options.maxDistance !== undefined && distance > options.maxDistance ? null : distance;
  },
}));

const { compileFilter, fieldConstraints, findNearQuery, matchArrayPosition } = await import("./matcher.js");

/** Round-trips through BSON as the server does, so numbers become Int32/Double and regexes BSONRegExp. */
function bson(value: Doc): Doc {
  return BSON.deserialize(BSON.serialize(value), DESERIALIZE_OPTIONS);
}

function matches(filter: Doc, doc: Doc, variables?: Doc): boolean {
  return compileFilter(bson(filter), { variables })(bson(doc));
}

/** The _ids of the documents that match, to check one filter against many shapes at once. */
function matchingIds(filter: Doc, docs: Doc[]): unknown[] {
  const matcher = compileFilter(bson(filter));
  return docs.map(bson).filter(matcher).map((doc) => doc._id);
}

function errorOf(filter: Doc): MongoCommandError {
  try {
    compileFilter(bson(filter));
  } catch (error) {
    expect(error).toBeInstanceOf(MongoCommandError);
    return error as MongoCommandError;
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be rejected`);
}

describe("equality", () => {
  it("matches implicit and explicit $eq, including across numeric types", () => {
    expect(matches({ a: 1 }, { a: 1 })).toBe(true);
    expect(matches({ a: 1 }, { a: 1.0 })).toBe(true);
    expect(matches({ a: new Int32(5) }, { a: Long.fromNumber(5) })).toBe(true);
    expect(matches({ a: new Double(5) }, { a: Decimal128.fromString("5.0") })).toBe(true);
    expect(matches({ a: { $eq: "x" } }, { a: "x" })).toBe(true);
    expect(matches({ a: 1 }, { a: "1" })).toBe(false);
    expect(matches({ a: 1 }, { b: 1 })).toBe(false);
  });

  it("matches array elements and whole arrays", () => {
    expect(matches({ a: 2 }, { a: [1, 2, 3] })).toBe(true);
    expect(matches({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(matches({ a: [1, 2] }, { a: [[1, 2], 3] })).toBe(true);
    expect(matches({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(matches({ a: 1 }, { a: [[1]] })).toBe(false);
  });

  it("matches subdocuments exactly, field order included", () => {
    expect(matches({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 2 } })).toBe(true);
    expect(matches({ a: { b: 1, c: 2 } }, { a: { c: 2, b: 1 } })).toBe(false);
  });

  it("walks dotted paths through documents and arrays of documents", () => {
    expect(matches({ "a.b.c": 1 }, { a: { b: { c: 1 } } })).toBe(true);
    expect(matches({ "a.b": 1 }, { a: [{ b: 2 }, { b: 1 }] })).toBe(true);
    expect(matches({ "a.b": 1 }, { a: [{ b: [0, 1] }] })).toBe(true);
    expect(matches({ "a.b": 1 }, { a: [[{ b: 1 }]] })).toBe(false);
    expect(matches({ "a.b.c": 3 }, { a: [{ b: [{ c: 1 }, { c: 3 }] }] })).toBe(true);
  });

  it("uses numeric path components as array indexes and as field names", () => {
    expect(matches({ "a.1": 5 }, { a: [4, 5] })).toBe(true);
    expect(matches({ "a.0": 5 }, { a: [4, 5] })).toBe(false);
    expect(matches({ "a.0.b": 1 }, { a: [{ b: 1 }] })).toBe(true);
    expect(matches({ "a.0.b": 1 }, { a: [{ b: 2 }, { b: 1 }] })).toBe(false);
    expect(matches({ "a.0": 1 }, { a: [{ "0": 1 }] })).toBe(true);
    expect(matches({ "a.0": 1 }, { a: { "0": 1 } })).toBe(true);
  });

  it("treats null as null or missing, following mongod's path rules", () => {
    const docs: Doc[] = [
      { _id: "empty_subobject", a: {} },
      { _id: "null", a: null },
      { _id: "number", a: 4 },
      { _id: "b_hi", a: { b: "hi" } },
      { _id: "b_null", a: { b: null } },
      { _id: "no_a" },
      { _id: "empty_array", a: [] },
      { _id: "objects_some_missing", a: [{ b: 3 }, {}] },
      { _id: "objects_no_null", a: [{ b: 1 }, { b: 3 }] },
      { _id: "values_with_null", a: [1, null] },
      { _id: "values", a: [1, 2] },
    ];
    expect(matchingIds({ a: null }, docs)).toEqual(["null", "no_a", "values_with_null"]);
    expect(matchingIds({ "a.b": null }, docs)).toEqual(["empty_subobject", "null", "number", "b_null", "no_a", "objects_some_missing"]);
    expect(matchingIds({ "a.b": { $ne: null } }, docs)).toEqual(["b_hi", "empty_array", "objects_no_null", "values_with_null", "values"]);
    expect(matchingIds({ a: { $in: [null, 4] } }, docs)).toEqual(["null", "number", "no_a", "values_with_null"]);
    expect(matchingIds({ a: { $exists: false } }, docs)).toEqual(["no_a"]);
    expect(matchingIds({ "a.b": { $exists: true } }, docs)).toEqual(["b_hi", "b_null", "objects_some_missing", "objects_no_null"]);
    expect(matchingIds({ a: { $gte: null } }, docs)).toEqual(["null", "no_a", "values_with_null"]);
  });

  it("matches ObjectIds, dates and booleans", () => {
    const id = new ObjectId();
    expect(matches({ _id: id }, { _id: new ObjectId(id.toHexString()) })).toBe(true);
    expect(matches({ _id: id }, { _id: new ObjectId() })).toBe(false);
    expect(matches({ at: new Date(5) }, { at: new Date(5) })).toBe(true);
    expect(matches({ ok: true }, { ok: true })).toBe(true);
    expect(matches({ ok: true }, { ok: 1 })).toBe(false);
  });

  it("does not read Object.prototype properties as fields", () => {
    expect(matches({ constructor: { $exists: true } }, { a: 1 })).toBe(false);
    expect(matches({ "a.toString": { $exists: true } }, { a: { b: 1 } })).toBe(false);
  });
});

describe("comparison", () => {
  it("compares within a type bracket only", () => {
    expect(matches({ a: { $gt: 5 } }, { a: 6 })).toBe(true);
    expect(matches({ a: { $gt: 5 } }, { a: "6" })).toBe(false);
    expect(matches({ a: { $lt: "b" } }, { a: "a" })).toBe(true);
    expect(matches({ a: { $lt: "b" } }, { a: 1 })).toBe(false);
    expect(matches({ a: { $gt: 5 } }, { b: 6 })).toBe(false);
    expect(matches({ a: { $gte: new Date(10) } }, { a: new Date(10) })).toBe(true);
  });

  it("compares Int32, Double, Long and Decimal128 as numbers", () => {
    expect(matches({ a: { $gt: new Int32(5) } }, { a: Long.fromString("9007199254740993") })).toBe(true);
    expect(matches({ a: { $gt: Long.fromString("9007199254740992") } }, { a: Long.fromString("9007199254740993") })).toBe(true);
    expect(matches({ a: { $lte: Decimal128.fromString("2.5") } }, { a: 2.5 })).toBe(true);
    expect(matches({ a: { $lt: 3 } }, { a: Decimal128.fromString("2.9") })).toBe(true);
    expect(matches({ a: { $gt: 1, $lt: 3 } }, { a: new Int32(2) })).toBe(true);
  });

  it("evaluates each operator over the array independently", () => {
    expect(matches({ a: { $gt: 1, $lt: 3 } }, { a: [0, 5] })).toBe(true);
    expect(matches({ a: { $elemMatch: { $gt: 1, $lt: 3 } } }, { a: [0, 5] })).toBe(false);
  });

  it("treats NaN as equal to NaN only", () => {
    expect(matches({ a: { $gt: 0 } }, { a: Number.NaN })).toBe(false);
    expect(matches({ a: { $lt: 0 } }, { a: Number.NaN })).toBe(false);
    expect(matches({ a: Number.NaN }, { a: Number.NaN })).toBe(true);
    expect(matches({ a: { $gte: Number.NaN } }, { a: Number.NaN })).toBe(true);
    expect(matches({ a: { $gt: Number.NaN } }, { a: 1 })).toBe(false);
  });

  it("puts every value above MinKey and below MaxKey", () => {
    expect(matches({ a: { $gt: new MinKey() } }, { a: "x" })).toBe(true);
    expect(matches({ a: { $lt: new MaxKey() } }, { a: 1 })).toBe(true);
    expect(matches({ a: { $gt: new MaxKey() } }, { a: 1 })).toBe(false);
  });

  it("supports $ne, $in and $nin", () => {
    expect(matches({ a: { $ne: 1 } }, { a: 2 })).toBe(true);
    expect(matches({ a: { $ne: 1 } }, { a: [1, 2] })).toBe(false);
    expect(matches({ a: { $ne: 1 } }, {})).toBe(true);
    expect(matches({ a: { $in: [1, "x"] } }, { a: "x" })).toBe(true);
    expect(matches({ a: { $in: [1, /^y/] } }, { a: "yes" })).toBe(true);
    expect(matches({ a: { $in: [] } }, { a: 1 })).toBe(false);
    expect(matches({ a: { $nin: [1, 2] } }, { a: 3 })).toBe(true);
    expect(matches({ a: { $nin: [1, 2] } }, { a: [3, 2] })).toBe(false);
    expect(matches({ a: { $in: ["p", "q"] } }, { a: ["z", "q"] })).toBe(true);
  });

  it("looks up long $in lists by value", () => {
    const values = Array.from({ length: 50 }, (_, i) => i);
    expect(matches({ a: { $in: values } }, { a: Long.fromNumber(42) })).toBe(true);
    expect(matches({ a: { $in: values } }, { a: 42.5 })).toBe(false);
    expect(matches({ a: { $in: [...values, null] } }, {})).toBe(true);
  });
});

describe("element operators", () => {
  it("supports $exists", () => {
    expect(matches({ a: { $exists: true } }, { a: null })).toBe(true);
    expect(matches({ a: { $exists: 1 } }, { a: 0 })).toBe(true);
    expect(matches({ a: { $exists: false } }, { a: 0 })).toBe(false);
    expect(matches({ a: { $exists: 0 } }, { b: 0 })).toBe(true);
  });

  it("supports $type by name, number, list and 'number', telling int from double", () => {
    expect(matches({ a: { $type: "int" } }, { a: new Int32(1) })).toBe(true);
    expect(matches({ a: { $type: "double" } }, { a: new Int32(1) })).toBe(false);
    expect(matches({ a: { $type: "double" } }, { a: new Double(1) })).toBe(true);
    expect(matches({ a: { $type: 18 } }, { a: Long.fromNumber(1) })).toBe(true);
    expect(matches({ a: { $type: "number" } }, { a: Decimal128.fromString("1") })).toBe(true);
    expect(matches({ a: { $type: ["string", "bool"] } }, { a: false })).toBe(true);
    expect(matches({ a: { $type: "array" } }, { a: [] })).toBe(true);
    expect(matches({ a: { $type: "string" } }, { a: [1, "x"] })).toBe(true);
    expect(matches({ a: { $type: "null" } }, {})).toBe(false);
    expect(matches({ a: { $type: "regex" } }, { a: /x/ })).toBe(true);
    expect(errorOf({ a: { $type: "nope" } }).message).toBe("Unknown type name alias: nope");
    expect(errorOf({ a: { $type: 100 } }).message).toBe("Invalid numerical type code: 100");
  });
});

describe("regular expressions", () => {
  it("matches BSON regex values, $regex and $options", () => {
    expect(matches({ a: /^ab/i }, { a: "ABc" })).toBe(true);
    expect(matches({ a: { $regex: "^ab", $options: "i" } }, { a: "ABc" })).toBe(true);
    expect(matches({ a: { $regex: /^ab/, $options: "i" } }, { a: "ABc" })).toBe(true);
    expect(matches({ a: { $regex: "b" } }, { a: ["x", "abc"] })).toBe(true);
    expect(matches({ a: { $regex: "1" } }, { a: 1 })).toBe(false);
    expect(matches({ a: new BSONRegExp("a  b # comment", "x") }, { a: "ab" })).toBe(true);
    expect(matches({ a: { $regex: "^a.c$", $options: "s" } }, { a: "a\nc" })).toBe(true);
    expect(matches({ a: { $regex: "(?i)^ab" } }, { a: "AB" })).toBe(true);
  });

  it("matches a stored regex equal to the query's", () => {
    expect(matches({ a: /x/ }, { a: /x/ })).toBe(true);
    expect(matches({ a: /x/ }, { a: /y/ })).toBe(false);
  });

  it("rejects malformed regexes", () => {
    expect(errorOf({ a: { $options: "i" } }).message).toBe("$options needs a $regex");
    expect(errorOf({ a: { $regex: 5 } }).message).toBe("$regex has to be a string");
    expect(errorOf({ a: { $regex: /x/i, $options: "m" } }).message).toBe("options set in both $regex and $options");
    expect(errorOf({ a: { $regex: "(" } }).code).toBe(51091);
    expect(errorOf({ a: { $regex: "x", $options: "z" } }).code).toBe(51108);
  });

  it("supports $not with a regex or an operator document", () => {
    expect(matches({ a: { $not: /^x/ } }, { a: "yes" })).toBe(true);
    expect(matches({ a: { $not: /^x/ } }, { a: "xyz" })).toBe(false);
    expect(matches({ a: { $not: { $gt: 5 } } }, { a: 3 })).toBe(true);
    expect(matches({ a: { $not: { $gt: 5 } } }, {})).toBe(true);
    expect(matches({ a: { $not: { $gt: 5, $lt: 10 } } }, { a: 7 })).toBe(false);
    expect(errorOf({ a: { $not: 5 } }).message).toBe("$not needs a regex or a document");
    expect(errorOf({ a: { $not: {} } }).message).toBe("$not cannot be empty");
  });
});

describe("array operators", () => {
  it("supports $size", () => {
    expect(matches({ a: { $size: 2 } }, { a: [1, 2] })).toBe(true);
    expect(matches({ a: { $size: 1 } }, { a: [[1, 2]] })).toBe(true);
    expect(matches({ a: { $size: 2 } }, { a: [[1, 2]] })).toBe(false);
    expect(matches({ "a.b": { $size: 2 } }, { a: [{ b: [1, 2] }] })).toBe(true);
    expect(errorOf({ a: { $size: 1.5 } }).message).toBe("$size must be a whole number");
    expect(errorOf({ a: { $size: -1 } }).message).toBe("$size may not be negative");
    expect(errorOf({ a: { $size: "1" } }).message).toBe("$size needs a number");
  });

  it("supports $all, with values, regexes and $elemMatch", () => {
    expect(matches({ a: { $all: [1, 2] } }, { a: [2, 3, 1] })).toBe(true);
    expect(matches({ a: { $all: [1, 4] } }, { a: [2, 3, 1] })).toBe(false);
    expect(matches({ a: { $all: [1] } }, { a: 1 })).toBe(true);
    expect(matches({ a: { $all: [] } }, { a: [] })).toBe(false);
    expect(matches({ a: { $all: [[1, 2]] } }, { a: [[1, 2], 3] })).toBe(true);
    expect(matches({ a: { $all: [/^x/, "yes"] } }, { a: ["xa", "yes"] })).toBe(true);
    expect(matches({ a: { $all: [{ $elemMatch: { b: 1 } }, { $elemMatch: { c: 2 } }] } }, { a: [{ b: 1 }, { c: 2 }] })).toBe(true);
    expect(errorOf({ a: { $all: 1 } }).message).toBe("$all needs an array");
    expect(errorOf({ a: { $all: [{ $elemMatch: { b: 1 } }, 1] } }).message).toBe("$all/$elemMatch has to be consistent");
  });

  it("supports $elemMatch on subdocuments and on values", () => {
    expect(matches({ a: { $elemMatch: { b: 1, c: 2 } } }, { a: [{ b: 1 }, { b: 1, c: 2 }] })).toBe(true);
    expect(matches({ a: { $elemMatch: { b: 1, c: 2 } } }, { a: [{ b: 1 }, { c: 2 }] })).toBe(false);
    expect(matches({ a: { $elemMatch: { b: 1 } } }, { a: { b: 1 } })).toBe(false);
    expect(matches({ a: { $elemMatch: { $gte: 2, $lt: 3 } } }, { a: [1, 2.5] })).toBe(true);
    expect(matches({ a: { $elemMatch: { $ne: 1 } } }, { a: [1, 1] })).toBe(false);
    expect(matches({ a: { $elemMatch: { $ne: 1 } } }, { a: [1, 2] })).toBe(true);
    expect(matches({ a: { $elemMatch: { $or: [{ b: 1 }, { c: 1 }] } } }, { a: [{ c: 1 }] })).toBe(true);
    expect(matches({ "a.b": { $elemMatch: { $eq: 2 } } }, { a: [{ b: [1, 2] }] })).toBe(true);
    expect(errorOf({ a: { $elemMatch: 1 } }).message).toBe("$elemMatch needs an Object");
  });
});

describe("logical operators", () => {
  it("supports $and, $or and $nor", () => {
    expect(matches({ $and: [{ a: 1 }, { b: 2 }] }, { a: 1, b: 2 })).toBe(true);
    expect(matches({ $or: [{ a: 1 }, { b: 2 }] }, { b: 2 })).toBe(true);
    expect(matches({ $or: [{ a: 1 }, { b: 2 }] }, { c: 2 })).toBe(false);
    expect(matches({ $nor: [{ a: 1 }, { b: 2 }] }, { c: 2 })).toBe(true);
    expect(matches({ $nor: [{ a: 1 }] }, { a: 1 })).toBe(false);
  });

  it("rejects malformed logical operators and unknown operators", () => {
    expect(errorOf({ $and: [] }).message).toBe("$and/$or/$nor must be a nonempty array");
    expect(errorOf({ $or: [1] }).message).toBe("$or/$and/$nor entries need to be full objects");
    expect(errorOf({ a: { $foo: 1 } }).message).toBe("unknown operator: $foo");
    expect(errorOf({ a: { $foo: 1 } }).code).toBe(2);
    expect(errorOf({ $foo: 1 }).message).toMatch(/^unknown top level operator: \$foo/);
  });

  it("ignores $comment and treats documents without operators as literals", () => {
    expect(matches({ a: 1, $comment: "why" }, { a: 1 })).toBe(true);
    expect(matches({ a: { b: { $gt: 1 } } }, { a: { b: 2 } })).toBe(false);
    expect(matches({}, { a: 1 })).toBe(true);
  });
});

describe("evaluation operators", () => {
  it("supports $mod", () => {
    expect(matches({ a: { $mod: [4, 1] } }, { a: 9 })).toBe(true);
    expect(matches({ a: { $mod: [4, 1] } }, { a: 9.9 })).toBe(true);
    expect(matches({ a: { $mod: [4, 1] } }, { a: Long.fromNumber(10) })).toBe(false);
    expect(matches({ a: { $mod: [4, -1] } }, { a: -5 })).toBe(true);
    expect(errorOf({ a: { $mod: [0, 1] } }).message).toBe("divisor cannot be 0");
    expect(errorOf({ a: { $mod: [1] } }).message).toBe("malformed mod, not enough elements");
    expect(errorOf({ a: { $mod: 1 } }).message).toBe("malformed mod, needs to be an array");
  });

  it("supports $expr with let variables, over any numeric type", () => {
    expect(matches({ $expr: { $gt: ["$a", "$b"] } }, { a: Long.fromNumber(5), b: new Int32(3) })).toBe(true);
    expect(matches({ $expr: { $gt: ["$a", "$b"] } }, { a: 1, b: 3 })).toBe(false);
    expect(matches({ $expr: { $eq: ["$a", "$$target"] } }, { a: 7 }, { target: new Int32(7) })).toBe(true);
    expect(matches({ a: 1, $expr: { $lt: ["$a", 2] } }, { a: 1 })).toBe(true);
  });

  it("rejects unknown expression operators in $expr", () => {
    const error = errorOf({ $expr: { $frobnicate: ["$a", 1] } });
    expect(error.code).toBe(168);
    expect(error.message).toBe("Unrecognized expression '$frobnicate'");
  });

  it("supports the bitwise operators", () => {
    expect(matches({ a: { $bitsAllSet: [0, 2] } }, { a: 5 })).toBe(true);
    expect(matches({ a: { $bitsAllSet: 6 } }, { a: 5 })).toBe(false);
    expect(matches({ a: { $bitsAnySet: 6 } }, { a: 5 })).toBe(true);
    expect(matches({ a: { $bitsAllClear: [1] } }, { a: 5 })).toBe(true);
    expect(matches({ a: { $bitsAnyClear: [0, 2] } }, { a: 5 })).toBe(false);
  });

  it("supports common $jsonSchema keywords", () => {
    const schema = {
      $jsonSchema: {
        bsonType: "object",
        required: ["name"],
        properties: { name: { bsonType: "string", minLength: 2 }, age: { bsonType: "int", minimum: 0 } },
      },
    };
    expect(matches(schema, { name: "Al", age: new Int32(3) })).toBe(true);
    expect(matches(schema, { name: "A" })).toBe(false);
    expect(matches(schema, { age: new Int32(3) })).toBe(false);
    expect(matches(schema, { name: "Al", age: new Double(3.5) })).toBe(false);
    expect(matches(schema, { name: "Al", age: new Int32(-1) })).toBe(false);
  });

  it("rejects $where and $text", () => {
    expect(errorOf({ $where: "true" }).code).toBe(2);
    expect(errorOf({ $text: { $search: "x" } }).code).toBe(27);
  });
});

describe("geo operators", () => {
  const point = (x: number, y: number) => ({ type: "Point", coordinates: [x, y] });

  it("delegates $geoWithin and $geoIntersects to the geo predicates", () => {
    expect(matches({ loc: { $geoWithin: { $box: [[0, 0], [10, 10]] } } }, { loc: point(5, 5) })).toBe(true);
    expect(matches({ loc: { $geoWithin: { $box: [[0, 0], [10, 10]] } } }, { loc: point(15, 5) })).toBe(false);
    expect(matches({ loc: { $geoWithin: { $box: [[0, 0], [10, 10]] } } }, { loc: [5, 5] })).toBe(true);
    expect(matches({ loc: { $geoWithin: { $box: [[0, 0], [10, 10]] } } }, { loc: "nowhere" })).toBe(false);
    expect(matches({ area: { $geoIntersects: { $geometry: point(0, 0) } } }, { area: { type: "Polygon" } })).toBe(true);
  });

  it("matches $near within $maxDistance, for GeoJSON and legacy points", () => {
    const geoJsonNear = { loc: { $near: { $geometry: point(0, 0), $maxDistance: 5 } } };
    expect(matches(geoJsonNear, { loc: point(3, 4) })).toBe(true);
    expect(matches(geoJsonNear, { loc: point(6, 4) })).toBe(false);
    expect(matches(geoJsonNear, {})).toBe(false);
    const legacyNear = { loc: { $near: [0, 0], $maxDistance: 5 } };
    expect(matches(legacyNear, { loc: [3, 4] })).toBe(true);
    expect(matches(legacyNear, { loc: [6, 4] })).toBe(false);
  });

  it("finds the $near query for sorting by distance", () => {
    expect(findNearQuery({ a: 1 })).toBeUndefined();
    const geoJson = findNearQuery(bson({ "place.loc": { $near: { $geometry: point(1, 2), $maxDistance: 10 } } }))!;
    expect(geoJson.spherical).toBe(true);
    expect(geoJson.operand).toEqual({ $geometry: point(1, 2), $maxDistance: 10 });
    expect(geoJson.maxDistance).toBe(10);
    expect(geoJson.values(bson({ place: [{ loc: point(1, 1) }, { loc: point(2, 2) }] }))).toEqual([point(1, 1), point(2, 2)]);

    const legacy = findNearQuery(bson({ $and: [{ loc: { $nearSphere: [1, 2], $maxDistance: 0.1 } }] }))!;
    expect(legacy.spherical).toBe(true);
    expect(legacy.operand).toEqual([1, 2]);
    expect(legacy.maxDistance).toBeCloseTo(0.1);

    const planar = findNearQuery(bson({ loc: { $near: [1, 2] } }))!;
    expect(planar.spherical).toBe(false);
    expect(planar.values(bson({ loc: [3, 4] })).length).toBe(3);
  });

  it("rejects $near below $or", () => {
    expect(errorOf({ $or: [{ loc: { $near: [0, 0] } }, { a: 1 }] }).code).toBe(2);
  });
});

describe("matchArrayPosition", () => {
  it("reports the matched element of the first array along the path", () => {
    const position = (filter: Doc, doc: Doc) => matchArrayPosition(compileFilter(bson(filter)), bson(doc)).position;
    expect(position({ a: 5 }, { a: [4, 5, 6] })).toBe(1);
    expect(position({ "a.b": 2 }, { a: [{ b: 1 }, { b: 2 }] })).toBe(1);
    expect(position({ a: { $elemMatch: { b: 1, c: 1 } } }, { a: [{ b: 1 }, { b: 1, c: 1 }] })).toBe(2 - 1);
    expect(position({ "a.b.c": 1 }, { a: [{ b: [{ c: 0 }] }, { b: [{ c: 0 }, { c: 1 }] }] })).toBe(1);
    expect(position({ a: 5 }, { a: 5 })).toBeUndefined();
    expect(matchArrayPosition(compileFilter({ a: 1 }), { a: [2] })).toEqual({ matched: false, position: undefined });
  });
});

describe("fieldConstraints", () => {
  it("reports top-level equality and range constraints", () => {
    const constraints = fieldConstraints({
      status: "open",
      n: { $gt: 1, $lte: 9 },
      $and: [{ n: { $gt: 3 } }, { kind: { $in: ["a", "b"] } }, { kind: { $eq: "a" } }],
      $or: [{ ignored: 1 }],
      name: /^x/,
    });
    expect(constraints.get("status")).toEqual({ eq: ["open"] });
    expect(constraints.get("n")).toEqual({ gt: 3, lte: 9 });
    expect(constraints.get("kind")).toEqual({ eq: ["a"] });
    expect(constraints.has("ignored")).toBe(false);
    expect(constraints.has("name")).toBe(false);
  });
});

describe("performance", () => {
  it("matches 100,000 documents quickly", () => {
    const docs = Array.from({ length: 100_000 }, (_, i) =>
      bson({ _id: i, status: i % 3 === 0 ? "open" : "closed", priority: i % 5, tags: ["a", "b"], address: { district: `d${i % 20}` } }),
    );
    const matcher = compileFilter(bson({ status: "open", priority: { $gte: 2 }, "address.district": { $in: ["d1", "d2", "d3"] } }));
    const start = performance.now();
    let count = 0;
    for (const doc of docs) if (matcher(doc)) count++;
    const elapsed = performance.now() - start;
    expect(count).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(500);
  });
});
