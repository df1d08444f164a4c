/**
 * `$group` without mingo's interpreter, for the specifications it can compile: over the same plain
 * documents, with mingo's own semantics, but each expression compiled once into closures instead of
 * being interpreted anew for every document (which is where a report over 50,000 documents spent
 * most of its time). Control flow ($cond, $switch, $and, $or, $not, $ifNull, $let), field paths,
 * variables and literals are compiled here, written after mingo's operators; every other operator
 * is mingo's own function, called with its arguments already evaluated. Grouping uses mingo's
 * `groupBy`, so groups and their order are mingo's. Anything else (other accumulators, global
 * variables, operators outside the list) answers `undefined`, and the stage runs in mingo.
 */
import { Context, evalExpr } from "mingo/core";
import * as expressionOperators from "mingo/operators/expression";
import { compare, groupBy, isEqual, isNumber, resolve as mingoResolve } from "mingo/util";
import type { Doc } from "../bson-values.js";
import { isPlainObject } from "./typed-values.js";

type Scope = Record<string, unknown>;
const resolve = (value: unknown, path: string): unknown => mingoResolve(value as never, path);
type Evaluate = (root: Doc, scope: Scope) => unknown;
type MingoOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;

/** Operators whose every argument is an ordinary expression: evaluated here, then applied by mingo. */
const APPLIED_OPERATORS = new Set(["$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$cmp", "$in", "$type", "$subtract", "$divide", "$add", "$multiply"]);

const isNil = (value: unknown): boolean => value === null || value === undefined;
/** mingo's `truthy` in strict mode: MongoDB's, where "" is true. */
const truthy = (value: unknown): boolean => !!value || value === "";

/** What a fast path answers when the values are not the common case it handles: mingo decides. */
const SLOW = Symbol("slow");

