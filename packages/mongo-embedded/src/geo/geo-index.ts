/**
 * CONTRACT (owner: geo helper). The in-memory part of a 2dsphere index: narrows geo queries to
 * candidate documents so they do not scan the collection. Candidates are a superset; the matcher
 * still decides. Documents are named by the catalog's string key of their _id.
 */
export declare class GeoIndex {
  /** `value` is the indexed field's value (GeoJSON or legacy pair, or an array of them); throws 16755 when it is not indexable. Missing/null values are not indexed. */
  add(key: string, value: unknown): void;
  remove(key: string): void;
  /**
   * Candidate keys for a geo query operator on the indexed field, e.g. ("$geoWithin", {$geometry: …}),
   * ("$near", {$geometry: …, $maxDistance: …}). Undefined when the index cannot narrow this query.
   */
  candidates(operator: "$geoWithin" | "$geoIntersects" | "$near" | "$nearSphere", operand: unknown): Set<string> | undefined;
  readonly size: number;
}
