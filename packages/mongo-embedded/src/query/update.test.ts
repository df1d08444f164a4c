import { describe, expect, it } from "vitest";
import { Decimal128, Double, Int32, Long, ObjectId, Timestamp } from "bson";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { applyUpdate, isReplacement, upsertSeed, type UpdateOptions, type UpdateSpec } from "./update.js";

const int = (value: number) => new Int32(value);
const double = (value: number) => new Double(value);
const long = (value: bigint | number) => (typeof value === "bigint" ? Long.fromBigInt(value) : Long.fromNumber(value));
const decimal = (value: string) => Decimal128.fromString(value);

function update(doc: Doc, spec: UpdateSpec, options?: UpdateOptions): Doc {
  return applyUpdate(doc, spec, options).doc;
}

/** The error an update throws, for asserting on its code and message. */
function updateError(doc: Doc, spec: UpdateSpec, options?: UpdateOptions): MongoCommandError {
  try {
    applyUpdate(doc, spec, options);
  } catch (error) {
    if (error instanceof MongoCommandError) return error;
    throw error;
  }
  throw new Error("expected the update to fail");
}

/** A value with its BSON type made visible, so that assertions check types and not just numbers. */
function typed(value: unknown): unknown {
  if (value instanceof Int32) return { int: value.value };
  if (value instanceof Double) return { double: value.value };
  if (value instanceof Long) return { long: value.toString() };
  if (value instanceof Decimal128) return { decimal: value.toString() };
  if (typeof value === "number") return { number: value };
  if (Array.isArray(value)) return value.map(typed);
  if (value && typeof value === "object" && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, typed(element)]));
  }
  return value;
}

/** Deeply frozen input: any mutation by applyUpdate throws in strict mode. */
function frozen<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(frozen);
  else if (value && typeof value === "object" && value.constructor === Object) Object.values(value).forEach(frozen);
  return Object.freeze(value);
}

describe("$set and $unset", () => {
  it("sets a top-level field, appending new fields and keeping existing positions", () => {
    const result = update({ _id: int(1), a: int(1), b: int(2) }, { $set: { a: int(5), c: int(3) } });
    expect(Object.keys(result)).toEqual(["_id", "a", "b", "c"]);
    expect(typed(result)).toEqual({ _id: { int: 1 }, a: { int: 5 }, b: { int: 2 }, c: { int: 3 } });
  });

  it("adds the new fields of one update in lexicographic order", () => {
    const result = update({ _id: 1 }, { $set: { z: 1, b: 2 }, $inc: { m: int(1) }, $setOnInsert: { a: 0 } });
    expect(Object.keys(result)).toEqual(["_id", "b", "m", "z"]);
  });

  it("creates intermediate documents for dotted paths, sorted within each level", () => {
    const result = update({ _id: 1 }, { $set: { "x.z": 1, "x.y.w": 2, a: 3 } });
    expect(result).toEqual({ _id: 1, a: 3, x: { y: { w: 2 }, z: 1 } });
    expect(Object.keys(result.x as Doc)).toEqual(["y", "z"]);
  });

  it("sets array elements by index, padding with null", () => {
    expect(update({ _id: 1, a: [1, 2] }, { $set: { "a.1": 9, "a.4": 5 } })).toEqual({ _id: 1, a: [1, 9, null, null, 5] });
    expect(update({ _id: 1, a: [{ b: 1 }] }, { $set: { "a.0.c": 2, "a.2.b": 3 } })).toEqual({
      _id: 1,
      a: [{ b: 1, c: 2 }, null, { b: 3 }],
    });
  });

  it("treats a numeric part as a field name in a document", () => {
    expect(update({ _id: 1 }, { $set: { "a.0": 1 } })).toEqual({ _id: 1, a: { "0": 1 } });
  });

  it("refuses to create a field inside a scalar or a non-numeric field of an array", () => {
    const scalar = updateError({ _id: 1, a: int(5) }, { $set: { "a.b": 1 } });
    expect(scalar.code).toBe(28);
    expect(scalar.codeName).toBe("PathNotViable");
    expect(scalar.message).toBe("Cannot create field 'b' in element {a: 5}");
    expect(updateError({ _id: 1, a: null }, { $set: { "a.b.c": 1 } }).message).toBe("Cannot create field 'b' in element {a: null}");
    expect(updateError({ _id: 1, a: [int(1), 2.5] }, { $set: { "a.b": 1 } }).message).toBe(
      "Cannot create field 'b' in element {a: [ 1, 2.5 ]}",
    );
  });

  it("is not a modification when the value is already there with the same type", () => {
    const doc = { _id: 1, a: int(1), b: { c: [1, 2] } };
    expect(applyUpdate(doc, { $set: { a: int(1), b: { c: [1, 2] } } }).modified).toBe(false);
    // A different BSON type is a different value on disk.
    const changedType = applyUpdate(doc, { $set: { a: double(1) } });
    expect(changedType.modified).toBe(true);
    expect(typed(changedType.doc.a)).toEqual({ double: 1 });
  });

  it("accepts dollar-prefixed field names nested in values", () => {
    expect(update({ _id: 1 }, { $set: { a: { $b: 1 } } })).toEqual({ _id: 1, a: { $b: 1 } });
  });

  it("rejects dollar-prefixed and empty path components", () => {
    expect(updateError({ _id: 1 }, { $set: { "a.$bad": 1 } }).code).toBe(52);
    expect(updateError({ _id: 1 }, { $set: { $bad: 1 } }).code).toBe(52);
    expect(updateError({ _id: 1 }, { $set: { "a..b": 1 } }).code).toBe(56);
    expect(updateError({ _id: 1 }, { $set: { "": 1 } }).code).toBe(56);
  });

  it("unsets fields, and nulls array elements instead of removing them", () => {
    expect(update({ _id: 1, a: 1, b: { c: 1, d: 2 } }, { $unset: { a: "", "b.c": 1 } })).toEqual({ _id: 1, b: { d: 2 } });
    expect(update({ _id: 1, a: [1, 2, 3] }, { $unset: { "a.1": 1 } })).toEqual({ _id: 1, a: [1, null, 3] });
  });

  it("does nothing when unsetting a missing or unreachable field", () => {
    const doc = { _id: 1, a: 5, arr: [1] };
    const result = applyUpdate(doc, { $unset: { x: 1, "a.b": 1, "arr.5": 1, "arr.x": 1 } });
    expect(result).toEqual({ doc, modified: false });
  });

  it("never mutates the input document", () => {
    const doc = frozen({ _id: 1, a: { b: [1, { c: 2 }] }, d: [1, 2], e: { f: 1 } });
    const result = update(doc, {
      $set: { "a.b.1.c": 3, "a.x": 1 },
      $push: { d: 3 },
      $unset: { "e.f": 1 },
    });
    expect(result).toEqual({ _id: 1, a: { b: [1, { c: 3 }], x: 1 }, d: [1, 2, 3], e: {} });
    expect(doc).toEqual({ _id: 1, a: { b: [1, { c: 2 }] }, d: [1, 2], e: { f: 1 } });
  });

  it("does not share the update's values with the stored document", () => {
    const value = { nested: [1] };
    const result = update({ _id: 1 }, { $set: { a: value } });
    expect(result.a).toEqual(value);
    expect(result.a).not.toBe(value);
  });
});

