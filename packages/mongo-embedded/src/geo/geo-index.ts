/**
 * The in-memory part of a 2dsphere index: narrows geo queries to candidate documents so they do
 * not scan the collection. Candidates are a superset; the matcher still decides. Documents are
 * named by the catalog's string key of their _id.
 *
 * An R-tree (rbush) of bounding boxes: one box per indexed geometry, so a document whose field
 * holds several far-apart points is not one continent-sized box.
 */
import RBush from "rbush";
import type { BBox } from "geojson";
import { boundingBoxOf, geometriesOfStoredValue } from "./geometry.js";
import { queryBoundingBoxes, validateIndexableGeometry } from "./predicates.js";

interface IndexEntry {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  key: string;
}

export class GeoIndex {
  private readonly tree = new RBush<IndexEntry>();
  /** The tree's entries per document, so that remove and replace find them by reference. */
  private readonly entriesByKey = new Map<string, IndexEntry[]>();

  /** `value` is the indexed field's value (GeoJSON or legacy pair, or an array of them); throws 16755 when it is not indexable. Missing/null values are not indexed. */
  add(key: string, value: unknown): void {
    // Validate before touching the tree: a rejected write must leave the old entry in place.
    validateIndexableGeometry(value);
    this.remove(key);
    const entries = geometriesOfStoredValue(value).map((geometry) => entryFor(key, boundingBoxOf(geometry)));
    if (entries.length === 0) return;
    for (const entry of entries) this.tree.insert(entry);
    this.entriesByKey.set(key, entries);
  }

  remove(key: string): void {
    const entries = this.entriesByKey.get(key);
    if (!entries) return;
    for (const entry of entries) this.tree.remove(entry);
    this.entriesByKey.delete(key);
  }

  /**
   * Candidate keys for a geo query operator on the indexed field, e.g. ("$geoWithin", {$geometry: …}),
   * ("$near", {$geometry: …, $maxDistance: …}). Undefined when the index cannot narrow this query.
   * Throws BadValue for an invalid operand, as the query itself would.
   */
  candidates(operator: "$geoWithin" | "$geoIntersects" | "$near" | "$nearSphere", operand: unknown): Set<string> | undefined {
    const boxes = queryBoundingBoxes(operator, operand);
    if (!boxes) return undefined;
    const keys = new Set<string>();
    for (const [minX, minY, maxX, maxY] of boxes) {
      for (const entry of this.tree.search({ minX, minY, maxX, maxY })) keys.add(entry.key);
    }
    return keys;
  }

  /** Number of documents in the index. */
  get size(): number {
    return this.entriesByKey.size;
  }
}

function entryFor(key: string, box: BBox): IndexEntry {
  return { minX: box[0], minY: box[1], maxX: box[2], maxY: box[3], key };
}
