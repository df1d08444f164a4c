/** CONTRACT (owner: query helper). */
import type { Doc } from "../bson-values.js";

export type Matcher = (doc: Doc) => boolean;

/** Compiles a MongoDB query filter; throws MongoCommandError (BadValue, 2) on an invalid filter. */
export declare function compileFilter(filter: Doc, options?: { variables?: Doc }): Matcher;