describe("$inc and $mul keep MongoDB's numeric types", () => {
  const incremented = (current: unknown, by: unknown) => typed(update({ _id: 1, x: current }, { $inc: { x: by } }).x);

  it("adds Int32 to Int32 as Int32", () => {
    expect(incremented(int(11), int(1))).toEqual({ int: 12 });
  });

  it("promotes an Int32 overflow to Long", () => {
    expect(incremented(int(2147483647), int(1))).toEqual({ long: "2147483648" });
    expect(incremented(int(-2147483648), int(-1))).toEqual({ long: "-2147483649" });
  });

  it("gives Double when a double is involved (plain JS numbers count as double)", () => {
    expect(incremented(int(1), double(0.5))).toEqual({ double: 1.5 });
    expect(incremented(double(1.5), int(1))).toEqual({ double: 2.5 });
    expect(incremented(1, int(1))).toEqual({ double: 2 });
    expect(incremented(long(5), double(1))).toEqual({ double: 6 });
  });

  it("adds exactly on Longs, also beyond 2^53", () => {
    expect(incremented(long(9007199254740993n), int(1))).toEqual({ long: "9007199254740994" });
    expect(incremented(int(1), long(2))).toEqual({ long: "3" });
  });

  it("reports a Long overflow instead of wrapping", () => {
    const error = updateError({ _id: 1, x: long(9223372036854775807n) }, { $inc: { x: int(1) } });
    expect(error.code).toBe(2);
    expect(error.message).toMatch(/^Failed to apply \$inc operations to current value/);
  });

  it("computes with Decimal128 exactly when a decimal is involved", () => {
    expect(incremented(decimal("0.1"), decimal("0.2"))).toEqual({ decimal: "0.3" });
    expect(incremented(int(1), decimal("1.5"))).toEqual({ decimal: "2.5" });
    expect(incremented(decimal("1"), long(9007199254740993n))).toEqual({ decimal: "9007199254740994" });
    expect(typed(update({ _id: 1, x: decimal("1.5") }, { $mul: { x: int(3) } }).x)).toEqual({ decimal: "4.5" });
  });

  it("creates a missing field with the increment", () => {
    expect(typed(update({ _id: 1 }, { $inc: { "a.b": long(3) } }))).toEqual({ _id: { number: 1 }, a: { b: { long: "3" } } });
  });

  it("multiplies with the same type rules and creates a zero of the multiplier's type", () => {
    expect(typed(update({ _id: 1, x: int(3) }, { $mul: { x: int(4) } }).x)).toEqual({ int: 12 });
    expect(typed(update({ _id: 1, x: int(65536) }, { $mul: { x: int(65536) } }).x)).toEqual({ long: "4294967296" });
    expect(typed(update({ _id: 1, x: int(3) }, { $mul: { x: double(0.5) } }).x)).toEqual({ double: 1.5 });
    expect(typed(update({ _id: 1 }, { $mul: { x: long(4) } }).x)).toEqual({ long: "0" });
    expect(typed(update({ _id: 1 }, { $mul: { x: int(4) } }).x)).toEqual({ int: 0 });
  });

  it("is not a modification when incrementing by zero of the same type", () => {
    expect(applyUpdate({ _id: 1, x: int(3) }, { $inc: { x: int(0) } }).modified).toBe(false);
  });

  it("rejects a non-numeric field with TypeMismatch", () => {
    const error = updateError({ _id: int(1), x: "a" }, { $inc: { x: int(1) } });
    expect(error.code).toBe(14);
    expect(error.codeName).toBe("TypeMismatch");
    expect(error.message).toBe(
      "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'x' of non-numeric type string",
    );
    expect(updateError({ _id: "k", a: { x: null } }, { $mul: { "a.x": int(2) } }).message).toBe(
      "Cannot apply $mul to a value of non-numeric type. {_id: \"k\"} has the field 'x' of non-numeric type null",
    );
  });

  it("rejects a non-numeric operand with TypeMismatch", () => {
    const error = updateError({ _id: 1, x: int(1) }, { $inc: { x: "1" } });
    expect(error.code).toBe(14);
    expect(error.message).toBe('Cannot increment with non-numeric argument: {x: "1"}');
    expect(updateError({ _id: 1 }, { $mul: { x: null } }).code).toBe(14);
  });
});

