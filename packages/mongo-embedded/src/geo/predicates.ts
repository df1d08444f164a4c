/**
 * CONTRACT (owner: geo helper). Geospatial semantics for the matcher, the 2dsphere index and $geoNear.
 * Stored values are GeoJSON objects ({type, coordinates}) or legacy coordinate pairs ([lng, lat] or {x, y}).
 */
import type { Doc } from "../bson-values.js";

/** `{ field: { $geoWithin: operand } }`: operand is { $geometry } | { $centerSphere } | { $box } | { $polygon } | { $center }. */
export declare function geoWithin(value: unknown, operand: Doc): boolean;

/** `{ field: { $geoIntersects: { $geometry } } }`. */
export declare function geoIntersects(value: unknown, operand: Doc): boolean;

/**
 * Distance from the query point of `$near`/`$nearSphere` (operand as in the query, with
 * $maxDistance/$minDistance) to the stored value: metres for GeoJSON points, radians for legacy
 * pairs with $nearSphere, planar units for legacy $near. Null when outside min/max or not a point.
 */
export declare function nearDistance(value: unknown, operand: unknown, spherical: boolean, options?: { maxDistance?: number; minDistance?: number }): number | null;

/** Throws MongoCommandError 16755 ("Can't extract geo keys") when a value is not indexable in a 2dsphere index. */
export declare function validateIndexableGeometry(value: unknown): void;
