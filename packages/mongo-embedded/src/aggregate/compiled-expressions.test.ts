/**
 * The compiled expressions against mingo's interpreter: for every expression below over every pair of
 * values (missing, null, numbers of each BSON type as mingo sees them, NaN, strings, booleans, dates,
 * arrays, documents, ObjectIds, regular expressions), the same value, or the same error.
 */
import { Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { evalExpr } from "mingo/core";
import { describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { compileExpression, computeOptions, expressionCompiler } from "./compiled-expressions.js";
import { mingoOptions } from "./expressions.js";
import { toPlainTracked } from "./typed-values.js";

const MISSING = Symbol("missing");
const early = new Date("2026-03-01T00:00:00Z");
const late = new Date("2026-03-02T12:00:00Z");
const objectId = new ObjectId("65f0a0a0a0a0a0a0a0a0a0a0");

/** Values as BSON decoding gives them; toPlainTracked turns them into what mingo computes on. */
const VALUES: unknown[] = [
  MISSING,
  null,
  new Int32(0),
  new Double(-0),
  new Int32(1),
  new Double(1.5),
  new Int32(-3),
  new Double(2),
  Long.fromNumber(2 ** 31),
  Long.fromString("-9007199254740993"),
  Decimal128.fromString("2.50"),
  Decimal128.fromString("-1"),
  new Double(Number.NaN),
  new Double(Number.POSITIVE_INFINITY),
  3_600_000,
  "",
  "a",
  "b",
  "resolved",
  "$a",
  true,
  false,
  early,
  late,
  new Date(Number.NaN),
  [],
  [new Int32(1), new Int32(2)],
  ["a", null],
  [early],
  { x: new Int32(1) },
  {},
  { x: { y: "deep" } },
  [{ x: new Int32(1) }, { x: "a" }, {}],
  objectId,
  /ab+c/i,
];

const describeValue = (value: unknown): string =>
  value === MISSING ? "missing" : value instanceof Date ? `Date(${value.getTime()})` : (JSON.stringify(value) ?? String(value));

/** A plain document with `a` and `b` (either may be missing), and fixed `c`, `d`, `due`. */
function documentWith(a: unknown, b: unknown): Doc {
  return toPlainTracked(typedDocumentWith(a, b)) as Doc;
}

/** The same document as stored: BSON numbers as Int32, Double, Long and Decimal128. */
function typedDocumentWith(a: unknown, b: unknown): Doc {
  const typed: Doc = { _id: "doc", c: "C", d: new Int32(7), due: late };
  if (a !== MISSING) typed.a = a;
  if (b !== MISSING) typed.b = b;
  return typed;
}

/**
 * A value without the symbol-keyed record of the typed value each container was converted from
 * (toPlainTracked), which the two sides carry on different containers.
 */
function withoutStamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStamps);
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, withoutStamps(field)]));
}

/** Expressions over `$a` and `$b`: each operator the compiler knows, alone and combined. */
const EXPRESSIONS: unknown[] = [
  { $eq: ["$a", "$b"] },
  { $ne: ["$a", "$b"] },
  { $lt: ["$a", "$b"] },
  { $lte: ["$a", "$b"] },
  { $gt: ["$a", "$b"] },
  { $gte: ["$a", "$b"] },
  { $lt: ["$a", { $literal: early }] },
  { $gte: ["$a", 1] },
  { $eq: ["$a", null] },
  { $ne: ["$a", "a"] },
  { $in: ["$a", "$b"] },
  { $in: ["$a", ["a", "resolved", 1, 2.5]] },
  { $in: ["$a", { $literal: ["$a", "b", -3] }] },
  { $in: ["$a", [null, true, { $literal: early }]] },
  { $type: "$a" },
  { $type: ["$a"] },
  { $eq: [{ $type: "$a" }, "date"] },
  { $subtract: ["$a", "$b"] },
  { $subtract: ["$a", 1000] },
  { $subtract: ["$a", "$b", "$c"] },
  { $divide: ["$a", "$b"] },
  { $divide: [{ $subtract: ["$a", "$b"] }, 3_600_000] },
  { $multiply: ["$a", "$b"] },
  { $multiply: ["$a", "$b", 2] },
  { $add: ["$a", "$b"] },
  { $add: ["$a", "$b", 1] },
  { $cond: ["$a", "$b", "$c"] },
  { $cond: { if: { $eq: ["$a", "$b"] }, then: 1, else: 0 } },
  { $and: ["$a", "$b"] },
  { $and: ["$a", "$b", "$c"] },
  { $and: ["$a"] },
  { $and: [] },
  { $or: ["$a", "$b", "$c"] },
  { $or: ["$a", "$b"] },
  { $or: [{ $lt: ["$a", "$b"] }, { $eq: ["$a", "$b"] }] },
  { $not: ["$a"] },
  { $not: "$a" },
  { $ifNull: ["$a", "$b", 0] },
  { $ifNull: ["$a", "$b"] },
  {
    $switch: {
      branches: [
        { case: { $in: ["$a", ["resolved", "a"]] }, then: { $ifNull: ["$b", "$c"] } },
        { case: { $eq: ["$a", "$b"] }, then: "$d" },
      ],
      default: null,
    },
  },
  { $let: { vars: { x: "$a" }, in: { $lt: ["$$x", "$b"] } } },
  { $let: { vars: { x: "$a", y: "$b" }, in: { $let: { vars: { x: "$$y", y: "$$x" }, in: ["$$x", "$$y"] } } } },
  { $let: { vars: { x: "$a" }, in: { $and: [{ $eq: [{ $type: "$$x" }, "date"] }, { $lte: ["$$x", "$due"] }] } } },
  { $let: { vars: { x: "$a" }, in: "$$x.x" } },
  { $literal: "$a" },
  "$a.x",
  "$a.x.y",
  "$b.0",
  "$$ROOT.a",
  "$$CURRENT.b",
  { p: "$a", q: { $eq: ["$a", "$b"] }, r: ["$b", "literal"] },
  ["$a", "$b", "$$REMOVE"],
];