describe("$min, $max, $rename, $setOnInsert, $currentDate", () => {
  it("$min and $max compare across numeric types and BSON type order", () => {
    expect(typed(update({ _id: 1, x: int(5) }, { $min: { x: double(2.5) } }).x)).toEqual({ double: 2.5 });
    expect(applyUpdate({ _id: 1, x: int(5) }, { $min: { x: long(7) } }).modified).toBe(false);
    expect(typed(update({ _id: 1, x: int(5) }, { $max: { x: long(7) } }).x)).toEqual({ long: "7" });
    expect(update({ _id: 1, x: 5 }, { $max: { x: "a" } }).x).toBe("a");
    expect(update({ _id: 1 }, { $min: { x: 3 } }).x).toBe(3);
    const earlier = new Date(1000);
    expect(update({ _id: 1, at: new Date(5000) }, { $min: { at: earlier } }).at).toEqual(earlier);
  });

  it("$rename moves a value, the new field added like a $set", () => {
    const result = update({ _id: 1, a: 1, b: { c: 2 }, z: 0 }, { $rename: { a: "y", "b.c": "b.d" } });
    expect(result).toEqual({ _id: 1, b: { d: 2 }, z: 0, y: 1 });
    expect(Object.keys(result)).toEqual(["_id", "b", "z", "y"]);
    expect(update({ _id: 1, a: 1, b: 2 }, { $rename: { a: "b" } })).toEqual({ _id: 1, b: 1 });
  });

  it("$rename of a missing field does nothing", () => {
    expect(applyUpdate({ _id: 1, a: 1 }, { $rename: { x: "y" } }).modified).toBe(false);
  });

  it("$rename rejects array elements, same paths and dynamic paths", () => {
    expect(updateError({ _id: 1, a: [{ b: 1 }] }, { $rename: { "a.0.b": "c" } }).code).toBe(2);
    expect(updateError({ _id: 1, a: 1, c: [1] }, { $rename: { a: "c.0" } }).code).toBe(2);
    expect(updateError({ _id: 1, a: 1 }, { $rename: { a: "a" } }).code).toBe(2);
    expect(updateError({ _id: 1, a: 1 }, { $rename: { a: "a.b" } }).code).toBe(2);
    expect(updateError({ _id: 1, a: 1 }, { $rename: { a: 5 } }).code).toBe(2);
    expect(updateError({ _id: 1, a: [1] }, { $rename: { "a.$[]": "b" } }).code).toBe(2);
  });

  it("$rename of _id is an immutable field change", () => {
    expect(updateError({ _id: 1 }, { $rename: { _id: "x" } }).code).toBe(66);
  });

  it("$setOnInsert applies only when the update inserts", () => {
    const spec = { $set: { a: 1 }, $setOnInsert: { created: true } };
    expect(update({ _id: 1 }, spec)).toEqual({ _id: 1, a: 1 });
    expect(update({ _id: 1 }, spec, { isUpsertInsert: true })).toEqual({ _id: 1, a: 1, created: true });
    // Still a conflict when not inserting: mongod parses the whole update first.
    expect(updateError({ _id: 1 }, { $set: { a: 1 }, $setOnInsert: { a: 2 } }).code).toBe(40);
  });

  it("$currentDate sets a date or a timestamp", () => {
    const before = Date.now();
    const result = update({ _id: 1 }, { $currentDate: { a: true, b: { $type: "date" }, c: { $type: "timestamp" } } });
    expect(result.a).toBeInstanceOf(Date);
    expect((result.a as Date).getTime()).toBeGreaterThanOrEqual(before);
    expect(result.b).toEqual(result.a);
    expect(result.c).toBeInstanceOf(Timestamp);
    expect((result.c as Timestamp).t).toBe(Math.floor((result.a as Date).getTime() / 1000));
    expect(updateError({ _id: 1 }, { $currentDate: { a: { $type: "string" } } }).code).toBe(2);
    expect(updateError({ _id: 1 }, { $currentDate: { a: int(1) } }).code).toBe(2);
  });
});

