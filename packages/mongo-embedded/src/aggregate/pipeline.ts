/** CONTRACT (owner: aggregation helper). */
import type { Doc } from "../bson-values.js";

export interface PipelineContext {
  /** Documents of another collection in the same database, for $lookup, $graphLookup and $unionWith (empty when it does not exist). */
  collectionDocs(name: string): Iterable<Doc>;
  variables?: Doc;
  now?: Date;
}

/**
 * Runs an aggregation pipeline over typed documents and returns typed documents. Stages come from
 * mingo run over `toPlain` values, with the server's own $match (compileFilter), $sort
 * (compileSort) and $geoNear; $out and $merge are not handled here (the commands layer writes them).
 * Throws MongoCommandError with MongoDB's codes for unknown stages (40324) or bad specs.
 */
export declare function runPipeline(input: Iterable<Doc>, pipeline: Doc[], context: PipelineContext): Doc[];
