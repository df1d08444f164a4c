/**
 * The quicker $filter and $sortArray (array-operators.ts) against mingo's own, through the server's
 * operator table and through mingo's stock one, over arrays of every kind of value.
 */
import { Context } from "mingo";
import { evalExpr } from "mingo/core";
import * as expressionOperators from "mingo/operators/expression";
import { describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { mingoOptions } from "./expressions.js";

const stock = Context.init({ expression: expressionOperators } as unknown as Parameters<typeof Context.init>[0]);
const early = new Date("2026-03-01T00:00:00Z");

const ARRAYS: unknown[] = [
  undefined,
  null,
  "not an array",
  [],
  [3, null, 1.5, null, -2, 0, -0, 2 ** 40, Number.POSITIVE_INFINITY],
  [5, 5, -0, 0, 1],
  [1, Number.NaN, 0],
  [null, null],
  [[null], null, [], [1, null], 4, "", false, 0],
  [2.5, 1, 2 ** 53, -1e-300, Number.NEGATIVE_INFINITY, 1, 0],
  ["b", "a", 2, null, true, early, [1], { x: 1 }],
  [early, new Date("2025-01-01T00:00:00Z")],
  [{ x: 2 }, { x: 1 }, { y: 1 }],
];

const EXPRESSIONS = (input: string): Doc[] => [
  { $filter: { input, cond: { $ne: ["$$this", null] } } },
  { $filter: { input, as: "v", cond: { $gt: ["$$v", "$b"] } } },
  { $filter: { input, as: "", cond: { $lt: ["$$this", 2] } } },
  { $filter: { input, cond: { $and: ["$$this", { $ne: [{ $type: "$$this" }, "string"] }] } } },
  { $filter: { input, cond: { $eq: ["$$this", "$$ROOT.b"] } } },
  { $filter: { input, cond: { $ne: ["$$this", null] }, limit: 2 } },
  { $filter: { input, as: "v", cond: { $ne: [null, "$$v"] } } },
  { $filter: { input, as: "v", cond: { $ne: ["$$this", null] } } },
  { $filter: { input, cond: { $concat: ["a", "b"] } } },
  { $sortArray: { input, sortBy: 1 } },
  { $sortArray: { input, sortBy: -1 } },
  { $sortArray: { input, sortBy: { x: 1 } } },
  { $sortArray: { input: { $filter: { input, cond: { $ne: ["$$this", null] } } }, sortBy: 1 } },
];

type Outcome = { value: unknown } | { error: string };
function outcome(evaluate: () => unknown): Outcome {
  try {
    return { value: evaluate() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

describe("$filter and $sortArray", () => {
  const server = mingoOptions({});
  const mingo = mingoOptions({}, { context: stock });

  it.each(EXPRESSIONS("$a").map((expression) => [JSON.stringify(expression), expression] as const))("answer as mingo's for %s", (_name, expression) => {
    for (const array of ARRAYS) {
      for (const b of [undefined, 1, null, "a"]) {
        const doc: Doc = { ...(array === undefined ? {} : { a: array }), ...(b === undefined ? {} : { b }) };
        const expected = outcome(() => evalExpr(doc, expression, mingo as never));
        const actual = outcome(() => evalExpr(doc, expression, server as never));
        expect(actual, `a = ${String(JSON.stringify(array))}, b = ${String(b)}`).toEqual(expected);
        if ("value" in expected && Array.isArray(expected.value)) {
          // -0 and 0 in the same places: toEqual alone would not tell.
          expect((actual as { value: unknown[] }).value.map((value) => Object.is(value, -0))).toEqual(expected.value.map((value) => Object.is(value, -0)));
        }
      }
    }
  });

  it("filters and sorts a long array of numbers and nulls (a report's $push)", () => {
    const values = Array.from({ length: 20_000 }, (_, n) => (n % 3 === 0 ? null : ((n * 7919) % 1000) / 10));
    const expression = { $sortArray: { input: { $filter: { input: "$a", cond: { $ne: ["$$this", null] } } }, sortBy: 1 } };
    const sorted = evalExpr({ a: values }, expression, server as never) as number[];
    expect(sorted).toEqual(evalExpr({ a: values }, expression, mingo as never));
    expect(sorted).toHaveLength(values.filter((value) => value !== null).length);
    expect(sorted[0]).toBeLessThanOrEqual(sorted.at(-1)!);
  });
});