describe("array operators", () => {
  it("$push appends and creates the array", () => {
    expect(update({ _id: 1, a: [1] }, { $push: { a: 2 } })).toEqual({ _id: 1, a: [1, 2] });
    expect(update({ _id: 1 }, { $push: { a: [2] } })).toEqual({ _id: 1, a: [[2]] });
  });

  it("$push with $each, $position, $sort and $slice", () => {
    expect(update({ _id: 1, a: [1, 2] }, { $push: { a: { $each: [3, 4] } } }).a).toEqual([1, 2, 3, 4]);
    expect(update({ _id: 1, a: [1, 2] }, { $push: { a: { $each: [9], $position: int(1) } } }).a).toEqual([1, 9, 2]);
    expect(update({ _id: 1, a: [1, 2, 3] }, { $push: { a: { $each: [9], $position: int(-1) } } }).a).toEqual([1, 2, 9, 3]);
    expect(update({ _id: 1, a: [5, 1] }, { $push: { a: { $each: [3], $sort: int(1) } } }).a).toEqual([1, 3, 5]);
    expect(update({ _id: 1, a: [5, 1] }, { $push: { a: { $each: [3], $sort: int(-1), $slice: int(2) } } }).a).toEqual([5, 3]);
    expect(update({ _id: 1, a: [1, 2, 3] }, { $push: { a: { $each: [4], $slice: int(-2) } } }).a).toEqual([3, 4]);
    expect(update({ _id: 1, a: [1, 2, 3] }, { $push: { a: { $each: [], $slice: int(0) } } }).a).toEqual([]);
    const scores = [{ s: 3, n: "c" }, { s: 1, n: "a" }];
    expect(update({ _id: 1, a: scores }, { $push: { a: { $each: [{ s: 2, n: "b" }], $sort: { s: int(1) } } } }).a).toEqual([
      { s: 1, n: "a" },
      { s: 2, n: "b" },
      { s: 3, n: "c" },
    ]);
  });

  it("$push rejects a non-array field and bad clauses", () => {
    const error = updateError({ _id: int(1), x: "s" }, { $push: { x: 1 } });
    expect(error.code).toBe(2);
    expect(error.message).toBe("The field 'x' must be an array but is of type string in document {_id: 1}");
    expect(updateError({ _id: 1 }, { $push: { a: { $each: 1 } } }).code).toBe(2);
    expect(updateError({ _id: 1 }, { $push: { a: { $each: [], $bogus: 1 } } }).message).toBe("Unrecognized clause in $push: $bogus");
    expect(updateError({ _id: 1 }, { $push: { a: { $each: [], $sort: int(2) } } }).code).toBe(2);
  });

  it("$addToSet adds values not already present, comparing numbers across types", () => {
    expect(update({ _id: 1, a: [int(1), "x"] }, { $addToSet: { a: double(1) } }).a).toEqual([int(1), "x"]);
    expect(applyUpdate({ _id: 1, a: [1] }, { $addToSet: { a: 1 } }).modified).toBe(false);
    expect(update({ _id: 1, a: [1] }, { $addToSet: { a: { $each: [1, 2, 2, 3] } } }).a).toEqual([1, 2, 3]);
    expect(update({ _id: 1 }, { $addToSet: { a: { b: 1 } } }).a).toEqual([{ b: 1 }]);
    expect(updateError({ _id: 1, a: 1 }, { $addToSet: { a: 2 } }).code).toBe(2);
  });

  it("$pop removes the first or last element", () => {
    expect(update({ _id: 1, a: [1, 2, 3] }, { $pop: { a: int(1) } }).a).toEqual([1, 2]);
    expect(update({ _id: 1, a: [1, 2, 3] }, { $pop: { a: int(-1) } }).a).toEqual([2, 3]);
    expect(applyUpdate({ _id: 1, a: [] }, { $pop: { a: int(1) } }).modified).toBe(false);
    expect(applyUpdate({ _id: 1 }, { $pop: { a: int(1) } }).modified).toBe(false);
    expect(updateError({ _id: 1, a: [1] }, { $pop: { a: int(2) } }).message).toBe("$pop expects 1 or -1, found: 2");
    expect(updateError({ _id: 1, a: 5 }, { $pop: { a: int(1) } }).code).toBe(2);
  });

  it("$pull removes equal values, values matching a condition, and documents matching a query", () => {
    expect(update({ _id: 1, a: [1, 2, 1, double(1)] }, { $pull: { a: int(1) } }).a).toEqual([2]);
    expect(update({ _id: 1, a: [1, 5, 7, 3] }, { $pull: { a: { $gte: int(5) } } }).a).toEqual([1, 3]);
    expect(update({ _id: 1, a: [{ b: 1, c: 1 }, { b: 2 }, 3] }, { $pull: { a: { b: int(1) } } }).a).toEqual([{ b: 2 }, 3]);
    expect(update({ _id: 1, a: [{ b: 1 }, { b: 5 }] }, { $pull: { a: { b: { $gt: int(2) } } } }).a).toEqual([{ b: 1 }]);
    expect(update({ _id: 1, a: [[1, 2], [3]] }, { $pull: { a: [1, 2] } }).a).toEqual([[3]]);
    expect(applyUpdate({ _id: 1, a: [1] }, { $pull: { a: 2 } }).modified).toBe(false);
    expect(applyUpdate({ _id: 1 }, { $pull: { a: 2 } }).modified).toBe(false);
    expect(updateError({ _id: 1, a: 1 }, { $pull: { a: 1 } }).message).toBe("Cannot apply $pull to a non-array value");
  });

  it("$pullAll removes every listed value", () => {
    expect(update({ _id: 1, a: [1, 2, 3, 2, "x"] }, { $pullAll: { a: [2, "x"] } }).a).toEqual([1, 3]);
    expect(updateError({ _id: 1, a: [1] }, { $pullAll: { a: 1 } }).code).toBe(2);
  });

  it("$bit applies and, or, xor on Int32 and Long", () => {
    expect(typed(update({ _id: 1, x: int(13) }, { $bit: { x: { and: int(10) } } }).x)).toEqual({ int: 8 });
    expect(typed(update({ _id: 1, x: int(13) }, { $bit: { x: { or: int(2) } } }).x)).toEqual({ int: 15 });
    expect(typed(update({ _id: 1, x: int(13) }, { $bit: { x: { xor: long(1) } } }).x)).toEqual({ long: "12" });
    expect(typed(update({ _id: 1 }, { $bit: { x: { or: int(5) } } }).x)).toEqual({ int: 5 });
    expect(updateError({ _id: 1, x: int(1) }, { $bit: { x: { and: double(1) } } }).code).toBe(2);
    expect(updateError({ _id: 1, x: int(1) }, { $bit: { x: { nand: int(1) } } }).code).toBe(2);
    expect(updateError({ _id: 1, x: "s" }, { $bit: { x: { and: int(1) } } }).code).toBe(2);
  });
});

