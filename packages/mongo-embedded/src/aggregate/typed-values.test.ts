import { Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { docFromPlain, fromPlain, toPlainTracked, typedNumber } from "./typed-values.js";

describe("typed and plain values", () => {
  const oid = new ObjectId();
  const typed: Doc = { _id: oid, n: new Int32(1), d: new Double(2), l: Long.fromNumber(3), m: Decimal128.fromString("4.50"), sub: { list: [new Double(1), "x"] } };

  it("turns every BSON number into a JS number and keeps other values", () => {
    const plain = toPlainTracked(typed) as Doc;
    // Compared field by field: the containers also carry a symbol-keyed stamp.
    expect(Object.keys(plain)).toEqual(Object.keys(typed));
    expect([plain.n, plain.d, plain.l, plain.m]).toEqual([1, 2, 3, 4.5]);
    expect([...((plain.sub as Doc).list as unknown[])]).toEqual([1, "x"]);
    expect(plain._id).toBe(oid);
  });

  it("gives back the typed source when nothing changed", () => {
    expect(docFromPlain(toPlainTracked(typed) as Doc)).toBe(typed);
  });

  it("keeps the types of unchanged fields of a changed document", () => {
    const plain = toPlainTracked(typed) as Doc;
    plain.added = 7;
    (plain.sub as Doc).extra = 1.5;
    const back = docFromPlain(plain);
    expect(back).not.toBe(typed);
    expect(back.d).toBe(typed.d);
    expect(back.m).toBe(typed.m);
    expect(back.added).toEqual(new Int32(7));
    expect((back.sub as Doc).list).toBe((typed.sub as Doc).list);
    expect((back.sub as Doc).extra).toEqual(new Double(1.5));
    expect(typed.sub).not.toHaveProperty("extra");
  });

  it("uses a hint for copies that lost their stamp, checking values", () => {
    const copy = { ...(toPlainTracked(typed) as Doc), d: 3 };
    const back = docFromPlain(JSON.parse(JSON.stringify({ n: 1, d: 3 })), typed);
    expect(back).toEqual({ n: typed.n, d: new Int32(3) });
    expect(docFromPlain(copy).n).toBe(typed.n);
  });

  it("types computed numbers by rule and drops undefined fields", () => {
    expect(typedNumber(5)).toEqual(new Int32(5));
    expect(typedNumber(2 ** 40)).toEqual(Long.fromNumber(2 ** 40));
    expect(typedNumber(1.5)).toEqual(new Double(1.5));
    expect(typedNumber(-0)).toEqual(new Double(-0));
    expect(fromPlain({ a: undefined, b: [undefined] })).toEqual({ b: [null] });
  });
});
