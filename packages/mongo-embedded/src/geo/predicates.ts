/**
 * Geospatial semantics for the matcher, the 2dsphere index and $geoNear.
 * Stored values are GeoJSON objects ({type, coordinates}) or legacy coordinate pairs ([lng, lat] or {x, y}).
 *
 * The geometry itself is Turf's: point-in-polygon, containment, intersection and distances. Turf
 * treats polygon edges as straight lines in lng/lat, where MongoDB's S2 uses great-circle edges;
 * for city-sized shapes the two agree to well under a metre.
 */
import type { BBox, Geometry, MultiPolygon, Polygon, Position } from "geojson";
import { booleanIntersects } from "@turf/boolean-intersects";
import { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
import { booleanWithin } from "@turf/boolean-within";
import { distance as turfDistance } from "@turf/distance";
import { pointToLineDistance } from "@turf/point-to-line-distance";
import { pointToPolygonDistance } from "@turf/point-to-polygon-distance";
import type { Doc } from "../bson-values.js";
import { isNumeric, toNumber } from "../bson-values.js";
import { badValue } from "../errors.js";
import {
  assertIndexable,
  boundingBoxOf,
  describe,
  EARTH_RADIUS_METERS,
  geometriesOfStoredValue,
  isGeoJsonObject,
  isPlainObject,
  legacyPairOf,
  positionsOf,
  readQueryGeometry,
  simpleParts,
  type SimpleGeometry,
  sphericalCapBoxes,
} from "./geometry.js";

/** `{ field: { $geoWithin: operand } }`: operand is { $geometry } | { $centerSphere } | { $box } | { $polygon } | { $center }. */
export function geoWithin(value: unknown, operand: Doc): boolean {
  const region = withinRegionOf(operand);
  const geometries = geometriesOfStoredValue(value);
  // An array of geo values matches when one of them does, like any array field in a query.
  return geometries.some((geometry) => simpleParts(geometry).every((part) => partIsWithin(part, region)));
}

/** `{ field: { $geoIntersects: { $geometry } } }`. */
export function geoIntersects(value: unknown, operand: Doc): boolean {
  const queryGeometry = intersectsGeometryOf(operand);
  return geometriesOfStoredValue(value).some((geometry) => booleanIntersects(geometry, queryGeometry));
}

/**
 * Distance from the query point of `$near`/`$nearSphere` (operand as in the query, with
 * $maxDistance/$minDistance) to the stored value: metres for GeoJSON points, radians for legacy
 * pairs with $nearSphere, planar units for legacy $near. Null when outside min/max or not a point.
 */
export function nearDistance(
  value: unknown,
  operand: unknown,
  spherical: boolean,
  options?: { maxDistance?: number; minDistance?: number },
): number | null {
  const near = readNearOperand(operand, spherical, options);
  let nearest: number | null = null;
  for (const geometry of geometriesOfStoredValue(value)) {
    const distance = distanceTo(near, geometry);
    if (distance !== null && (nearest === null || distance < nearest)) nearest = distance;
  }
  if (nearest === null) return null;
  if (near.maxDistance !== undefined && nearest > near.maxDistance) return null;
  if (near.minDistance !== undefined && nearest < near.minDistance) return null;
  return nearest;
}

/** Throws MongoCommandError 16755 ("Can't extract geo keys") when a value is not indexable in a 2dsphere index. */
export function validateIndexableGeometry(value: unknown): void {
  assertIndexable(value);
}

// ---------------------------------------------------------------------------------------------
// $geoWithin

/** What a $geoWithin operand describes, read once per operand object. */
export type WithinRegion =
  /** `$geometry` Polygon/MultiPolygon, or a legacy `$polygon` (the same test, Turf is planar anyway). */
  | { kind: "shape"; shape: Polygon | MultiPolygon }
  /** `$centerSphere`: a spherical cap. */
  | { kind: "cap"; center: Position; radians: number }
  /** `$box`: a planar rectangle. */
  | { kind: "box"; box: BBox }
  /** `$center`: a planar disc. */
  | { kind: "disc"; center: Position; radius: number };

const withinRegions = new WeakMap<object, WithinRegion>();
const intersectsGeometries = new WeakMap<object, Geometry>();

/**
 * Reads a $geoWithin operand (BadValue when invalid). Cached per operand object: the matcher
 * calls geoWithin once per candidate document with the same operand, and checking a polygon for
 * self-intersection is quadratic in its vertices.
 */
export function withinRegionOf(operand: unknown): WithinRegion {
  if (!isPlainObject(operand)) throw badValue(`$geoWithin must be an object, got ${describe(operand)}`);
  let region = withinRegions.get(operand);
  if (!region) {
    region = readWithinOperand(operand);
    withinRegions.set(operand, region);
  }
  return region;
}

function readWithinOperand(operand: Record<string, unknown>): WithinRegion {
  const specifiers = Object.keys(operand);
  if (specifiers.length !== 1) {
    throw badValue(`$geoWithin needs exactly one of $geometry, $centerSphere, $box, $polygon, $center; got ${describe(operand)}`);
  }
  const specifier = specifiers[0];
  const argument = operand[specifier];
  switch (specifier) {
    case "$geometry": {
      const geometry = readQueryGeometry("$geoWithin", argument);
      if (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon") {
        throw badValue(`$geoWithin not supported with provided geometry: ${describe(argument)} (only Polygon and MultiPolygon)`);
      }
      return { kind: "shape", shape: withBoundingBox(geometry) };
    }
    case "$centerSphere": {
      const [center, radians] = readCenterAndRadius("$centerSphere", argument);
      if (Math.abs(center[0]) > 180 || Math.abs(center[1]) > 90) {
        throw badValue(`$centerSphere: center ${describe(center)} is not a longitude/latitude pair`);
      }
      return { kind: "cap", center, radians };
    }
    case "$center": {
      const [center, radius] = readCenterAndRadius("$center", argument);
      return { kind: "disc", center, radius };
    }
    case "$box": {
      const corners = Array.isArray(argument) ? argument.map(legacyPairOf) : [];
      if (corners.length !== 2 || !corners[0] || !corners[1]) {
        throw badValue(`$box must be two points [[x1, y1], [x2, y2]], got ${describe(argument)}`);
      }
      const [a, b] = corners;
      return { kind: "box", box: [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])] };
    }
    case "$polygon": {
      const vertices = Array.isArray(argument) ? argument.map(legacyPairOf) : [];
      if (vertices.length < 3 || vertices.some((vertex) => vertex === undefined)) {
        throw badValue(`$polygon must be an array of at least 3 points, got ${describe(argument)}`);
      }
      const ring = vertices as Position[];
      const first = ring[0];
      const last = ring[ring.length - 1];
      // Legacy polygons are given open; Turf wants the ring closed.
      const closed = first[0] === last[0] && first[1] === last[1] ? ring : [...ring, first];
      return { kind: "shape", shape: withBoundingBox({ type: "Polygon", coordinates: [closed] }) };
    }
    default:
      throw badValue(`unknown geo specifier: ${specifier}`);
  }
}