describe("positional operators", () => {
  it("$ updates the first element matching the filter's condition on the array", () => {
    const doc = { _id: 1, grades: [80, 85, 90, 85] };
    expect(update(doc, { $set: { "grades.$": 82 } }, { filter: { _id: 1, grades: 85 } }).grades).toEqual([80, 82, 90, 85]);
    const students = { _id: 1, s: [{ n: "a", g: 1 }, { n: "b", g: 2 }] };
    expect(update(students, { $inc: { "s.$.g": int(10) } }, { filter: { "s.n": "b" } }).s).toEqual([
      { n: "a", g: 1 },
      { n: "b", g: new Int32(12) },
    ]);
    expect(
      update(students, { $set: { "s.$.g": 0 } }, { filter: { $and: [{ _id: 1 }, { s: { $elemMatch: { n: "a", g: { $lt: 5 } } } }] } }).s,
    ).toEqual([
      { n: "a", g: 0 },
      { n: "b", g: 2 },
    ]);
  });

  it("$ without a matching array condition is an error", () => {
    const error = updateError({ _id: 1, a: [1, 2] }, { $set: { "a.$": 3 } }, { filter: { _id: 1 } });
    expect(error.code).toBe(2);
    expect(error.message).toBe("The positional operator did not find the match needed from the query.");
    expect(updateError({ _id: 1, a: [1, 2] }, { $set: { "a.$": 3 } }).code).toBe(2);
    expect(updateError({ _id: 1 }, { $set: { "$": 3 } }).code).toBe(2);
    expect(updateError({ _id: 1, a: [[1]] }, { $set: { "a.$.$": 3 } }, { filter: { a: 1 } }).code).toBe(2);
  });

  it("$[] updates every element", () => {
    expect(update({ _id: 1, a: [1, 2, 3] }, { $inc: { "a.$[]": int(1) } }).a).toEqual([new Int32(2), new Int32(3), new Int32(4)]);
    expect(update({ _id: 1, a: [{ b: 1 }, { c: 1 }] }, { $set: { "a.$[].b": 0 } }).a).toEqual([{ b: 0 }, { c: 1, b: 0 }]);
    expect(applyUpdate({ _id: 1, a: [] }, { $set: { "a.$[]": 0 } }).modified).toBe(false);
  });

  it("$[] needs an existing array", () => {
    const missing = updateError({ _id: 1 }, { $set: { "a.$[]": 0 } });
    expect(missing.code).toBe(2);
    expect(missing.message).toBe("The path 'a' must exist in the document in order to apply array updates.");
    const scalar = updateError({ _id: 1, a: int(5) }, { $set: { "a.$[]": 0 } });
    expect(scalar.message).toBe("Cannot apply array updates to non-array element a: 5");
  });

  it("$[id] updates the elements matching its array filter", () => {
    const doc = { _id: 1, grades: [{ grade: 80 }, { grade: 90 }, { grade: 95 }] };
    expect(
      update(doc, { $set: { "grades.$[elem].top": true } }, { arrayFilters: [{ "elem.grade": { $gte: int(85) } }] }).grades,
    ).toEqual([{ grade: 80 }, { grade: 90, top: true }, { grade: 95, top: true }]);
    expect(update({ _id: 1, a: [80, 90, 100] }, { $set: { "a.$[x]": 0 } }, { arrayFilters: [{ x: { $gte: int(90) } }] }).a).toEqual([
      80, 0, 0,
    ]);
  });

  it("$[id] nests, each level with its own filter", () => {
    const doc = { _id: 3, y: [{ b: 5, c: [{ d: 2 }, { d: 1 }] }] };
    const spec = { $set: { "y.$[i].c.$[j].d": 0 } };
    expect(update(doc, spec, { arrayFilters: [{ "i.b": 5 }, { "j.d": 1 }] }).y).toEqual([{ b: 5, c: [{ d: 2 }, { d: 0 }] }]);
    const none = applyUpdate(doc, spec, { arrayFilters: [{ "i.b": 5 }, { "j.d": 3 }] });
    expect(none).toEqual({ doc, modified: false });
  });

  it("reports a missing, unused, duplicate or malformed array filter", () => {
    const missing = updateError({ _id: 1, a: [1] }, { $set: { "a.$[x]": 1 } });
    expect(missing.code).toBe(2);
    expect(missing.message).toBe("No array filter found for identifier 'x' in path 'a.$[x]'");
    const unused = updateError({ _id: 1, a: [1] }, { $set: { "a.$[x]": 1 } }, { arrayFilters: [{ x: 1 }, { y: 2 }] });
    expect(unused.code).toBe(9);
    expect(unused.message).toMatch(/^The array filter for identifier 'y' was not used in the update /);
    expect(updateError({ _id: 1, a: [1] }, { $set: { "a.$[x]": 1 } }, { arrayFilters: [{ x: 1 }, { x: 2 }] }).code).toBe(9);
    expect(updateError({ _id: 1, a: [1] }, { $set: { "a.$[x]": 1 } }, { arrayFilters: [{ x: 1, "y.b": 2 }] }).code).toBe(9);
    expect(updateError({ _id: 1, a: [1] }, { $set: { "a.$[X]": 1 } }, { arrayFilters: [{ X: 1 }] }).code).toBe(2);
  });

  it("two positional paths reaching the same element conflict", () => {
    const error = updateError({ _id: 1, a: [1, 2] }, { $set: { "a.$[]": 0, "a.1": 5 } });
    expect(error.code).toBe(40);
    expect(error.message).toBe("Update created a conflict at 'a.1'");
  });
});

