/**
 * Aggregation expressions compiled once into closures over plain documents (the form mingo computes
 * on: every BSON number a JS number), answering exactly what mingo's interpreter answers for the same
 * expression and document. Used where one expression runs over a whole collection ($group's
 * accumulators, native-group.ts): interpreting anew per document, mingo resolves every field path,
 * looks every operator up and allocates argument arrays and variable scopes each time.
 *
 * Compiled natively: field paths, `$$ROOT`/`$$CURRENT`/`$$REMOVE`, `$let` variables, `$literal`,
 * arrays and object expressions, `$cond`, `$switch`, `$and`, `$or`, `$not`, `$ifNull`, `$eq`, `$ne`,
 * `$lt`, `$lte`, `$gt`, `$gte`, `$in`, `$type`, `$add`, `$subtract`, `$multiply`, `$divide`. Each
 * operator handles the values reports meet (numbers, strings, booleans, dates, null and missing) in
 * code written after mingo's, and hands any other value to mingo's own operator function with its
 * arguments already evaluated, so an unusual value (an array, an ObjectId, a number and a date mixed)
 * gets mingo's answer, or its error. An operator outside the list, or a variable not bound by an
 * enclosing `$let`, makes compilation answer `undefined`, and the caller leaves the stage to mingo.
 *
 * Comparison is mingo's, which is the embedded server's aggregation semantics today: values of
 * different types (null against a date, a number against a string) are neither less nor greater, where
 * MongoDB orders them by BSON type. Compiling must not change an answer, so it keeps that.
 */
import { Context, evalExpr } from "mingo/core";
import * as expressionOperators from "mingo/operators/expression";
import { isEqual, resolve as mingoResolve } from "mingo/util";
import type { Doc } from "../bson-values.js";
import { isPlainObject, toPlainTracked } from "./typed-values.js";

/** A compiled expression: its value for one document. Variables live in cells bound at compile time. */
export type Evaluate = (root: Doc) => unknown;
type MingoOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;

/** A `$let` variable's current value: set by its `$let` before the body runs, read by `$$name`. */
interface Cell {
  value: unknown;
}
/**
 * A `$let` variable whose value depends on the document alone (its expression reads no cell): read by
 * evaluating it, once per document, so an expression over it depends on the document alone too, and
 * may be shared like one without variables. `key` is its expression's canonical key.
 */
interface DocumentVariable {
  evaluate: Evaluate;
  key: string | undefined;
}
type Binding = Cell | DocumentVariable;
type Bindings = ReadonlyMap<string, Binding>;
const isDocumentVariable = (binding: Binding): binding is DocumentVariable => "evaluate" in binding;

const isNil = (value: unknown): boolean => value === null || value === undefined;
/** mingo's `truthy` in strict mode: MongoDB's, where "" is true. */
export const truthy = (value: unknown): boolean => !!value || value === "";

/** Names mingo's getValue refuses to read from an object unless the object has them itself. */
const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const isDigits = (segment: string): boolean => segment.length > 0 && /^[0-9]+$/.test(segment);

/**
 * A value read from a typed document (BSON numbers as Int32, Double, Long, Decimal128) as mingo would
 * have read it from the document converted whole (toPlainTracked): converting only what is read spares
 * copying every document for a `$group` that reads strings and dates.
 */
function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? Number(value) : value;
  return value instanceof Date ? value : toPlainTracked(value);
}

/**
 * `$a.b.c` as mingo's `resolve` reads it. Through plain objects it walks directly; anything else on the
 * way (an array, which maps over its elements, a Date or ObjectId, a numeric segment) goes to mingo.
 */
