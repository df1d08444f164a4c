/**
 * mingo's `$filter` and `$sortArray`, with the same answers, quicker on the arrays a `$group` builds
 * (a report's `$push` of one value per request, tens of thousands long): `$filter`'s condition is
 * compiled once (compiled-expressions.ts) rather than interpreted for every element, and `$sortArray`
 * of numbers by value compares them directly. Any other form (a `limit`, a condition reading outer
 * variables, elements that are not all numbers) is mingo's own operator.
 */
import { evalExpr } from "mingo/core";
import { compileWithVariables, truthy, type Evaluate } from "./compiled-expressions.js";
import { isPlainObject } from "./typed-values.js";

type MingoOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;
/** `notNull`: the condition is `$$this` (or its `as`) `$ne` null, which needs no evaluation for most elements. */
type CompiledCondition = { evaluate: Evaluate; cell: { value: unknown }; notNull: boolean } | null;

export function fasterFilter(mingoFilter: MingoOperator): MingoOperator {
  // Per specification object: the same object comes back for every document of a stage.
  const conditions = new WeakMap<object, CompiledCondition>();
  const conditionFor = (expr: Record<string, unknown>, options: unknown): CompiledCondition => {
    let condition = conditions.get(expr);
    if (condition === undefined) {
      // mingo's default name, also for an empty `as`.
      const name = typeof expr.as === "string" && expr.as !== "" ? expr.as : "this";
      const compiled = expr.as === undefined || typeof expr.as === "string" ? compileWithVariables(expr.cond, [name], { mingoOptions: options }) : undefined;
      condition = compiled ? { evaluate: compiled.evaluate, cell: compiled.cells[0]!, notNull: isNotNullTest(expr.cond, name) } : null;
      conditions.set(expr, condition);
    }
    return condition;
  };
  return (obj, expr, options) => {
    if (!isPlainObject(expr) || !("input" in expr) || !("cond" in expr) || expr.limit !== undefined) return mingoFilter(obj, expr, options);
    const condition = conditionFor(expr, options);
    if (!condition) return mingoFilter(obj, expr, options);
    const input = evalExpr(obj as never, expr.input as never, options as never);
    // null, missing, a non-array (mingo's error) and the empty array: mingo's, without evaluating again.
    if (!Array.isArray(input) || input.length === 0) return mingoFilter(obj, { ...expr, input: { $literal: input } }, options);
    const { evaluate, cell, notNull } = condition;
    const kept: unknown[] = [];
    if (notNull) {
      // What `$ne` answers without evaluating: false for null and missing, true for any other value
      // but an array (which `$ne` compares its own way).
      for (const element of input) {
        if (element === null || element === undefined) continue;
        if (Array.isArray(element)) {
          cell.value = element;
          if (!truthy(evaluate(obj as Record<string, unknown>))) continue;
        }
        kept.push(element);
      }
      return kept;
    }
    for (const element of input) {
      cell.value = element;
      if (truthy(evaluate(obj as Record<string, unknown>))) kept.push(element);
    }
    return kept;
  };
}

/** Whether `cond` is `{$ne: ["$$name", null]}` or `{$ne: [null, "$$name"]}`. */
function isNotNullTest(cond: unknown, name: string): boolean {
  if (!isPlainObject(cond) || Object.keys(cond).length !== 1 || !Array.isArray(cond.$ne) || cond.$ne.length !== 2) return false;
  const [a, b] = cond.$ne as unknown[];
  const variable = `$$${name}`;
  return (a === variable && b === null) || (a === null && b === variable);
}

/** mingo's `compare` between two numbers that are not NaN: equal, or by value. */
const numberOrder = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

export function fasterSortArray(mingoSortArray: MingoOperator): MingoOperator {
  return (obj, expr, options) => {
    if (!isPlainObject(expr) || !("input" in expr) || (expr.sortBy !== 1 && expr.sortBy !== -1)) return mingoSortArray(obj, expr, options);
    const input = evalExpr(obj as never, expr.input as never, options as never);
    const numbers = Array.isArray(input) && input.every((value) => typeof value === "number" && !Number.isNaN(value));
    if (!numbers) return mingoSortArray(obj, { ...expr, input: { $literal: input } }, options);
    // Array#sort is stable, as in mingo, so equal numbers (0 and -0) keep their order. Without a -0,
    // equal numbers cannot be told apart, and a Float64Array sorts the same numbers without a comparator.
    const sorted = (input as number[]).some((value) => Object.is(value, -0))
      ? (input as number[]).slice().sort(numberOrder)
      : Array.from(Float64Array.from(input as number[]).sort());
    if (expr.sortBy === -1) sorted.reverse();
    return sorted;
  };
}