describe("more combinations", () => {
  it("$rename conflicts with another update of its target or source", () => {
    expect(updateError({ _id: 1, a: 1 }, { $rename: { a: "b" }, $set: { b: 2 } }).code).toBe(40);
    expect(updateError({ _id: 1, a: 1 }, { $rename: { a: "b" }, $set: { "a.c": 2 } }).code).toBe(40);
  });

  it("$[] and $[id] need the array also when the update is an upsert insert", () => {
    expect(updateError({ _id: 1 }, { $set: { "a.$[]": 1 } }, { isUpsertInsert: true }).code).toBe(2);
    expect(updateError({ _id: 1, a: 5 }, { $set: { "a.$": 1 } }, { isUpsertInsert: true, filter: { a: 5 } }).code).toBe(2);
  });

  it("$pull with a condition through $[]", () => {
    const doc = { _id: 1, groups: [{ m: [1, 5, 9] }, { m: [2, 6] }] };
    expect(update(doc, { $pull: { "groups.$[].m": { $gt: int(4) } } }).groups).toEqual([{ m: [1] }, { m: [2] }]);
  });

  it("positional $ through a nested document path", () => {
    const doc = { _id: 1, order: { items: [{ sku: "a", qty: int(1) }, { sku: "b", qty: int(1) }] } };
    const result = update(doc, { $inc: { "order.items.$.qty": int(2) } }, { filter: { "order.items.sku": "b" } });
    expect(typed(result.order)).toEqual({
      items: [
        { sku: "a", qty: { int: 1 } },
        { sku: "b", qty: { int: 3 } },
      ],
    });
  });

  it("$push with $position 0 prepends", () => {
    expect(update({ _id: 1, a: [2, 3] }, { $push: { a: { $each: [0, 1], $position: int(0) } } }).a).toEqual([0, 1, 2, 3]);
  });

  it("an unused array filter names the update in its message", () => {
    const error = updateError({ _id: 1, a: [1] }, { $set: { a: int(2) } }, { arrayFilters: [{ i: 1 }] });
    expect(error.message).toBe("The array filter for identifier 'i' was not used in the update { $set: { a: 2 } }");
  });
});

