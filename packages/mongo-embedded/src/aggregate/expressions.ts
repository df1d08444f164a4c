/**
 * Aggregation expressions over typed documents, evaluated by mingo on plain values. Shared by
 * find projections (computed fields) and the pipeline's own stages ($lookup `let`).
 */
import { Context } from "mingo";
import { Aggregator } from "mingo/aggregator";
import * as accumulatorOperators from "mingo/operators/accumulator";
import * as expressionOperators from "mingo/operators/expression";
import * as pipelineOperators from "mingo/operators/pipeline";
import * as projectionOperators from "mingo/operators/projection";
import * as queryOperators from "mingo/operators/query";
import * as windowOperators from "mingo/operators/window";
import type { Doc } from "../bson-values.js";
import { MongoCommandError, ErrorCodes } from "../errors.js";
import { fasterFilter, fasterSortArray } from "./array-operators.js";
import { fromPlain, isPlainObject, toPlainTracked } from "./typed-values.js";

export interface ExpressionEnvironment {
  /** `$$name` variables (typed values). */
  variables?: Doc;
  /** The value of `$$NOW`. */
  now?: Date;
}

/**
 * A specification as mingo needs it: numbers of every BSON type become JS numbers (the ones
 * inside `$literal` remember their type for the way back), and `$$NOW` becomes the pipeline's
 * moment as a literal, because mingo reads `$$NOW` from its own clock with no public way to set it.
 */
export function prepareForMingo<T>(spec: T, now: Date | undefined): T {
  const prepare = (value: unknown): unknown => {
    if (value === "$$NOW" && now !== undefined) return { $literal: now };
    if (Array.isArray(value)) return value.map(prepare);
    if (isPlainObject(value)) {
      const prepared: Doc = {};
      for (const [key, element] of Object.entries(value)) {
        prepared[key] = key === "$literal" ? toPlainTracked(element) : prepare(element);
      }
      return prepared;
    }
    return toPlainTracked(value);
  };
  return prepare(spec) as T;
}

/**
 * A query filter with `$$NOW` inside its `$expr`s bound to the pipeline's moment, for the server's
 * matcher (which evaluates `$expr` with mingo, whose clock is its own). Elsewhere in a filter
 * "$$NOW" is just a string.
 */
export function bindNowInFilter(filter: Doc, now: Date | undefined): Doc {
  if (now === undefined) return filter;
  const bindExpression = (value: unknown): unknown => {
    if (value === "$$NOW") return { $literal: now };
    if (Array.isArray(value)) return value.map(bindExpression);
    if (!isPlainObject(value)) return value;
    const bound: Doc = {};
    for (const [key, element] of Object.entries(value)) bound[key] = key === "$literal" ? element : bindExpression(element);
    return bound;
  };
  const bindFilter = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(bindFilter);
    if (!isPlainObject(value)) return value;
    const bound: Doc = {};
    for (const [key, element] of Object.entries(value)) bound[key] = key === "$expr" ? bindExpression(element) : bindFilter(element);
    return bound;
  };
  return bindFilter(filter) as Doc;
}

type Accumulator = (collection: unknown[], expression: unknown, options: unknown) => unknown;

/** mingo's $top and $bottom return a one-element array where MongoDB returns the element. */
const firstOf =
  (accumulator: Accumulator): Accumulator =>
  (collection, expression, options) => {
    const result = accumulator(collection, expression, options);
    return Array.isArray(result) ? result[0] : result;
  };

type ExpressionOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;
const mingoExpression = expressionOperators as unknown as Record<string, ExpressionOperator>;

/**
 * mingo's operators with corrections, and with quicker equivalents of $filter and $sortArray
 * (array-operators.ts). Built here rather than layered over the `mingo` entry's
 * default context, because when contexts merge the operator registered first wins.
 */