function compilePath(path: string, typed = false): (value: unknown) => unknown {
  const segments = path.split(".");
  const viaMingo = (value: unknown): unknown => mingoResolve(value as never, path);
  // Prototype names and array indexes have their own rules in mingo (and __proto__ its error).
  if (segments.some((segment) => segment === "" || isDigits(segment) || OBJECT_PROTOTYPE_NAMES.has(segment) || segment === "__proto__")) {
    return typed ? (value) => plainValue(viaMingo(value)) : viaMingo;
  }
  // Typed documents are read as from their plain form (the typed walk meets the same documents and
  // arrays), converting the value found. Each shape below is one closure, not a converter wrapped
  // around a reader: a report runs a dozen of these per document.
  if (segments.length === 1) {
    if (typed) return (value) => plainValue(isPlainObject(value) ? value[path] : viaMingo(value));
    return (value) => (isPlainObject(value) ? value[path] : viaMingo(value));
  }
  if (segments.length === 2) {
    const [outer, inner] = segments as [string, string];
    const read = (value: unknown): unknown => {
      if (!isPlainObject(value)) return viaMingo(value);
      const current = value[outer];
      if (current === undefined || current === null) return undefined;
      if (isPlainObject(current)) return current[inner];
      // mingo's getValue reads nothing from a primitive; arrays and other objects are its business.
      return typeof current !== "object" ? undefined : viaMingo(value);
    };
    return typed ? (value) => plainValue(read(value)) : read;
  }
  const read = (value: unknown): unknown => {
    if (!isPlainObject(value)) return viaMingo(value);
    let current: unknown = value;
    for (const segment of segments) {
      if (current === undefined || current === null) return undefined;
      if (!isPlainObject(current)) {
        if (typeof current !== "object") return undefined;
        return viaMingo(value);
      }
      current = current[segment];
    }
    return current;
  };
  return typed ? (value) => plainValue(read(value)) : read;
}

/** What a native operator answers when the values are not the ones it handles: mingo's function decides. */
const SLOW = Symbol("slow");
type Native2 = (a: unknown, b: unknown) => unknown;

/** mingo's `simpleCmp`: NaN is neither below nor above anything, so it compares as equal. */
const simpleOrder = (x: number | string | boolean, y: number | string | boolean): number => (x < y ? -1 : x > y ? 1 : 0);

/** What comparing values of different types answers in mingo, whichever the comparison. */
const UNORDERED = Symbol("unordered");

/**
 * mingo's expression comparison (`compare` in its predicates) for non-array left operands, as an
 * order: values of different types are UNORDERED (every comparison false); the same primitive types,
 * and dates, by value. SLOW for the rest. One function for the four comparisons, each a closure of
 * its own below, so that each call site sees one kind of result.
 */
function orderOf(a: unknown, b: unknown): number | typeof UNORDERED | typeof SLOW {
  if (a instanceof Date) {
    if (b instanceof Date) return a === b ? 0 : simpleOrder(a.getTime(), b.getTime());
    return b === null || typeof b !== "object" ? UNORDERED : SLOW;
  }
  const typeA = typeof a;
  if (typeA === "number" || typeA === "string" || typeA === "boolean") {
    if (typeof b === typeA) return simpleOrder(a as number, b as number);
    return differentType(b);
  }
  if (a === undefined || a === null) {
    if (b === a) return 0;
    return differentType(b);
  }
  return SLOW;
}

/**
 * The answer for a primitive, null or missing left operand and a right one of another type: false,
 * unless the right one is an object whose mingo type name might still match (a boxed primitive).
 */
function differentType(b: unknown): typeof UNORDERED | typeof SLOW {
  return b === null || typeof b !== "object" || b instanceof Date || Array.isArray(b) || isPlainObject(b) ? UNORDERED : SLOW;
}