describe("update document errors", () => {
  it("rejects unknown operators and non-document operands", () => {
    const unknown = updateError({ _id: 1 }, { $foo: { a: 1 } });
    expect(unknown.code).toBe(9);
    expect(unknown.codeName).toBe("FailedToParse");
    expect(unknown.message).toBe(
      "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array",
    );
    expect(updateError({ _id: 1 }, { $set: { a: 1 }, b: 1 }).message).toMatch(/^Unknown modifier: b\./);
    expect(updateError({ _id: 1 }, { $set: int(5) }).code).toBe(9);
  });

  it("accepts an operator with no fields as a no-op", () => {
    expect(applyUpdate({ _id: 1, a: 1 }, { $set: {} })).toEqual({ doc: { _id: 1, a: 1 }, modified: false });
  });

  it("reports conflicting paths", () => {
    const error = updateError({ _id: 1 }, { $set: { a: 1 }, $inc: { "a.b": int(1) } });
    expect(error.code).toBe(40);
    expect(error.codeName).toBe("ConflictingUpdateOperators");
    expect(error.message).toBe("Updating the path 'a.b' would create a conflict at 'a'");
    expect(updateError({ _id: 1 }, { $set: { "a.b": 1 }, $unset: { a: 1 } }).message).toBe(
      "Updating the path 'a' would create a conflict at 'a'",
    );
    expect(updateError({ _id: 1 }, { $set: { a: 1 }, $inc: { a: int(1) } }).message).toBe(
      "Updating the path 'a' would create a conflict at 'a'",
    );
    // Sibling paths with a common prefix are fine.
    expect(update({ _id: 1 }, { $set: { "a.b": 1, "a.c": 2, ab: 3 } })).toEqual({ _id: 1, a: { b: 1, c: 2 }, ab: 3 });
  });

  it("refuses to change _id", () => {
    const error = updateError({ _id: 1 }, { $set: { _id: 2 } });
    expect(error.code).toBe(66);
    expect(error.codeName).toBe("ImmutableField");
    expect(error.message).toBe("Performing an update on the path '_id' would modify the immutable field '_id'");
    expect(updateError({ _id: { a: 1 } }, { $set: { "_id.a": 2 } }).message).toBe(
      "Performing an update on the path '_id.a' would modify the immutable field '_id'",
    );
    expect(updateError({ _id: 1 }, { $unset: { _id: 1 } }).code).toBe(66);
    // Setting the same _id is allowed and is no modification.
    expect(applyUpdate({ _id: int(1), a: 1 }, { $set: { _id: int(1) } }).modified).toBe(false);
  });

  it("lets an upsert insert set an _id when the seed has none", () => {
    expect(update({ a: 1 }, { $set: { _id: 7 } }, { isUpsertInsert: true })).toEqual({ a: 1, _id: 7 });
  });
});

describe("replacement documents", () => {
  it("replaces all fields but _id, which stays first", () => {
    const result = applyUpdate({ _id: 1, a: 1, b: 2 }, { c: 3, a: 1 });
    expect(result.doc).toEqual({ _id: 1, c: 3, a: 1 });
    expect(Object.keys(result.doc)).toEqual(["_id", "c", "a"]);
    expect(result.modified).toBe(true);
  });

  it("accepts the same _id, and is no modification when nothing changes", () => {
    expect(applyUpdate({ _id: 1, a: 1 }, { _id: 1, a: 1 })).toEqual({ doc: { _id: 1, a: 1 }, modified: false });
    expect(applyUpdate({ _id: 1, a: 1 }, { a: 1, _id: 1 }).modified).toBe(false);
  });

  it("refuses a different _id", () => {
    const error = updateError({ _id: int(1), a: 1 }, { _id: int(2), a: 1 });
    expect(error.code).toBe(66);
    expect(error.message).toBe("After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2");
  });

  it("rejects dollar-prefixed top-level fields but allows nested ones and dotted names", () => {
    expect(updateError({ _id: 1 }, { a: 1, $b: 1 }).code).toBe(52);
    expect(update({ _id: 1 }, { a: { $b: 1 }, "c.d": 1 })).toEqual({ _id: 1, a: { $b: 1 }, "c.d": 1 });
  });

  it("keeps the upsert seed's _id, and the empty document keeps only _id", () => {
    expect(update({ _id: 4 }, { x: 44 }, { isUpsertInsert: true })).toEqual({ _id: 4, x: 44 });
    expect(update({ _id: 1, a: 1 }, {})).toEqual({ _id: 1 });
  });
});

