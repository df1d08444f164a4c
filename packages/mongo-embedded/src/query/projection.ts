/**
 * Find projections as MongoDB 4.4+ reads them: inclusion or exclusion (never both, except `_id`),
 * dotted paths through arrays of subdocuments, `$slice`, `$elemMatch`, positional `field.$`, and
 * computed fields (aggregation expressions and literals, evaluated by mingo). Projected values are
 * the stored typed values themselves, so their exact BSON types survive.
 */
import { isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, badValue } from "../errors.js";
import { compileExpressions } from "../aggregate/expressions.js";
import { isPlainObject } from "../aggregate/typed-values.js";
import { compileFilter, type Matcher } from "./matcher.js";

type Leaf =
  | { kind: "include" }
  | { kind: "exclude" }
  | { kind: "slice"; skip: number | undefined; limit: number }
  | { kind: "elemMatch"; matches: Matcher }
  | { kind: "positional" }
  | { kind: "computed" };

interface ProjectionNode {
  children: Map<string, ProjectionNode>;
  leaf?: Leaf;
}

type Mode = "inclusion" | "exclusion";

/** What one projected path asks for, before the tree is built. */
interface PathSpec {
  path: string;
  leaf: Leaf;
  expression?: unknown;
}

/**
 * A find projection: inclusion or exclusion (not mixed, except _id), dotted paths, `$slice`,
 * `$elemMatch`, positional `field.$` (needs the filter), and aggregation expressions (MongoDB 4.4+,
 * evaluated with mingo). Throws MongoCommandError with MongoDB's codes for invalid specs.
 */