export const mingoOperators = Context.init({
  accumulator: {
    ...accumulatorOperators,
    $top: firstOf(accumulatorOperators.$top as unknown as Accumulator),
    $bottom: firstOf(accumulatorOperators.$bottom as unknown as Accumulator),
  },
  expression: {
    ...expressionOperators,
    $filter: fasterFilter(mingoExpression.$filter!),
    $sortArray: fasterSortArray(mingoExpression.$sortArray!),
  },
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: queryOperators,
  window: windowOperators,
} as unknown as Parameters<typeof Context.init>[0]);

/**
 * mingo's options for a run: strict MongoDB semantics, the given variables as plain values.
 * Scripts stay enabled because mingo's $setWindowFields is built on $function; a client cannot
 * send a JS function over the wire (BSON Code arrives as a string, which mingo does not run).
 */
export function mingoOptions(environment: ExpressionEnvironment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const variables = environment.variables ? (toPlainTracked(environment.variables) as Doc) : undefined;
  return { useStrictMode: true, scriptEnabled: true, variables, context: mingoOperators, ...extra };
}

/** A mingo failure (a MingoError or a TypeError from deep inside) as a command error. */
export function asMingoCommandError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MongoCommandError(ErrorCodes.BadValue, message, { cause: error });
}

/** `$a.b.c` as MongoDB's ExpressionFieldPath reads it: arrays map over their elements, non-documents drop out. */
export function fieldPathValue(value: unknown, parts: readonly string[], index = 0): unknown {
  if (index === parts.length) return value;
  if (Array.isArray(value)) {
    const values: unknown[] = [];
    for (const element of value) {
      if (!Array.isArray(element) && !isPlainObject(element)) continue;
      const found = fieldPathValue(element, parts, index);
      if (found !== undefined) values.push(found);
    }
    return values;
  }
  if (!isPlainObject(value)) return undefined;
  return fieldPathValue(value[parts[index]], parts, index + 1);
}

/** A plain `$field.path` (not a `$$variable`), as its path components. */
export function simpleFieldPath(expression: unknown): string[] | undefined {
  if (typeof expression !== "string" || !expression.startsWith("$") || expression.startsWith("$$")) return undefined;
  return expression.slice(1).split(".");
}

/**
 * Compiles named expressions into one evaluator returning their typed values (missing results
 * are left out). Field paths are read straight from the typed document so that they keep their
 * exact BSON types; everything else goes through mingo.
 */
export function compileExpressions(
  expressions: ReadonlyArray<readonly [name: string, expression: unknown]>,
  environment: ExpressionEnvironment = {},
): (doc: Doc) => Map<string, unknown> {
  // Each expression is either a field path read directly or a slot of one mingo evaluation.
  const evaluators: Array<{ name: string; path?: string[]; slot?: string }> = [];
  const computed: Doc = {};
  expressions.forEach(([name, expression], index) => {
    const path = simpleFieldPath(expression);
    if (path) {
      evaluators.push({ name, path });
    } else {
      const slot = `e${index}`;
      computed[slot] = prepareForMingo(expression, environment.now);
      evaluators.push({ name, slot });
    }
  });
  let aggregator: Aggregator | undefined;
  if (Object.keys(computed).length > 0) {
    try {
      aggregator = new Aggregator([{ $replaceWith: computed }], mingoOptions(environment));
    } catch (error) {
      throw asMingoCommandError(error);
    }
  }
  return (doc) => {
    let computedValues: Doc = {};
    if (aggregator) {
      try {
        computedValues = aggregator.run<Doc>([toPlainTracked(doc) as Doc])[0] ?? {};
      } catch (error) {
        throw asMingoCommandError(error);
      }
    }
    const values = new Map<string, unknown>();
    for (const { name, path, slot } of evaluators) {
      const value = path ? fieldPathValue(doc, path) : fromPlain(computedValues[slot!]);
      if (value !== undefined) values.set(name, value);
    }
    return values;
  };
}