describe("pipeline updates", () => {
  it("evaluates $set/$addFields/$project with mingo, keeping untouched BSON types", () => {
    const doc = { _id: int(1), big: long(9007199254740993n), d: decimal("1.10"), i: int(5), x: double(2) };
    const result = update(doc, [{ $set: { y: { $add: ["$i", int(1)] }, z: 0.5 } }]);
    expect(typed(result)).toEqual({
      _id: { int: 1 },
      big: { long: "9007199254740993" },
      d: { decimal: "1.10" },
      i: { int: 5 },
      x: { double: 2 },
      y: { int: 6 },
      z: { double: 0.5 },
    });
  });

  it("runs the conformance pipeline: $project then $addFields", () => {
    const result = applyUpdate({ _id: 1, x: 1, y: 1 }, [{ $project: { x: int(1) } }, { $addFields: { foo: int(1) } }]);
    expect(result.doc).toEqual({ _id: 1, x: 1, foo: new Int32(1) });
    expect(Object.keys(result.doc)[0]).toBe("_id");
    expect(result.modified).toBe(true);
  });

  it("supports $unset, $replaceWith and $replaceRoot, keeping _id", () => {
    expect(update({ _id: 1, a: 1, b: 2 }, [{ $unset: ["a"] }])).toEqual({ _id: 1, b: 2 });
    // Values moved by the pipeline keep their types too.
    expect(typed(update({ _id: 1, a: { b: long(2), c: [double(1)] } }, [{ $replaceWith: "$a" }]))).toEqual({
      _id: { number: 1 },
      b: { long: "2" },
      c: [{ double: 1 }],
    });
    expect(update({ _id: 1, a: { b: 2 } }, [{ $replaceRoot: { newRoot: { c: "$a.b" } } }])).toEqual({ _id: 1, c: new Int32(2) });
  });

  it("sets dollar-prefixed and dotted field names with $setField", () => {
    const doc = { _id: 1, foo: {} };
    expect(
      update(doc, [{ $replaceWith: { $setField: { field: { $literal: "$a" }, value: int(1), input: "$$ROOT" } } }]),
    ).toEqual({ _id: 1, foo: {}, $a: new Int32(1) });
    expect(update(doc, [{ $set: { foo: { $setField: { field: { $literal: "a.b" }, value: int(1), input: "$foo" } } } }])).toEqual({
      _id: 1,
      foo: { "a.b": new Int32(1) },
    });
  });

  it("keeps non-numeric BSON values such as ObjectId and Date", () => {
    const id = new ObjectId();
    const when = new Date(0);
    const result = update({ _id: id, when }, [{ $set: { copy: "$_id" } }]);
    expect(result._id).toBe(id);
    expect(result.copy).toEqual(id);
    expect(result.when).toEqual(when);
  });

  it("evaluates the command's let variables", () => {
    const result = update({ _id: 1 }, [{ $set: { x: "$$x", y: "$$y", n: "$$n" } }], {
      variables: { x: "foo", y: { $literal: "bar" }, n: int(3) },
    });
    expect(result).toEqual({ _id: 1, x: "foo", y: "bar", n: new Int32(3) });
  });

  it("is no modification when the pipeline changes nothing", () => {
    expect(applyUpdate({ _id: 1, a: int(1) }, [{ $set: { a: int(1) } }]).modified).toBe(false);
  });

  it("refuses stages that are not allowed in updates, and a changed _id", () => {
    expect(updateError({ _id: 1 }, [{ $match: { a: 1 } }]).code).toBe(72);
    expect(updateError({ _id: 1 }, [{ $set: { _id: 2 } }]).code).toBe(66);
    expect(updateError({ _id: 1 }, [{ $set: { a: 1 } }], { arrayFilters: [{ x: 1 }] }).code).toBe(9);
  });

  it("never mutates the input document", () => {
    const doc = frozen({ _id: 1, a: { b: 1 }, c: [1, 2] });
    expect(update(doc, [{ $set: { "a.c": 2 } }, { $unset: "c" }])).toEqual({ _id: 1, a: { b: 1, c: new Int32(2) } });
  });
});

describe("upsertSeed", () => {
  it("takes the equality fields of the filter, dotted paths as nested documents", () => {
    expect(upsertSeed({ _id: 4, a: 1, "b.c": 2, d: { $eq: 3 }, e: { $gt: 1 }, f: { g: 1 } })).toEqual({
      _id: 4,
      a: 1,
      b: { c: 2 },
      d: 3,
      f: { g: 1 },
    });
  });

  it("follows $and, single-clause $or and one-element $in; ignores other operators and regexes", () => {
    expect(upsertSeed({ $and: [{ a: 1 }, { $and: [{ b: 2 }] }], $or: [{ c: 3 }], h: { $in: [4] } })).toEqual({
      a: 1,
      b: 2,
      c: 3,
      h: 4,
    });
    expect(upsertSeed({ $or: [{ a: 1 }, { b: 2 }], c: /x/, d: { $in: [1, 2] }, $expr: { $eq: ["$a", 1] } })).toEqual({});
  });

  it("merges sibling dotted paths and rejects the same path twice", () => {
    expect(upsertSeed({ "a.b": 1, "a.c": 2 })).toEqual({ a: { b: 1, c: 2 } });
    expect(() => upsertSeed({ $and: [{ a: 1 }, { a: 2 }] })).toThrow(/matched twice/);
    expect(() => upsertSeed({ a: 1, "a.b": 2 })).toThrow(MongoCommandError);
  });

  it("feeds an upsert insert: seed, then the update with $setOnInsert", () => {
    const seed = upsertSeed({ _id: 4, x: { $gt: 1 }, name: "n" });
    const result = update(seed, { $inc: { x: int(1) }, $setOnInsert: { created: true } }, { isUpsertInsert: true, filter: { _id: 4 } });
    expect(result).toEqual({ _id: 4, name: "n", created: true, x: new Int32(1) });
  });
});

describe("isReplacement", () => {
  it("tells replacements from operator documents and pipelines", () => {
    expect(isReplacement({ a: 1 })).toBe(true);
    expect(isReplacement({ a: 1, $set: { b: 1 } })).toBe(true);
    expect(isReplacement({ $set: { a: 1 } })).toBe(false);
    expect(isReplacement([{ $set: { a: 1 } }])).toBe(false);
    expect(isReplacement([])).toBe(false);
    // As in mongod, the empty document replaces everything but _id.
    expect(isReplacement({})).toBe(true);
  });
});
