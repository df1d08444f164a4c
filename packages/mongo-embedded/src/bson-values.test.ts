import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from "bson";
import { describe, expect, it } from "vitest";
import { bsonTypeOf, canonicalKey, compareValues, toPlain, valuesEqual } from "./bson-values.js";

describe("bsonTypeOf", () => {
  it("tells int, double, long and decimal apart", () => {
    expect(bsonTypeOf(new Int32(1))).toBe("int");
    expect(bsonTypeOf(new Double(1))).toBe("double");
    expect(bsonTypeOf(1.5)).toBe("double");
    expect(bsonTypeOf(Long.fromNumber(1))).toBe("long");
    expect(bsonTypeOf(Decimal128.fromString("1"))).toBe("decimal");
    expect(bsonTypeOf(new ObjectId())).toBe("objectId");
    expect(bsonTypeOf(new Timestamp({ t: 1, i: 1 }))).toBe("timestamp");
    expect(bsonTypeOf(null)).toBe("null");
    expect(bsonTypeOf([])).toBe("array");
    expect(bsonTypeOf({})).toBe("object");
  });
});

describe("compareValues", () => {
  it("compares numbers across BSON types", () => {
    expect(compareValues(new Int32(2), new Double(2.5))).toBe(-1);
    expect(compareValues(Long.fromString("9007199254740993"), Long.fromString("9007199254740992"))).toBe(1);
    expect(compareValues(Decimal128.fromString("3"), new Int32(3))).toBe(0);
    expect(compareValues(Number.NaN, -Infinity)).toBe(-1);
  });

  it("orders type brackets as MongoDB does", () => {
    const ordered = [new MinKey(), null, new Int32(5), "a", { a: 1 }, [1], new Binary(Buffer.from("x")), new ObjectId(), false, new Date(0), new Timestamp({ t: 1, i: 0 }), new MaxKey()];
    for (let i = 1; i < ordered.length; i++) expect(compareValues(ordered[i - 1], ordered[i])).toBe(-1);
  });

  it("compares documents field by field", () => {
    expect(compareValues({ a: 1, b: 2 }, { a: 1, b: 3 })).toBe(-1);
    expect(compareValues({ a: 1 }, { a: 1, b: 0 })).toBe(-1);
    expect(compareValues({ b: 1 }, { a: 1 })).toBe(1);
  });
});

describe("valuesEqual and canonicalKey", () => {
  it("agree that numbers of different types with the same value are equal", () => {
    const same = [new Int32(1), new Double(1), Long.fromNumber(1), Decimal128.fromString("1.0"), 1];
    for (const value of same) {
      expect(valuesEqual(value, same[0])).toBe(true);
      expect(canonicalKey(value)).toBe(canonicalKey(same[0]));
    }
    expect(valuesEqual(new Int32(1), "1")).toBe(false);
    expect(canonicalKey(new Int32(1))).not.toBe(canonicalKey("1"));
  });

  it("keeps large longs exact", () => {
    expect(canonicalKey(Long.fromString("9007199254740993"))).not.toBe(canonicalKey(Long.fromString("9007199254740992")));
  });

  it("distinguishes null from undefined for equality", () => {
    expect(valuesEqual(null, undefined)).toBe(false);
    expect(canonicalKey({ a: { b: new Int32(1) } })).toBe(canonicalKey({ a: { b: new Double(1) } }));
  });
});

describe("toPlain", () => {
  it("turns BSON numbers into JS numbers deeply and keeps other values", () => {
    const id = new ObjectId();
    const date = new Date(5);
    expect(toPlain({ a: new Int32(1), b: [Long.fromNumber(2), { c: new Double(3.5) }], id, date })).toEqual({ a: 1, b: [2, { c: 3.5 }], id, date });
  });
});
