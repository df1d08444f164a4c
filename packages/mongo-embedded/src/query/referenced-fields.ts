/**
 * Which top-level fields of a document a filter or an aggregation stage reads. A scan decodes only
 * those to decide, so the answer must be a superset: anything that may read the whole document
 * ($expr, $where, $jsonSchema, $$ROOT) answers `undefined`, meaning "all of it".
 */
import type { Doc } from "../bson-values.js";

/** Top-level operators whose operands are filters themselves. */
const LOGICAL = new Set(["$and", "$or", "$nor"]);
/** Top-level operators that read no field. */
const FIELDLESS = new Set(["$comment", "$alwaysTrue", "$alwaysFalse"]);

export function fieldsReadByFilter(filter: Doc): Set<string> | undefined {
  const fields = new Set<string>();
  return collectFilterFields(filter, fields) ? fields : undefined;
}

function collectFilterFields(filter: Doc, into: Set<string>): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value)) return false;
      for (const clause of value) {
        if (typeof clause !== "object" || clause === null || !collectFilterFields(clause as Doc, into)) return false;
      }
    } else if (key.startsWith("$")) {
      if (!FIELDLESS.has(key)) return false;
    } else {
      into.add(key.split(".")[0]);
    }
  }
  return true;
}

/**
 * The fields the first stages of a pipeline read, when those stages collapse the documents
 * ($group, $count, $bucket, $bucketAuto, $sortByCount): what comes after sees only their output.
 */
export function fieldsReadByCollapsingStage(stage: Doc | undefined): Set<string> | undefined {
  if (!stage) return undefined;
  const [name] = Object.keys(stage);
  if (name === "$count") return new Set();
  if (name !== "$group" && name !== "$bucket" && name !== "$bucketAuto" && name !== "$sortByCount") return undefined;
  const fields = new Set<string>();
  return collectExpressionFields(stage[name], fields) ? fields : undefined;
}

function collectExpressionFields(expression: unknown, into: Set<string>): boolean {
  if (typeof expression === "string") {
    if (expression.startsWith("$$")) {
      const [variable, field] = expression.slice(2).split(".");
      if (variable !== "ROOT" && variable !== "CURRENT") return true;
      if (field === undefined) return false;
      into.add(field);
      return true;
    }
    if (expression.startsWith("$")) into.add(expression.slice(1).split(".")[0]);
    return true;
  }
  if (Array.isArray(expression)) return expression.every((element) => collectExpressionFields(element, into));
  if (typeof expression === "object" && expression !== null) {
    // Sub-pipelines and functions may read anything.
    if ("$function" in expression || "$accumulator" in expression) return false;
    return Object.entries(expression).every(([key, element]) => {
      // $top, $bottom, $topN and $bottomN name their sort fields as keys.
      if (key === "sortBy" && typeof element === "object" && element !== null && !Array.isArray(element)) {
        for (const path of Object.keys(element)) into.add(path.split(".")[0]);
        return true;
      }
      return collectExpressionFields(element, into);
    });
  }
  return true;
}
