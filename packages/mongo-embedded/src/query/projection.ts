/** CONTRACT (owner: query helper). */
import type { Doc } from "../bson-values.js";

/**
 * A find projection: inclusion or exclusion (not mixed, except _id), dotted paths, `$slice`,
 * `$elemMatch`, positional `field.$` (needs the filter), and aggregation expressions (MongoDB 4.4+,
 * evaluated with mingo). Throws MongoCommandError with MongoDB's codes for invalid specs.
 */
export declare function compileProjection(spec: Doc | undefined, filter?: Doc): (doc: Doc) => Doc;