function readCenterAndRadius(specifier: string, argument: unknown): [Position, number] {
  const center = Array.isArray(argument) && argument.length === 2 ? legacyPairOf(argument[0]) : undefined;
  const radius = Array.isArray(argument) && isNumeric(argument[1]) ? toNumber(argument[1]) : Number.NaN;
  if (!center || !(radius >= 0)) {
    throw badValue(`${specifier} must be [[x, y], radius] with a non-negative radius, got ${describe(argument)}`);
  }
  return [center, radius];
}

/** Turf's point-in-polygon skips the ring walk for points outside `bbox` when the geometry carries one. */
function withBoundingBox<G extends Polygon | MultiPolygon>(shape: G): G {
  return { ...shape, bbox: boundingBoxOf(shape) };
}

function partIsWithin(part: SimpleGeometry, region: WithinRegion): boolean {
  switch (region.kind) {
    case "shape":
      // A point on the boundary counts as within (Turf's booleanWithin would say no for points).
      if (part.type === "Point") return booleanPointInPolygon(part.coordinates, region.shape);
      return booleanWithin(part, region.shape);
    case "cap":
      // A cap smaller than a hemisphere is convex on the sphere: great-circle edges between
      // vertices inside it stay inside, so the vertices decide.
      return positionsOf(part).every((position) => angularDistance(region.center, position) <= region.radians);
    case "box": {
      const [minX, minY, maxX, maxY] = region.box;
      return positionsOf(part).every(([x, y]) => x >= minX && x <= maxX && y >= minY && y <= maxY);
    }
    case "disc":
      // A disc is convex: vertices inside means edges inside.
      return positionsOf(part).every(([x, y]) => Math.hypot(x - region.center[0], y - region.center[1]) <= region.radius);
  }
}