export function compileProjection(spec: Doc | undefined, filter?: Doc): (doc: Doc) => Doc {
  if (spec === undefined || Object.keys(spec).length === 0) return (doc) => doc;

  const pathSpecs = flattenSpec(spec, "");
  const mode = projectionMode(pathSpecs);
  const mentionsId = pathSpecs.some((entry) => entry.path === "_id" || entry.path.startsWith("_id."));
  if (mode === "inclusion" && !mentionsId) pathSpecs.unshift({ path: "_id", leaf: { kind: "include" } });
  // `_id: 1` in an exclusion projection only confirms the default.
  const treeSpecs = mode === "exclusion" ? pathSpecs.filter((entry) => entry.leaf.kind !== "include") : pathSpecs;
  const root = buildTree(treeSpecs);

  const positionalSpecs = pathSpecs.filter((entry) => entry.leaf.kind === "positional");
  if (positionalSpecs.length > 1) {
    throw new MongoCommandError(31276, "Cannot specify more than one positional projection per query.", { codeName: "Location31276" });
  }
  const positional = positionalSpecs[0] ? compilePositional(positionalSpecs[0].path, filter ?? {}) : undefined;

  const computedSpecs = pathSpecs.filter((entry) => entry.leaf.kind === "computed");
  const evaluate = computedSpecs.length
    ? compileExpressions(computedSpecs.map((entry) => [entry.path, entry.expression] as const))
    : undefined;

  if (mode === "exclusion") return (doc) => applyExclusion(doc, root);
  return (doc) => {
    const context: ApplyContext = { positionalIndex: positional?.(doc) };
    const projected = applyInclusion(doc, root, context);
    if (evaluate) {
      // MongoDB appends computed fields after the included ones, in the order of the projection.
      for (const [path, value] of evaluate(doc)) setComputedField(projected, path.split("."), value);
    }
    return projected;
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

function flattenSpec(spec: Doc, prefix: string): PathSpec[] {
  const entries: PathSpec[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    const path = prefix + key;
    if (key.startsWith("$")) {
      throw new MongoCommandError(ErrorCodes.Location16410, `FieldPath field names may not start with '$'. Consider using $getField or $setField.`, {
        codeName: "Location16410",
      });
    }
    if (key.endsWith(".$")) {
      if (!isTruthyFlag(value)) throw badValue(`positional projection on '${path}' must be an inclusion`);
      entries.push({ path: path.slice(0, -2), leaf: { kind: "positional" } });
      continue;
    }
    if (typeof value === "boolean" || isNumeric(value)) {
      entries.push({ path, leaf: { kind: isTruthyFlag(value) ? "include" : "exclude" } });
      continue;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0) {
        throw new MongoCommandError(51270, `An empty sub-projection is not a valid value. Found empty object at path`, { codeName: "Location51270" });
      }
      const operator = keys[0];
      if (operator.startsWith("$")) {
        entries.push(operatorSpec(path, operator, value));
        continue;
      }
      // A nested projection `{a: {b: 1}}` means `{"a.b": 1}`.
      entries.push(...flattenSpec(value, `${path}.`));
      continue;
    }
    // Strings, arrays, null, dates...: a field path expression or a literal.
    entries.push({ path, leaf: { kind: "computed" }, expression: value });
  }
  return entries;
}

function isTruthyFlag(value: unknown): boolean {
  return typeof value === "boolean" ? value : isNumeric(value) ? toNumber(value) !== 0 : true;
}

function operatorSpec(path: string, operator: string, value: Doc): PathSpec {
  switch (operator) {
    case "$slice":
      return { path, leaf: parseSlice(value.$slice) };
    case "$elemMatch": {
      if (!isPlainObject(value.$elemMatch)) throw badValue("elemMatch: Invalid argument, object required.");
      const matches = compileFilter({ element: { $elemMatch: value.$elemMatch } });
      return { path, leaf: { kind: "elemMatch", matches } };
    }
    case "$meta":
      throw new MongoCommandError(ErrorCodes.NotImplemented, `$meta projections are not supported by the embedded server`);
    default:
      return { path, leaf: { kind: "computed" }, expression: value };
  }
}

function parseSlice(argument: unknown): Leaf {
  if (isNumeric(argument)) return { kind: "slice", skip: undefined, limit: Math.trunc(toNumber(argument)) };
  if (Array.isArray(argument) && argument.length === 2 && argument.every(isNumeric)) {
    const skip = Math.trunc(toNumber(argument[0]));
    const limit = Math.trunc(toNumber(argument[1]));
    if (limit <= 0) throw new MongoCommandError(28724, "First argument to $slice must be an array, but is of type: ...", { codeName: "Location28724" });
    return { kind: "slice", skip, limit };
  }
  throw new MongoCommandError(28667, "$slice only supports numbers and [skip, limit] arrays", { codeName: "Location28667" });
}

/** Inclusion unless only exclusions (and `$slice`s) are given; mixing them is MongoDB's 31253/31254. */
function projectionMode(pathSpecs: PathSpec[]): Mode {
  let mode: Mode | undefined;
  for (const { path, leaf } of pathSpecs) {
    // `_id: 0` / `_id: 1` may go with either kind of projection.
    if (path === "_id" && (leaf.kind === "include" || leaf.kind === "exclude")) continue;
    if (leaf.kind === "slice") continue;
    const wanted: Mode = leaf.kind === "exclude" ? "exclusion" : "inclusion";
    if (mode === undefined) mode = wanted;
    else if (mode !== wanted) {
      if (wanted === "exclusion") {
        throw new MongoCommandError(ErrorCodes.Location31254, `Cannot do exclusion on field ${path} in inclusion projection`, {
          codeName: "Location31254",
        });
      }
      throw new MongoCommandError(31253, `Cannot do inclusion on field ${path} in exclusion projection`, { codeName: "Location31253" });
    }
  }
  if (mode) return mode;
  // Only `_id` and `$slice`s: `{_id: 1}` alone is an inclusion, the rest keep every other field.
  return pathSpecs.some((entry) => entry.path === "_id" && entry.leaf.kind === "include") &&
    !pathSpecs.some((entry) => entry.leaf.kind === "slice")
    ? "inclusion"
    : "exclusion";
}

function buildTree(pathSpecs: PathSpec[]): ProjectionNode {
  const root: ProjectionNode = { children: new Map() };
  for (const { path, leaf } of pathSpecs) {
    const parts = path.split(".");
    let node = root;
    parts.forEach((part, index) => {
      if (node.leaf) {
        throw new MongoCommandError(ErrorCodes.Location31250, `Path collision at ${path} remaining portion ${parts.slice(index).join(".")}`, {
          codeName: "Location31250",
        });
      }
      let child = node.children.get(part);
      if (!child) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    });
    if (node.leaf || node.children.size > 0) {
      throw new MongoCommandError(ErrorCodes.Location31249, `Path collision at ${path}`, { codeName: "Location31249" });
    }
    node.leaf = leaf;
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Positional `field.$`

/**
 * The index a positional projection shows: the first element of the array that satisfies the
 * filter's condition on that array. The condition is tested on each element alone by wrapping it
 * in a one-element array, which keeps MongoDB's implicit array traversal for the condition.
 */
function compilePositional(arrayPath: string, filter: Doc): (doc: Doc) => number | undefined {
  const condition = findArrayCondition(filter, arrayPath);
  const elementMatcher = condition
    ? compileFilter({ [`element${condition.rest}`]: condition.operand })
    : undefined;
  const parts = arrayPath.split(".");
  return (doc) => {
    const array = valueAtPath(doc, parts);
    if (!Array.isArray(array)) return undefined;
    const index = elementMatcher ? array.findIndex((element) => elementMatcher({ element: [element] })) : -1;
    if (index < 0) {
      throw new MongoCommandError(51246, "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array", {
        codeName: "Location51246",
      });
    }
    return index;
  };
}

function findArrayCondition(filter: Doc, arrayPath: string): { rest: string; operand: unknown } | undefined {
  for (const [key, operand] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(operand)) {
      for (const clause of operand) {
        const found = isPlainObject(clause) ? findArrayCondition(clause, arrayPath) : undefined;
        if (found) return found;
      }
    } else if (key === arrayPath || key.startsWith(`${arrayPath}.`)) {
      return { rest: key.slice(arrayPath.length), operand };
    }
  }
  return undefined;
}

function valueAtPath(doc: Doc, parts: string[]): unknown {
  let value: unknown = doc;
  for (const part of parts) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Applying

interface ApplyContext {
  positionalIndex: number | undefined;
}

/** Included fields in the document's own order. */
function applyInclusion(doc: Doc, node: ProjectionNode, context: ApplyContext): Doc {
  const projected: Doc = {};
  for (const key of Object.keys(doc)) {
    const child = node.children.get(key);
    if (!child) continue;
    const value = includeValue(doc[key], child, context);
    if (value !== undefined) projected[key] = value;
  }
  return projected;
}

function includeValue(value: unknown, node: ProjectionNode, context: ApplyContext): unknown {
  const leaf = node.leaf;
  if (leaf) {
    switch (leaf.kind) {
      case "include":
        return value;
      case "slice":
        return sliceValue(value, leaf);
      case "elemMatch": {
        if (!Array.isArray(value)) return undefined;
        const match = value.find((element) => leaf.matches({ element: [element] }));
        return match === undefined ? undefined : [match];
      }
      case "positional":
        if (!Array.isArray(value) || context.positionalIndex === undefined) return value;
        return [value[context.positionalIndex]];
      case "computed":
      case "exclude":
        return undefined;
    }
  }
  if (isPlainObject(value)) return applyInclusion(value, node, context);
  // Through an array the projection applies to each subdocument; other elements drop out.
  if (Array.isArray(value)) return includeInArray(value, node, context);
  return undefined;
}

function includeInArray(array: unknown[], node: ProjectionNode, context: ApplyContext): unknown[] {
  const projected: unknown[] = [];
  for (const element of array) {
    if (isPlainObject(element)) projected.push(applyInclusion(element, node, context));
    else if (Array.isArray(element)) projected.push(includeInArray(element, node, context));
  }
  return projected;
}

function applyExclusion(doc: Doc, node: ProjectionNode): Doc {
  const projected: Doc = {};
  for (const key of Object.keys(doc)) {
    const child = node.children.get(key);
    const value = doc[key];
    if (!child) projected[key] = value;
    else if (child.leaf?.kind === "slice") projected[key] = sliceValue(value, child.leaf);
    else if (!child.leaf) projected[key] = excludeWithin(value, child);
    // else: an excluded field.
  }
  return projected;
}

function excludeWithin(value: unknown, node: ProjectionNode): unknown {
  if (isPlainObject(value)) return applyExclusion(value, node);
  if (Array.isArray(value)) return value.map((element) => excludeWithin(element, node));
  return value;
}

function sliceValue(value: unknown, slice: { skip: number | undefined; limit: number }): unknown {
  if (!Array.isArray(value)) return value;
  if (slice.skip === undefined) {
    return slice.limit >= 0 ? value.slice(0, slice.limit) : value.slice(Math.max(value.length + slice.limit, 0));
  }
  const start = slice.skip >= 0 ? Math.min(slice.skip, value.length) : Math.max(value.length + slice.skip, 0);
  return value.slice(start, start + slice.limit);
}

/** Sets a computed field, creating subdocuments on the way and descending into arrays of them. */
function setComputedField(target: Doc, parts: string[], value: unknown): void {
  const [head, ...rest] = parts;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const existing = target[head];
  if (Array.isArray(existing)) {
    target[head] = existing.map((element) => {
      if (!isPlainObject(element)) return element;
      const copy = { ...element };
      setComputedField(copy, rest, value);
      return copy;
    });
    return;
  }
  // Subdocuments here are the projection's own copies or new, never the stored document.
  const child: Doc = isPlainObject(existing) ? existing : {};
  target[head] = child;
  setComputedField(child, rest, value);
}