type Outcome = { value: unknown } | { error: string };

function outcome(evaluate: () => unknown): Outcome {
  try {
    return { value: evaluate() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

describe("compiled expressions", () => {
  // The interpreter gets the run's plain options, as mingo's Aggregator does; the compiled closures the
  // compute options made from them once (whose root is fixed, hence only for evaluated arguments).
  const plainOptions = mingoOptions({});
  const options = computeOptions(plainOptions);

  it.each(EXPRESSIONS.map((expression) => [JSON.stringify(expression), expression] as const))(
    "answer as mingo does for %s",
    (_name, expression) => {
      const compiled = compileExpression(expression, { mingoOptions: options });
      expect(compiled, "compiles").toBeDefined();
      let compared = 0;
      for (const a of VALUES) {
        for (const b of VALUES) {
          const doc = documentWith(a, b);
          const expected = outcome(() => evalExpr(doc, expression, plainOptions as never));
          const actual = outcome(() => compiled!(doc));
          // Stated as a message so that a failure names the inputs.
          expect(actual, `a = ${describeValue(a)}, b = ${describeValue(b)}`).toEqual(expected);
          if ("value" in actual && actual.value instanceof Date) expect((expected as { value: unknown }).value).toBeInstanceOf(Date);
          compared++;
        }
      }
      expect(compared).toBe(VALUES.length ** 2);
    },
  );

  // A $group over stored documents compiles with typedDocuments: values are converted as they are read.
  it.each(EXPRESSIONS.map((expression) => [JSON.stringify(expression), expression] as const))(
    "answer over typed documents as mingo does over their plain form for %s",
    (_name, expression) => {
      const compiled = expressionCompiler(expression, { mingoOptions: options, typedDocuments: true })(expression);
      expect(compiled, "compiles").toBeDefined();
      for (const a of VALUES) {
        for (const b of VALUES) {
          const expected = outcome(() => withoutStamps(evalExpr(documentWith(a, b), expression, plainOptions as never)));
          const actual = outcome(() => withoutStamps(compiled!(typedDocumentWith(a, b))));
          expect(actual, `a = ${describeValue(a)}, b = ${describeValue(b)}`).toEqual(expected);
        }
      }
    },
  );

  it("distinguishes -0 from 0 and NaN from numbers, as mingo does", () => {
    const compiled = compileExpression({ $subtract: ["$a", "$b"] }, { mingoOptions: options })!;
    expect(Object.is(compiled({ a: 0, b: 0 }), 0)).toBe(true);
    expect(Object.is(compiled({ a: -0, b: 0 }), -0)).toBe(true);
    expect(compileExpression({ $lte: ["$a", 1] }, { mingoOptions: options })!({ a: Number.NaN })).toBe(true); // mingo's simpleCmp
  });

  it("leaves to mingo what it does not compile", () => {
    expect(compileExpression({ $concat: ["$a", "$b"] }, { mingoOptions: options })).toBeUndefined();
    expect(compileExpression({ $eq: ["$$unbound", 1] }, { mingoOptions: options })).toBeUndefined();
    expect(compileExpression({ $cond: [1, 2] }, { mingoOptions: options })).toBeUndefined();
    expect(compileExpression({ $switch: { branches: [{ case: true, then: 1 }] } }, { mingoOptions: options })).toBeUndefined();
    expect(compileExpression({ $eq: [1, 2], $ne: [1, 2] }, { mingoOptions: options })).toBeUndefined();
  });
});