// ---------------------------------------------------------------------------------------------
// $geoIntersects

export function intersectsGeometryOf(operand: unknown): Geometry {
  if (!isOperatorDoc(operand) || !("$geometry" in operand)) {
    throw badValue(`$geoIntersects needs { $geometry: <GeoJSON> }, got ${describe(operand)}`);
  }
  let geometry = intersectsGeometries.get(operand);
  if (!geometry) {
    geometry = readQueryGeometry("$geoIntersects", operand.$geometry);
    intersectsGeometries.set(operand, geometry);
  }
  return geometry;
}

// ---------------------------------------------------------------------------------------------
// $near / $nearSphere

export interface NearQuery {
  point: Position;
  /** GeoJSON query point: metres on the sphere; legacy pair: radians ($nearSphere) or planar units ($near). */
  units: "meters" | "radians" | "planar";
  maxDistance?: number;
  minDistance?: number;
}

/**
 * Reads a near operand: `{ $geometry: Point, $maxDistance?, $minDistance? }`, a GeoJSON Point, a
 * legacy pair, or a whole field query `{ $near: <any of those>, $maxDistance?, $minDistance? }`
 * (the legacy form keeps its limits beside the point). `options` win over the operand's limits.
 */
export function readNearOperand(
  operand: unknown,
  spherical: boolean,
  options: { maxDistance?: number; minDistance?: number } = {},
): NearQuery {
  const near = readNearPoint(operand, spherical);
  const maxDistance = options.maxDistance ?? near.maxDistance;
  const minDistance = options.minDistance ?? near.minDistance;
  if (maxDistance !== undefined && !(maxDistance >= 0)) throw badValue("$maxDistance must be non-negative");
  if (minDistance !== undefined && !(minDistance >= 0)) throw badValue("$minDistance must be non-negative");
  return { ...near, maxDistance, minDistance };
}

function readNearPoint(operand: unknown, spherical: boolean): NearQuery {
  if (isOperatorDoc(operand)) {
    const limits = { maxDistance: readLimit(operand, "$maxDistance"), minDistance: readLimit(operand, "$minDistance") };
    const nested = operand.$geometry ?? operand.$near ?? operand.$nearSphere;
    if (nested === undefined) throw badValue(`$near needs $geometry or a point, got ${describe(operand)}`);
    if ("$geometry" in operand) {
      const geometry = readQueryGeometry("$near", nested);
      if (geometry.type !== "Point") throw badValue(`$near requires a GeoJSON Point, got ${describe(nested)}`);
      return { point: geometry.coordinates, units: "meters", ...limits };
    }
    const inner = readNearPoint(nested, spherical || "$nearSphere" in operand);
    return {
      point: inner.point,
      units: inner.units,
      maxDistance: inner.maxDistance ?? limits.maxDistance,
      minDistance: inner.minDistance ?? limits.minDistance,
    };
  }
  if (isGeoJsonObject(operand)) {
    const geometry = readQueryGeometry("$near", operand);
    if (geometry.type !== "Point") throw badValue(`$near requires a GeoJSON Point, got ${describe(operand)}`);
    return { point: geometry.coordinates, units: "meters" };
  }
  const pair = legacyPairOf(operand);
  if (!pair) throw badValue(`$near requires a point: GeoJSON { type: "Point", coordinates } or [x, y], got ${describe(operand)}`);
  return { point: pair, units: spherical ? "radians" : "planar" };
}

