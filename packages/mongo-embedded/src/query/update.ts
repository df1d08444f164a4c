/** CONTRACT (owner: query helper). */
import type { Doc } from "../bson-values.js";

export interface UpdateOptions {
  arrayFilters?: Doc[];
  /** The query filter: needed for the positional `$` operator. */
  filter?: Doc;
  /** True when the update builds a new document for an upsert: `$setOnInsert` applies only then. */
  isUpsertInsert?: boolean;
}

export type UpdateSpec = Doc | Doc[];

/**
 * Applies an update: operator document ($set, $unset, $inc, $mul, $min, $max, $rename,
 * $setOnInsert, $currentDate, $push with $each/$slice/$sort/$position, $addToSet, $pop, $pull,
 * $pullAll, $bit; positional $, $[], $[id] with arrayFilters), a replacement document, or an
 * aggregation pipeline (evaluated with mingo). Never mutates `doc`. Types are kept: $inc on a Long
 * stays a Long, Int32 overflow promotes to Long, Int32 + Double gives Double.
 * Throws MongoCommandError with MongoDB's codes (ImmutableField 66 for _id changes,
 * ConflictingUpdateOperators 40, FailedToParse 9, TypeMismatch 14, ...).
 */
export declare function applyUpdate(doc: Doc, update: UpdateSpec, options?: UpdateOptions): { doc: Doc; modified: boolean };

/** The base document of an upsert: the equality fields of the filter ({a: 1}, {a: {$eq: 1}}, $and of those), without operators. */
export declare function upsertSeed(filter: Doc): Doc;

/** True when `update` is a replacement document rather than operators or a pipeline. */
export declare function isReplacement(update: UpdateSpec): boolean;
