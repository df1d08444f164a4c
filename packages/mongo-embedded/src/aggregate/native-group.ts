/**
 * `$group` without mingo's interpreter, for the specifications it can compile: over the same plain
 * documents, with mingo's own semantics, but each expression compiled once into closures
 * (compiled-expressions.ts) instead of being interpreted anew for every document, which is where a
 * report over 50,000 documents spent most of its time. Groups are keyed as mingo's `groupBy` keys them
 * (its HashMap), so groups and their order are mingo's. Anything else (other accumulators, global variables, operators that are
 * not compiled) answers `undefined`, and the stage runs in mingo.
 */
import { compare, HashMap, isNumber, resolve as mingoResolve } from "mingo/util";
import type { Doc } from "../bson-values.js";
import { computeOptions, expressionCompiler, truthy, type Evaluate } from "./compiled-expressions.js";
import { isPlainObject, toPlainTracked } from "./typed-values.js";

const resolve = (value: unknown, path: string): unknown => mingoResolve(value as never, path);
/** A value resolved in a typed document, as in its plain form (compiled-expressions.ts plainValue). */
const plainResolve = (value: unknown, path: string): unknown => {
  const found = resolve(value, path);
  return found === null || typeof found !== "object" || found instanceof Date ? found : toPlainTracked(found);
};
const isNil = (value: unknown): boolean => value === null || value === undefined;

/**
 * One accumulator's state over one group: given each of the group's documents in order (`add`), then
 * asked for its value. The documents go through all accumulators one at a time, so that an expression
 * several accumulators share is evaluated once per document (compiled-expressions.ts).
 */
interface Running {
  add(doc: Doc): void;
  value(group: GroupSeen): unknown;
}

/** What a group keeps of its documents: their number, the first and the last (the others are not held). */
interface GroupSeen {
  count: number;
  first: Doc;
  last: Doc;
}
type Accumulator = () => Running;
const IGNORE = (): void => {};

function compileAccumulator(
  spec: unknown,
  compileExpression: (expression: unknown) => Evaluate | undefined,
  typedDocuments: boolean,
): Accumulator | undefined {
  if (!isPlainObject(spec)) return undefined;
  const keys = Object.keys(spec);
  if (keys.length !== 1) return undefined;
  const [name] = keys;
  const operand = spec[name];
  switch (name) {
    case "$sum": {
      if (isNumber(operand)) return () => ({ add: IGNORE, value: (group) => group.count * (operand as number) });
      const counting = conditionalNumbers(operand);
      if (counting) {
        // A count of the documents meeting a condition: the condition alone per document, no $cond to evaluate.
        const condition = compileExpression(counting.condition);
        if (!condition) return undefined;
        const { then, otherwise } = counting;
        return () => {
          let sum = 0;
          return {
            add: (doc) => {
              sum += truthy(condition(doc)) ? then : otherwise;
            },
            value: () => sum,
          };
        };
      }
      const evaluate = compileExpression(operand);
      if (!evaluate) return undefined;
      return () => {
        let sum = 0;
        return {
          add: (doc) => {
            const value = evaluate(doc);
            if (isNumber(value)) sum += value as number;
          },
          value: () => sum,
        };
      };
    }
    case "$push": {
      if (isNil(operand)) return undefined;
      const evaluate = compileExpression(operand);
      if (!evaluate) return undefined;
      return () => {
        const values: unknown[] = [];
        return { add: (doc) => values.push(evaluate(doc) ?? null), value: () => values };
      };
    }
    case "$min":
    case "$max": {
      const evaluate = compileExpression(operand);
      if (!evaluate) return undefined;
      // As mingo sorts: the first of the smallest for $min, the last of the largest for $max.
      return () => {
        let best: unknown;
        let found = false;
        return {
          add: (doc) => {
            const value = evaluate(doc) ?? null;
            if (name === "$min") {
              if (isNil(value)) return;
              if (!found || compare(value, best) < 0) best = value;
            } else if (!found || compare(value, best) >= 0) best = value;
            found = true;
          },
          value: () => (isNil(best) ? null : best),
        };
      };
    }
    case "$first":
    case "$last": {
      const evaluate = compileExpression(operand);
      if (!evaluate) return undefined;
      return () => ({ add: IGNORE, value: (group) => evaluate(name === "$first" ? group.first : group.last) ?? null });
    }
    case "$top": {
      if (!isPlainObject(operand) || !isPlainObject(operand.sortBy) || Object.keys(operand).some((key) => key !== "sortBy" && key !== "output")) return undefined;
      const sortBy = Object.entries(operand.sortBy);
      if (sortBy.length === 0 || sortBy.some(([, direction]) => direction !== 1 && direction !== -1)) return undefined;
      const output = isNil(operand.output) ? undefined : compileExpression(operand.output);
      if (!output) return undefined;
      // mingo sorts stably key by key: the first document in sort order wins, the earliest on ties.
      const read = typedDocuments ? plainResolve : resolve;
      const before = (a: Doc, b: Doc): number => {
        for (const [path, direction] of sortBy) {
          // mingo's $sort groups documents by key with `groupBy`, where missing is null.
          const order = compare(read(a, path) ?? null, read(b, path) ?? null) * (direction as number);
          if (order !== 0) return order;
        }
        return 0;
      };
      return () => {
        let chosen: Doc | undefined;
        return {
          add: (doc) => {
            if (chosen === undefined || before(doc, chosen) < 0) chosen = doc;
          },
          value: () => output(chosen!) ?? null,
        };
      };
    }
    default:
      return undefined;
  }
}