/** Orders two values as mingo's comparison operators do, for the common pairs; SLOW otherwise. */
function simpleOrder(a: unknown, b: unknown): number | typeof SLOW {
  if (a === b) return 0;
  let x: unknown;
  let y: unknown;
  if ((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")) {
    x = a;
    y = b;
  } else if (a instanceof Date && b instanceof Date) {
    x = a.getTime();
    y = b.getTime();
  } else return SLOW;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

const comparison =
  (test: (order: number) => boolean) =>
  (args: unknown): unknown => {
    const [a, b] = args as unknown[];
    // Values of different types (or a missing one) compare false in mingo; arrays match by element.
    if (Array.isArray(a) || Array.isArray(b)) return SLOW;
    const order = simpleOrder(a, b);
    return order === SLOW ? SLOW : test(order);
  };

const MIN_INT = -2147483648;
const MAX_INT = 2147483647;

/**
 * The operators' own logic (mingo's, as in its sources) for the values reports meet most: numbers,
 * strings, dates, null and missing. Anything else is SLOW and goes to mingo's function.
 */
const FAST_PATHS: Record<string, (args: unknown) => unknown> = {
  $eq: (args) => {
    const [a, b] = args as unknown[];
    if (Array.isArray(a)) return SLOW;
    return isEqual(a, b) || (isNil(a) && isNil(b));
  },
  $ne: (args) => {
    const [a, b] = args as unknown[];
    if (Array.isArray(a)) return SLOW;
    return !(isEqual(a, b) || (isNil(a) && isNil(b)));
  },
  $lt: comparison((order) => order < 0),
  $lte: comparison((order) => order <= 0),
  $gt: comparison((order) => order > 0),
  $gte: comparison((order) => order >= 0),
  $in: (args) => {
    const [item, values] = args as unknown[];
    if (!Array.isArray(values)) return SLOW;
    for (const value of values) if (isEqual(value, item)) return true;
    return false;
  },
  $type: (value) => {
    if (value === undefined) return "missing";
    if (value === null) return "null";
    if (value === true || value === false) return "bool";
    if (typeof value === "string") return "string";
    if (value instanceof Date) return "date";
    if (isNumber(value)) return (value as number) % 1 !== 0 ? "double" : (value as number) >= MIN_INT && (value as number) <= MAX_INT ? "int" : "long";
    return SLOW;
  },
  $subtract: (args) => {
    const [a, b] = args as unknown[];
    if (isNil(a) || isNil(b)) return null;
    if (a instanceof Date && isNumber(b)) return new Date(+a - Math.round(b as number));
    if (a instanceof Date && b instanceof Date) return +a - +b;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return SLOW;
  },
  $divide: (args) => {
    const [a, b] = args as unknown[];
    if (isNil(a) || isNil(b)) return null;
    if (isNumber(a) && isNumber(b) && b !== 0) return (a as number) / (b as number);
    return SLOW;
  },
};

/** A value passed to a mingo operator as an already-evaluated argument: `$literal` unless it means itself. */
function asArgument(value: unknown): unknown {
  if ((typeof value === "string" && value.startsWith("$")) || Array.isArray(value) || isPlainObject(value)) return { $literal: value };
  return value;
}

/**
 * Compiles an aggregation expression (already prepared for mingo) into a closure; undefined when it
 * uses anything not compiled here. `bound` names the variables of enclosing `$let`s.
 */
function compileExpression(expression: unknown, bound: ReadonlySet<string>, options: unknown): Evaluate | undefined {
  if (typeof expression === "string" && expression.startsWith("$")) {
    if (expression === "$$KEEP" || expression === "$$PRUNE" || expression === "$$DESCEND") return () => expression;
    const dot = expression.indexOf(".");
    const prefix = dot === -1 ? expression : expression.slice(0, dot);
    const rest = dot === -1 ? "" : expression.slice(dot + 1);
    if (prefix === "$$ROOT" || prefix === "$$CURRENT") return rest === "" ? (root) => root : (root) => resolve(root, rest);
    if (prefix === "$$REMOVE") return () => undefined;
    if (prefix.startsWith("$$")) {
      const name = prefix.slice(2);
      if (!bound.has(name)) return undefined;
      const path = expression.slice(2);
      return (_root, scope) => resolve(scope, path);
    }
    const path = expression.slice(1);
    return (root) => resolve(root, path);
  }
  if (Array.isArray(expression)) {
    const elements = expression.map((element) => compileExpression(element, bound, options));
    if (elements.some((element) => element === undefined)) return undefined;
    const compiled = elements as Evaluate[];
    return (root, scope) => compiled.map((element) => element(root, scope));
  }
  if (isPlainObject(expression)) {
    const keys = Object.keys(expression);
    if (keys.length > 0 && keys[0].startsWith("$")) {
      if (keys.length !== 1) return undefined;
      return compileOperator(keys[0], expression[keys[0]], bound, options);
    }
    const fields = keys.map((key) => [key, compileExpression(expression[key], bound, options)] as const);
    if (fields.some(([, field]) => field === undefined)) return undefined;
    return (root, scope) => {
      const result: Doc = {};
      for (const [key, field] of fields) result[key] = field!(root, scope);
      return result;
    };
  }
  return () => expression;
}

function compileOperator(operator: string, operand: unknown, bound: ReadonlySet<string>, options: unknown): Evaluate | undefined {
  const compile = (expression: unknown, names = bound) => compileExpression(expression, names, options);
  switch (operator) {
    case "$literal":
      return () => operand;
    case "$cond": {
      const parts = Array.isArray(operand) ? operand : isPlainObject(operand) ? [operand.if, operand.then, operand.else] : undefined;
      if (!parts || parts.length !== 3) return undefined;
      const [condition, then, otherwise] = parts.map((part) => compile(part));
      if (!condition || !then || !otherwise) return undefined;
      return (root, scope) => (truthy(condition(root, scope)) ? then(root, scope) : otherwise(root, scope));
    }
    case "$and":
    case "$or": {
      if (!Array.isArray(operand)) return undefined;
      const clauses = operand.map((clause) => compile(clause));
      if (clauses.some((clause) => clause === undefined)) return undefined;
      const compiled = clauses as Evaluate[];
      return operator === "$and"
        ? (root, scope) => compiled.every((clause) => truthy(clause(root, scope)))
        : (root, scope) => compiled.some((clause) => truthy(clause(root, scope)));
    }
    case "$not": {
      const inner = Array.isArray(operand) ? operand : [operand];
      if (inner.length !== 1) return undefined;
      const compiled = compile(inner[0]);
      return compiled && ((root, scope) => !compiled(root, scope));
    }
    case "$ifNull": {
      if (!Array.isArray(operand)) return undefined;
      const inputs = operand.map((input) => compile(input));
      if (inputs.some((input) => input === undefined)) return undefined;
      return (root, scope) => {
        let value: unknown;
        for (const input of inputs) {
          value = input!(root, scope);
          if (!isNil(value)) return value;
        }
        return value;
      };
    }
    case "$switch": {
      if (!isPlainObject(operand) || !Array.isArray(operand.branches) || !operand.branches.every(isPlainObject)) return undefined;
      if (operand.default === undefined) return undefined; // mingo's error for an unmatched input stays mingo's
      const branches = (operand.branches as Doc[]).map((branch) => [compile(branch.case), compile(branch.then)] as const);
      const otherwise = compile(operand.default);
      if (!otherwise || branches.some(([condition, then]) => !condition || !then)) return undefined;
      return (root, scope) => {
        for (const [condition, then] of branches) if (truthy(condition!(root, scope))) return then!(root, scope);
        return otherwise(root, scope);
      };
    }
    case "$let": {
      if (!isPlainObject(operand) || !isPlainObject(operand.vars)) return undefined;
      const names = Object.keys(operand.vars);
      const variables = names.map((name) => [name, compile((operand.vars as Doc)[name])] as const);
      const body = compile(operand.in, new Set([...bound, ...names]));
      if (!body || variables.some(([, variable]) => !variable)) return undefined;
      return (root, scope) => {
        const inner: Scope = { ...scope };
        for (const [name, variable] of variables) inner[name] = variable!(root, scope);
        return body(root, inner);
      };
    }
    default: {
      const apply = (expressionOperators as unknown as Record<string, MingoOperator>)[operator];
      if (!APPLIED_OPERATORS.has(operator) || !apply) return undefined;
      const viaMingo = (root: Doc, value: unknown): unknown =>
        apply(root, Array.isArray(value) ? value.map(asArgument) : asArgument(value), options);
      const fast = FAST_PATHS[operator] as ((args: unknown) => unknown) | undefined;
      if (Array.isArray(operand)) {
        const args = operand.map((argument) => compile(argument));
        if (args.some((argument) => argument === undefined)) return undefined;
        const compiled = args as Evaluate[];
        if (fast && compiled.length === 2) {
          const [left, right] = compiled;
          return (root, scope) => {
            const a = left(root, scope);
            const b = right(root, scope);
            const answer = fast([a, b]);
            return answer === SLOW ? viaMingo(root, [a, b]) : answer;
          };
        }
        return (root, scope) => viaMingo(root, compiled.map((argument) => argument(root, scope)));
      }
      const argument = compile(operand);
      if (!argument) return undefined;
      return (root, scope) => {
        const value = argument(root, scope);
        // Only $type takes one operand; the others' fast paths expect their two arguments.
        const answer = fast && operator === "$type" && !Array.isArray(value) ? fast(value) : SLOW;
        return answer === SLOW ? viaMingo(root, value) : answer;
      };
    }
  }
}

type Accumulate = (group: Doc[]) => unknown;

function compileAccumulator(spec: unknown, options: unknown): Accumulate | undefined {
  if (!isPlainObject(spec)) return undefined;
  const keys = Object.keys(spec);
  if (keys.length !== 1) return undefined;
  const [name] = keys;
  const operand = spec[name];
  const none = new Set<string>();
  const values = (evaluate: Evaluate, group: Doc[]): unknown[] => group.map((doc) => evaluate(doc, {}) ?? null);
  switch (name) {
    case "$sum": {
      if (isNumber(operand)) return (group) => group.length * (operand as number);
      const evaluate = compileExpression(operand, none, options);
      return (
        evaluate &&
        ((group) => {
          let sum = 0;
          for (const doc of group) {
            const value = evaluate(doc, {});
            if (isNumber(value)) sum += value as number;
          }
          return sum;
        })
      );
    }
    case "$push": {
      if (isNil(operand)) return undefined;
      const evaluate = compileExpression(operand, none, options);
      return evaluate && ((group) => values(evaluate, group));
    }
    case "$min":
    case "$max": {
      const evaluate = compileExpression(operand, none, options);
      if (!evaluate) return undefined;
      // As mingo sorts: the first of the smallest for $min, the last of the largest for $max.
      return (group) => {
        let best: unknown;
        let found = false;
        for (const value of values(evaluate, group)) {
          if (name === "$min") {
            if (isNil(value)) continue;
            if (!found || compare(value, best) < 0) best = value;
          } else if (!found || compare(value, best) >= 0) best = value;
          found = true;
        }
        return isNil(best) ? null : best;
      };
    }
    case "$first":
    case "$last": {
      const evaluate = compileExpression(operand, none, options);
      return evaluate && ((group) => evaluate(name === "$first" ? group[0] : group[group.length - 1], {}) ?? null);
    }
    case "$top": {
      if (!isPlainObject(operand) || !isPlainObject(operand.sortBy) || Object.keys(operand).some((key) => key !== "sortBy" && key !== "output")) return undefined;
      const sortBy = Object.entries(operand.sortBy);
      if (sortBy.length === 0 || sortBy.some(([, direction]) => direction !== 1 && direction !== -1)) return undefined;
      const output = isNil(operand.output) ? undefined : compileExpression(operand.output, none, options);
      if (!output) return undefined;
      // mingo sorts stably key by key: the first document in sort order wins, the earliest on ties.
      const before = (a: Doc, b: Doc): number => {
        for (const [path, direction] of sortBy) {
          // mingo's $sort groups documents by key with `groupBy`, where missing is null.
          const order = compare(resolve(a, path) ?? null, resolve(b, path) ?? null) * (direction as number);
          if (order !== 0) return order;
        }
        return 0;
      };
      return (group) => {
        let chosen = group[0];
        for (let index = 1; index < group.length; index++) {
          const order = before(group[index], chosen);
          if (order < 0) chosen = group[index];
        }
        return output(chosen, {}) ?? null;
      };
    }
    default:
      return undefined;
  }
}

/**
 * mingo's compute options for these options, made once: given plain options, each operator call
 * would build its own, copying the whole operator table every time. Captured from inside mingo,
 * which makes them, because their class is not exported.
 */
function computeOptions(mingoOptions: Record<string, unknown>): unknown {
  let captured: unknown;
  const capture = (_obj: unknown, _expr: unknown, options: unknown) => {
    captured = options;
    return null;
  };
  const context = Context.from(mingoOptions.context as Context).addExpressionOps({ $captureComputeOptions: capture } as never);
  evalExpr({}, { $captureComputeOptions: null }, { ...mingoOptions, context } as never);
  return captured;
}

/**
 * A `$group` over plain documents, or undefined when the specification needs mingo. `spec` is
 * prepared for mingo (prepareForMingo) and checked; `mingoOptions` are the run's options.
 */
export function compileNativeGroup(spec: Doc, mingoOptions: Record<string, unknown>): ((docs: Doc[]) => Doc[]) | undefined {
  if (mingoOptions.variables !== undefined && Object.keys(mingoOptions.variables as Doc).length > 0) return undefined;
  const options = computeOptions(mingoOptions);
  const groupId = compileExpression(spec._id, new Set(), options);
  if (!groupId) return undefined;
  const fields: Array<readonly [string, Accumulate]> = [];
  for (const [name, accumulator] of Object.entries(spec)) {
    if (name === "_id") continue;
    const compiled = compileAccumulator(accumulator, options);
    if (!compiled) return undefined;
    fields.push([name, compiled]);
  }
  return (docs) => {
    const partitions = groupBy(docs, (doc) => groupId(doc as Doc, {})) as Map<unknown, Doc[]>;
    const output: Doc[] = [];
    for (const [key, group] of partitions) {
      const result: Doc = {};
      if (key !== undefined) result._id = key;
      for (const [name, accumulate] of fields) result[name] = accumulate(group);
      output.push(result);
    }
    return output;
  };
}