function readLimit(operand: Record<string, unknown>, name: string): number | undefined {
  const limit = operand[name];
  if (limit === undefined || limit === null) return undefined;
  if (!isNumeric(limit)) throw badValue(`${name} must be a number, got ${describe(limit)}`);
  return toNumber(limit);
}

function distanceTo(near: NearQuery, geometry: Geometry): number | null {
  if (near.units === "planar") {
    // Legacy planar $near is defined for points (the 2d index holds nothing else).
    if (geometry.type !== "Point" && geometry.type !== "MultiPoint") return null;
    const [x, y] = near.point;
    return Math.min(...positionsOf(geometry).map(([px, py]) => Math.hypot(px - x, py - y)));
  }
  let nearest = Number.POSITIVE_INFINITY;
  for (const part of simpleParts(geometry)) nearest = Math.min(nearest, angularDistanceToPart(near.point, part));
  if (!Number.isFinite(nearest)) return null;
  return near.units === "meters" ? nearest * EARTH_RADIUS_METERS : nearest;
}

/** Great-circle angle in radians between two lng/lat positions. */
function angularDistance(from: Position, to: Position): number {
  return turfDistance(from, to, { units: "radians" });
}

function angularDistanceToPart(point: Position, part: SimpleGeometry): number {
  switch (part.type) {
    case "Point":
      return angularDistance(point, part.coordinates);
    case "LineString":
      return pointToLineDistance(point, part, { units: "radians", method: "geodesic" });
    case "Polygon":
      // Negative inside the polygon: the nearest point of a polygon that contains the query point is that point.
      return Math.max(0, pointToPolygonDistance(point, part, { units: "radians", method: "geodesic" }));
  }
}

// ---------------------------------------------------------------------------------------------
// Bounding boxes for the 2dsphere index

/**
 * Boxes (lng/lat) that cover every stored geometry the query can match, or undefined when the
 * query cannot be narrowed (e.g. $near without $maxDistance).
 */
export function queryBoundingBoxes(
  operator: "$geoWithin" | "$geoIntersects" | "$near" | "$nearSphere",
  operand: unknown,
): BBox[] | undefined {
  switch (operator) {
    case "$geoWithin": {
      const region = withinRegionOf(operand);
      switch (region.kind) {
        case "shape":
          return [boundingBoxOf(region.shape)];
        case "cap":
          return sphericalCapBoxes(region.center, region.radians);
        case "box":
          return [region.box];
        case "disc": {
          const [x, y] = region.center;
          return [[x - region.radius, y - region.radius, x + region.radius, y + region.radius]];
        }
      }
      break;
    }
    case "$geoIntersects":
      return [boundingBoxOf(intersectsGeometryOf(operand))];
    case "$near":
    case "$nearSphere": {
      const near = readNearOperand(operand, operator === "$nearSphere");
      if (near.maxDistance === undefined) return undefined;
      if (near.units === "planar") {
        const [x, y] = near.point;
        return [[x - near.maxDistance, y - near.maxDistance, x + near.maxDistance, y + near.maxDistance]];
      }
      const radians = near.units === "meters" ? near.maxDistance / EARTH_RADIUS_METERS : near.maxDistance;
      return sphericalCapBoxes(near.point, radians);
    }
  }
}

/** An operator document such as `{ $geometry: … }` (as opposed to a legacy point document `{ x, y }`). */
function isOperatorDoc(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith("$"));
}