/** `{$cond: [condition, a, b]}` (or its `if`/`then`/`else` form) with finite numbers for a and b: its parts. */
function conditionalNumbers(expression: unknown): { condition: unknown; then: number; otherwise: number } | undefined {
  if (!isPlainObject(expression) || Object.keys(expression).length !== 1 || !("$cond" in expression)) return undefined;
  const operand = expression.$cond;
  const parts = Array.isArray(operand) ? operand : isPlainObject(operand) && Object.keys(operand).length === 3 ? [operand.if, operand.then, operand.else] : undefined;
  if (!parts || parts.length !== 3) return undefined;
  const [condition, then, otherwise] = parts;
  return typeof then === "number" && Number.isFinite(then) && typeof otherwise === "number" && Number.isFinite(otherwise)
    ? { condition, then, otherwise }
    : undefined;
}

/**
 * A `$group` over plain documents (or typed ones, with `typedDocuments`: their values are converted as
 * they are read), or undefined when the specification needs mingo. `spec` is prepared for mingo
 * (prepareForMingo) and checked; `mingoOptions` are the run's options. The output is plain.
 */
export function compileNativeGroup(
  spec: Doc,
  mingoOptions: Record<string, unknown>,
  typedDocuments = false,
): ((docs: Iterable<Doc>) => Doc[]) | undefined {
  if (mingoOptions.variables !== undefined && Object.keys(mingoOptions.variables as Doc).length > 0) return undefined;
  const options = computeOptions(mingoOptions);
  const compile = expressionCompiler(spec, { mingoOptions: options, typedDocuments });
  const groupId = compile(spec._id);
  if (!groupId) return undefined;
  const fields: Array<readonly [string, Accumulator]> = [];
  for (const [name, accumulator] of Object.entries(spec)) {
    if (name === "_id") continue;
    const compiled = compileAccumulator(accumulator, compile, typedDocuments);
    if (!compiled) return undefined;
    fields.push([name, compiled]);
  }
  // Streamed: each document goes through the accumulators of its group as it comes, and none is held
  // but a group's first and last, so a report over a collection allocates per document only what dies
  // young. Groups and their order are mingo's groupBy's: a HashMap by key (missing as null), in order
  // of first appearance.
  return (docs) => {
    const groups = HashMap.init<unknown, GroupSeen & { running: Running[] }>();
    for (const doc of docs) {
      const key = groupId(doc) ?? null;
      let group = groups.get(key);
      if (group === undefined) {
        group = { count: 0, first: doc, last: doc, running: fields.map(([, accumulator]) => accumulator()) };
        groups.set(key, group);
      }
      group.count++;
      group.last = doc;
      const running = group.running;
      for (let index = 0; index < running.length; index++) running[index]!.add(doc);
    }
    const output: Doc[] = [];
    for (const [key, group] of groups) {
      const result: Doc = { _id: key };
      fields.forEach(([name], index) => (result[name] = group.running[index]!.value(group)));
      output.push(result);
    }
    return output;
  };
}