/** mingo's `isEqual`, directly for primitives and dates. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b);
  if (a instanceof Date && b instanceof Date && a.constructor === Date && b.constructor === Date) return a.getTime() === b.getTime();
  return isEqual(a, b);
}

const MIN_INT = -2147483648;
const MAX_INT = 2147483647;

/** The two-argument operators' own logic, as in mingo's sources, for the values they handle. */
const NATIVE_BINARY: Record<string, Native2> = {
  $eq: (a, b) => (Array.isArray(a) ? SLOW : equal(a, b) || (isNil(a) && isNil(b))),
  $ne: (a, b) => (Array.isArray(a) ? SLOW : !(equal(a, b) || (isNil(a) && isNil(b)))),
  $lt: (a, b) => {
    const order = orderOf(a, b);
    return typeof order === "number" ? order < 0 : order === UNORDERED ? false : SLOW;
  },
  $lte: (a, b) => {
    const order = orderOf(a, b);
    return typeof order === "number" ? order <= 0 : order === UNORDERED ? false : SLOW;
  },
  $gt: (a, b) => {
    const order = orderOf(a, b);
    return typeof order === "number" ? order > 0 : order === UNORDERED ? false : SLOW;
  },
  $gte: (a, b) => {
    const order = orderOf(a, b);
    return typeof order === "number" ? order >= 0 : order === UNORDERED ? false : SLOW;
  },
  $in: (item, values) => {
    if (!Array.isArray(values)) return SLOW;
    for (const value of values) if (equal(value, item)) return true;
    return false;
  },
  $subtract: (a, b) => {
    if (isNil(a) || isNil(b)) return null;
    if (a instanceof Date) {
      if (typeof b === "number" && !Number.isNaN(b)) return new Date(a.getTime() - Math.round(b));
      if (b instanceof Date) return a.getTime() - b.getTime();
      return SLOW;
    }
    if (typeof a === "number" && typeof b === "number") return a - b;
    return SLOW;
  },
  $divide: (a, b) => {
    if (isNil(a) || isNil(b)) return null;
    if (typeof a === "number" && typeof b === "number" && !Number.isNaN(a) && !Number.isNaN(b) && b !== 0) return a / b;
    return SLOW;
  },
};

/** mingo's `$type` in strict mode, for the values it names without looking further. */
function typeName(value: unknown): string | typeof SLOW {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (value === true || value === false) return "bool";
  if (typeof value === "string") return "string";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return SLOW;
    return value % 1 !== 0 ? "double" : value >= MIN_INT && value <= MAX_INT ? "int" : "long";
  }
  if (value instanceof Date && value.constructor === Date) return "date";
  if (Array.isArray(value)) return "array";
  if (isPlainObject(value)) return "object";
  return SLOW;
}

/** mingo's `$add`: in order, null at the first null or missing, one date at most; SLOW where it would fail. */
function add(values: unknown[]): unknown {
  let result = 0;
  let date = false;
  for (const value of values) {
    if (isNil(value)) return null;
    if (typeof value === "number") result += value;
    else if (value instanceof Date && !date) {
      date = true;
      result += value.getTime();
    } else return SLOW;
  }
  return date ? new Date(result) : result;
}

/** mingo's `$multiply`: null if any is null or missing, else numbers only (NaN is not one). */
function multiply(values: unknown[]): unknown {
  for (const value of values) if (isNil(value)) return null;
  let result = 1;
  for (const value of values) {
    if (typeof value !== "number" || Number.isNaN(value)) return SLOW;
    result *= value;
  }
  return result;
}

/** Operators whose native code falls back to mingo's function with the evaluated arguments. */
const WITH_FALLBACK = new Set([...Object.keys(NATIVE_BINARY), "$type", "$add", "$multiply"]);

/** A value passed to a mingo operator as an already-evaluated argument: `$literal` unless it means itself. */
function asArgument(value: unknown): unknown {
  if ((typeof value === "string" && value.startsWith("$")) || Array.isArray(value) || isPlainObject(value)) return { $literal: value };
  return value;
}

export interface CompileOptions {
  /** mingo's compute options for the run (computeOptions), for the fallbacks. */
  mingoOptions: unknown;
  /**
   * The documents are typed (as stored), not plain: values are converted as they are read, so the
   * closures compute on plain values all the same.
   */
  typedDocuments?: boolean;
}

/**
 * mingo's compute options for these options, made once: given plain options, each operator call
 * would build its own, copying the whole operator table every time. Captured from inside mingo,
 * which makes them, because their class is not exported.
 */
export function computeOptions(mingoOptions: Record<string, unknown>): unknown {
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
 * Compiles an aggregation expression, already prepared for mingo (prepareForMingo), into a closure;
 * undefined when it uses anything not compiled here (the caller then leaves it to mingo).
 */
export function compileExpression(expression: unknown, options: CompileOptions): Evaluate | undefined {
  return new Compiler(options.mingoOptions, true, new Set()).compile(expression, new Map());
}

/**
 * A compiler for several expressions over the same documents (a `$group`'s key and accumulators),
 * given all of them up front in `within`: an operator expression that occurs more than once among
 * them and reads no `$let` variable is evaluated once per document and its value reused (a report
 * asks whether a request is in the period, or when it ended, in half of its accumulators). Such an
 * expression's value depends on the document alone, and no compiled operator mutates a value.
 */
export function expressionCompiler(within: unknown, options: CompileOptions): (expression: unknown) => Evaluate | undefined {
  const compiler = new Compiler(options.mingoOptions, true, repeatedExpressions(within), options.typedDocuments === true);
  return (expression) => compiler.compile(expression, new Map());
}

/**
 * Compiles an expression evaluated with variables the caller sets (an array operator's `$$this`):
 * before each evaluation, set `cells[i].value` for `names[i]`. `$$ROOT` and `$$CURRENT` do not compile
 * here, since inside an operator mingo may bind them to another document than the one passed in.
 */
export function compileWithVariables(
  expression: unknown,
  names: readonly string[],
  options: CompileOptions,
): { evaluate: Evaluate; cells: { value: unknown }[] } | undefined {
  const cells = names.map((): Cell => ({ value: undefined }));
  const bound = new Map(names.map((name, index) => [name, cells[index]!] as const));
  const evaluate = new Compiler(options.mingoOptions, false, new Set()).compile(expression, bound);
  return evaluate && { evaluate, cells };
}

class Compiler {
  /** How many `$let` variable references compiled so far: whether a subexpression read one. */
  private variableReads = 0;
  /** The closures of repeated expressions, by canonical key, each remembering its last document. */
  private readonly shared = new Map<string, Evaluate>();

  constructor(
    private readonly mingoOptions: unknown,
    /** Whether `$$ROOT` and `$$CURRENT` are the document the closure is given. */
    private readonly rootIsDocument: boolean,
    /** Canonical keys of the operator expressions that occur more than once (repeatedExpressions). */
    private readonly repeated: ReadonlySet<string>,
    /** Whether the documents are typed (CompileOptions.typedDocuments). */
    private readonly typedDocuments = false,
  ) {}

  compile(expression: unknown, bound: Bindings): Evaluate | undefined {
    if (typeof expression === "string" && expression.startsWith("$")) return this.compileReference(expression, bound);
    if (Array.isArray(expression)) {
      const elements = this.compileAll(expression, bound);
      return elements && ((root) => elements.map((element) => element(root)));
    }
    if (isPlainObject(expression)) {
      const keys = Object.keys(expression);
      if (keys.length > 0 && keys[0].startsWith("$")) {
        if (keys.length !== 1) return undefined;
        const written = this.repeated.size === 0 ? undefined : canonicalKey(expression);
        if (written === undefined || !this.repeated.has(written)) return this.compileOperator(keys[0], expression[keys[0]], bound);
        // The same text may mean different things under different `$let`s: shared by what it means.
        const key = canonicalKey(expression, (name) => {
          const binding = bound.get(name);
          return binding === undefined || !isDocumentVariable(binding) ? undefined : binding.key;
        });
        const shared = key === undefined ? undefined : this.shared.get(key);
        if (shared) return shared;
        const readsBefore = this.variableReads;
        const compiled = this.compileOperator(keys[0], expression[keys[0]], bound);
        if (!compiled || key === undefined || this.variableReads !== readsBefore) return compiled;
        const once = oncePerDocument(compiled);
        this.shared.set(key, once);
        return once;
      }
      const fields = keys.map((key) => [key, this.compile(expression[key], bound)] as const);
      if (fields.some(([, field]) => field === undefined)) return undefined;
      return (root) => {
        const result: Doc = {};
        for (const [key, field] of fields) result[key] = field!(root);
        return result;
      };
    }
    return () => expression;
  }

  private compileAll(expressions: unknown[], bound: Bindings): Evaluate[] | undefined {
    const compiled = expressions.map((expression) => this.compile(expression, bound));
    return compiled.some((element) => element === undefined) ? undefined : (compiled as Evaluate[]);
  }

  private compileReference(expression: string, bound: Bindings): Evaluate | undefined {
    if (expression === "$$KEEP" || expression === "$$PRUNE" || expression === "$$DESCEND") return () => expression;
    const dot = expression.indexOf(".");
    const prefix = dot === -1 ? expression : expression.slice(0, dot);
    const rest = dot === -1 ? "" : expression.slice(dot + 1);
    if (prefix === "$$ROOT" || prefix === "$$CURRENT") {
      if (!this.rootIsDocument) return undefined;
      if (rest === "") return this.typedDocuments ? (root) => toPlainTracked(root) : (root) => root;
      return compilePath(rest, this.typedDocuments);
    }
    if (prefix === "$$REMOVE") return () => undefined;
    if (prefix.startsWith("$$")) {
      const name = prefix.slice(2);
      const binding = bound.get(name);
      if (!binding) return undefined;
      // mingo resolves `$$name.path` within its variables object, where the variable is a field.
      const read = rest === "" ? undefined : compilePath(expression.slice(2));
      if (isDocumentVariable(binding)) {
        const { evaluate } = binding;
        return read ? (root) => read({ [name]: evaluate(root) }) : evaluate;
      }
      this.variableReads++;
      return read ? () => read({ [name]: binding.value }) : () => binding.value;
    }
    return compilePath(expression.slice(1), this.typedDocuments);
  }

  private compileOperator(operator: string, operand: unknown, bound: Bindings): Evaluate | undefined {
    switch (operator) {
      case "$literal":
        return () => operand;
      case "$cond": {
        const parts = Array.isArray(operand) ? operand : isPlainObject(operand) ? [operand.if, operand.then, operand.else] : undefined;
        if (!parts || parts.length !== 3) return undefined;
        const compiled = this.compileAll(parts, bound);
        if (!compiled) return undefined;
        const [condition, then, otherwise] = compiled;
        return (root) => (truthy(condition(root)) ? then(root) : otherwise(root));
      }
      case "$and":
      case "$or": {
        if (!Array.isArray(operand)) return undefined;
        const clauses = this.compileAll(operand, bound);
        if (!clauses) return undefined;
        // Two clauses, the usual case ("in the period and resolved by `to`"), without a loop: these
        // run for every clause of every document of a report.
        if (clauses.length === 2) {
          const [first, second] = clauses as [Evaluate, Evaluate];
          return operator === "$and"
            ? (root) => truthy(first(root)) && truthy(second(root))
            : (root) => truthy(first(root)) || truthy(second(root));
        }
        if (operator === "$and") {
          return (root) => {
            for (const clause of clauses) if (!truthy(clause(root))) return false;
            return true;
          };
        }
        return (root) => {
          for (const clause of clauses) if (truthy(clause(root))) return true;
          return false;
        };
      }
      case "$not": {
        const inner = Array.isArray(operand) ? operand : [operand];
        if (inner.length !== 1) return undefined;
        const compiled = this.compile(inner[0], bound);
        // mingo negates JavaScript's truth here ("" is false), unlike its $and, $or and $cond.
        return compiled && ((root) => !compiled(root));
      }
      case "$ifNull": {
        if (!Array.isArray(operand)) return undefined;
        const inputs = this.compileAll(operand, bound);
        if (!inputs) return undefined;
        return (root) => {
          let value: unknown;
          for (const input of inputs) {
            value = input(root);
            if (!isNil(value)) return value;
          }
          return value;
        };
      }
      case "$switch": {
        if (!isPlainObject(operand) || !Array.isArray(operand.branches) || !operand.branches.every(isPlainObject)) return undefined;
        if (operand.default === undefined) return undefined; // mingo's error for an unmatched input stays mingo's
        const branches = (operand.branches as Doc[]).map((branch) => [this.compile(branch.case, bound), this.compile(branch.then, bound)] as const);
        const otherwise = this.compile(operand.default, bound);
        if (!otherwise || branches.some(([condition, then]) => !condition || !then)) return undefined;
        return (root) => {
          for (const [condition, then] of branches) if (truthy(condition!(root))) return then!(root);
          return otherwise(root);
        };
      }
      case "$let":
        return this.compileLet(operand, bound);
      default:
        return this.compileApplied(operator, operand, bound);
    }
  }

  /**
   * The variables are evaluated in the enclosing scope, then the body in one that adds them. A variable
   * that depends on the document alone is a DocumentVariable; the others get cells. Each `$let` has its
   * own cells, so a body's `$$name` reads the innermost binding; no closure runs while its own
   * evaluation is in progress (an expression is a tree), so setting a cell needs no saving.
   */
  private compileLet(operand: unknown, bound: Bindings): Evaluate | undefined {
    if (!isPlainObject(operand) || !isPlainObject(operand.vars)) return undefined;
    const vars = operand.vars;
    const names = Object.keys(vars);
    if (names.some((name) => name === "ROOT" || name === "CURRENT" || name === "REMOVE")) return undefined;
    const inner = new Map(bound);
    // In mingo's order, each variable: evaluated for its value, or for a cell to set.
    const steps: Array<{ evaluate: Evaluate; cell?: Cell }> = [];
    for (const name of names) {
      const readsBefore = this.variableReads;
      const compiled = this.compile(vars[name], bound);
      if (!compiled) return undefined;
      if (this.variableReads === readsBefore) {
        const variable: DocumentVariable = {
          evaluate: oncePerDocument(compiled),
          key: canonicalKey(vars[name], (outer) => {
            const binding = bound.get(outer);
            return binding === undefined || !isDocumentVariable(binding) ? undefined : binding.key;
          }),
        };
        inner.set(name, variable);
        steps.push({ evaluate: variable.evaluate });
      } else {
        const cell: Cell = { value: undefined };
        inner.set(name, cell);
        steps.push({ evaluate: compiled, cell });
      }
    }
    const body = this.compile(operand.in, inner);
    if (!body) return undefined;
    if (steps.length === 1) {
      const [{ evaluate, cell }] = steps;
      if (!cell) {
        return (root) => {
          // Evaluated even if the body does not read it, as mingo does (an error is an error).
          evaluate(root);
          return body(root);
        };
      }
      return (root) => {
        cell.value = evaluate(root);
        return body(root);
      };
    }
    return (root) => {
      // All of them in the enclosing scope first: one may read an outer variable another shadows.
      const values = steps.map((step) => step.evaluate(root));
      steps.forEach((step, index) => {
        if (step.cell) step.cell.value = values[index];
      });
      return body(root);
    };
  }

  private compileApplied(operator: string, operand: unknown, bound: Bindings): Evaluate | undefined {
    const apply = (expressionOperators as unknown as Record<string, MingoOperator>)[operator];
    if (!WITH_FALLBACK.has(operator) || !apply) return undefined;
    const mingoOptions = this.mingoOptions;
    const viaMingo = (root: Doc, value: unknown): unknown => apply(root, Array.isArray(value) ? value.map(asArgument) : asArgument(value), mingoOptions);
    if (operator === "$type" && !Array.isArray(operand)) {
      const argument = this.compile(operand, bound);
      if (!argument) return undefined;
      return (root) => {
        const value = argument(root);
        const name = typeName(value);
        return name === SLOW ? viaMingo(root, value) : name;
      };
    }
    if (!Array.isArray(operand)) return undefined;
    const args = this.compileAll(operand, bound);
    if (!args) return undefined;
    if (operator === "$add" || operator === "$multiply") {
      const native = operator === "$add" ? add : multiply;
      return (root) => {
        const values = args.map((argument) => argument(root));
        const answer = native(values);
        return answer === SLOW ? viaMingo(root, values) : answer;
      };
    }
    const native = NATIVE_BINARY[operator];
    if (!native || args.length !== 2) return (root) => viaMingo(root, args.map((argument) => argument(root)));
    const [left, right] = args;
    // `$in` over a literal list of strings and numbers: a set lookup (equal() on these is ===, NaN aside).
    const literalValues = operator === "$in" ? literalPrimitives(operand[1]) : undefined;
    if (literalValues) {
      return (root) => {
        const item = left(root);
        if (typeof item === "string" || (typeof item === "number" && !Number.isNaN(item))) return literalValues.has(item);
        const values = right(root);
        const answer = native(item, values);
        return answer === SLOW ? viaMingo(root, [item, values]) : answer;
      };
    }
    return (root) => {
      const a = left(root);
      const b = right(root);
      const answer = native(a, b);
      return answer === SLOW ? viaMingo(root, [a, b]) : answer;
    };
  }
}

/**
 * The values of an array written out in the expression, when all are strings or numbers (not NaN):
 * `["a", 1]` (where "$a" would be a field path) or `{ $literal: [...] }` (where it would not).
 */
function literalPrimitives(expression: unknown): Set<unknown> | undefined {
  const literal = isPlainObject(expression) && Object.keys(expression).length === 1 && "$literal" in expression;
  const values = literal ? (expression as Doc).$literal : expression;
  if (!Array.isArray(values)) return undefined;
  const primitive = (value: unknown) =>
    typeof value === "string" ? literal || !value.startsWith("$") : typeof value === "number" && !Number.isNaN(value);
  return values.every(primitive) ? new Set(values) : undefined;
}

/** A closure that evaluates once per document: asked again about the same document, the same value. */
function oncePerDocument(evaluate: Evaluate): Evaluate {
  let last: Doc | undefined;
  let value: unknown;
  return (root) => {
    if (root !== last) {
      value = evaluate(root);
      last = root;
    }
    return value;
  };
}

/**
 * A key that two expressions share exactly when they are the same expression; undefined for one that
 * holds values it cannot tell apart safely (ObjectIds, regular expressions, binary data).
 */
function canonicalKey(value: unknown, variableKey?: (name: string) => string | undefined): string | undefined {
  switch (typeof value) {
    case "string": {
      if (variableKey && value.startsWith("$$")) {
        // A variable by what it stands for: `$$end` under two `$let`s that define `end` alike is the same.
        const dot = value.indexOf(".");
        const name = value.slice(2, dot === -1 ? undefined : dot);
        if (!["ROOT", "CURRENT", "REMOVE", "NOW", "KEEP", "PRUNE", "DESCEND"].includes(name)) {
          const key = variableKey(name);
          return key === undefined ? undefined : `$$<${key}>${dot === -1 ? "" : value.slice(dot)}`;
        }
      }
      return JSON.stringify(value);
    }
    case "number":
      return Object.is(value, -0) ? "n-0" : `n${value}`;
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "undefined";
    case "object": {
      if (value === null) return "null";
      if (value instanceof Date && value.constructor === Date) return `d${value.getTime()}`;
      if (Array.isArray(value)) {
        const elements = value.map((element) => canonicalKey(element, variableKey));
        return elements.includes(undefined) ? undefined : `[${elements.join(",")}]`;
      }
      if (!isPlainObject(value)) return undefined;
      const fields: string[] = [];
      for (const [name, field] of Object.entries(value)) {
        const key = canonicalKey(field, variableKey);
        if (key === undefined) return undefined;
        fields.push(`${JSON.stringify(name)}:${key}`);
      }
      return `{${fields.join(",")}}`;
    }
    default:
      return undefined;
  }
}

/** The canonical keys of the operator expressions that occur more than once within `value`. */
function repeatedExpressions(value: unknown): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isPlainObject(node)) {
      const keys = Object.keys(node);
      if (keys.length === 1 && keys[0].startsWith("$")) {
        if (keys[0] === "$literal") return;
        const key = canonicalKey(node);
        if (key !== undefined) {
          if (seen.has(key)) repeated.add(key);
          seen.add(key);
        }
      }
      for (const key of keys) visit(node[key]);
    }
  };
  visit(value);
  return repeated;
}
