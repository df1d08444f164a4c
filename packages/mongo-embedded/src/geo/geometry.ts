/**
 * Reading geo values and query operands into GeoJSON geometries that Turf can work with, and the
 * bounding boxes the 2dsphere index narrows by. Shared by predicates.ts and geo-index.ts.
 *
 * Stored values are BSON as the server keeps it (numbers may be Double/Int32/Long instances), so
 * every coordinate goes through `toNumber` once, here, and Turf only ever sees plain numbers.
 */
import type {
  BBox,
  Geometry,
  GeometryCollection,
  LineString,
  MultiLineString,
  MultiPoint,
  MultiPolygon,
  Point,
  Polygon,
  Position,
} from "geojson";
import { bbox as turfBoundingBox } from "@turf/bbox";
import { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
import { kinks } from "@turf/kinks";
import { isNumeric, toNumber } from "../bson-values.js";
import { badValue, ErrorCodes, MongoCommandError } from "../errors.js";

/** MongoDB's earth radius for converting angles to metres (kRadiusOfEarthInMeters). */
export const EARTH_RADIUS_METERS = 6378100;

/** A geometry whose parts are all simple (Point, LineString, Polygon): what the predicates loop over. */
export type SimpleGeometry = Point | LineString | Polygon;

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });

const GEOJSON_TYPES = new Set([
  "Point",
  "LineString",
  "Polygon",
  "MultiPoint",
  "MultiLineString",
  "MultiPolygon",
  "GeometryCollection",
]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  // BSON number wrappers are objects too, but never geo values.
  return !isNumeric(value);
}

/** A legacy coordinate pair: `[x, y]` (extra elements ignored) or a document whose first two fields are numbers. */
export function legacyPairOf(value: unknown): Position | undefined {
  let first: unknown;
  let second: unknown;
  if (Array.isArray(value)) {
    if (value.length < 2) return undefined;
    [first, second] = value;
  } else if (isPlainObject(value)) {
    // MongoDB reads the first two fields in order, whatever their names ({x, y}, {lng, lat}, …).
    const fields = Object.values(value);
    if (fields.length < 2) return undefined;
    [first, second] = fields;
  } else {
    return undefined;
  }
  if (!isNumeric(first) || !isNumeric(second)) return undefined;
  const position = [toNumber(first), toNumber(second)];
  return position.every(Number.isFinite) ? position : undefined;
}

export function isGeoJsonObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && "type" in value;
}

/**
 * A stored value, a legacy pair or GeoJSON object, as a geometry. Checks structure (types, ring
 * closure, vertex counts) but not the lng/lat range: planar legacy queries may use any coordinates.
 */
export function readGeoValue(value: unknown): Result<Geometry> {
  if (isGeoJsonObject(value)) return readGeoJson(value);
  const pair = legacyPairOf(value);
  if (pair) return ok({ type: "Point", coordinates: pair });
  return fail("Point must be an array or object");
}

/** The geometries of a stored field value: one, or one per element of an array of geo values. Non-geo values are skipped. */
export function geometriesOfStoredValue(value: unknown): Geometry[] {
  if (Array.isArray(value) && !legacyPairOf(value)) {
    return value.flatMap((element) => geometriesOfStoredValue(element));
  }
  const read = readGeoValue(value);
  return read.ok ? [read.value] : [];
}

function readPosition(value: unknown, what: string): Result<Position> {
  if (!Array.isArray(value) || value.length < 2) return fail(`${what} must be an array of at least two numbers`);
  if (!value.every((coordinate) => isNumeric(coordinate))) return fail(`${what} must only contain numeric elements`);
  const position = value.map((coordinate) => toNumber(coordinate));
  if (!position.every(Number.isFinite)) return fail(`${what} must only contain finite numbers`);
  // Altitude is allowed by GeoJSON but plays no part in any MongoDB geo predicate.
  return ok(position.slice(0, 2));
}

function readPositions(value: unknown, what: string, minimum: number): Result<Position[]> {
  if (!Array.isArray(value)) return fail(`${what} coordinates must be an array`);
  if (value.length < minimum) return fail(`${what} must have at least ${minimum} vertices`);
  const positions: Position[] = [];
  for (const element of value) {
    const position = readPosition(element, `${what} vertex`);
    if (!position.ok) return position;
    positions.push(position.value);
  }
  return ok(positions);
}

function samePosition(a: Position, b: Position): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

function readRing(value: unknown): Result<Position[]> {
  const ring = readPositions(value, "Loop", 4);
  if (!ring.ok) return ring;
  const positions = ring.value;
  if (!samePosition(positions[0], positions[positions.length - 1])) {
    return fail("Loop is not closed, first vertex does not equal last vertex");
  }
  if (new Set(positions.map((position) => `${position[0]},${position[1]}`)).size < 3) {
    return fail("Loop must have at least 3 different vertices");
  }
  return ok(positions);
}

function readRings(value: unknown): Result<Position[][]> {
  if (!Array.isArray(value) || value.length === 0) return fail("Polygon coordinates must be a non-empty array of loops");
  const rings: Position[][] = [];
  for (const element of value) {
    const ring = readRing(element);
    if (!ring.ok) return ring;
    rings.push(ring.value);
  }
  return ok(rings);
}

function readList<T>(value: unknown, what: string, readElement: (element: unknown) => Result<T>): Result<T[]> {
  if (!Array.isArray(value) || value.length === 0) return fail(`${what} coordinates must be a non-empty array`);
  const elements: T[] = [];
  for (const element of value) {
    const read = readElement(element);
    if (!read.ok) return read;
    elements.push(read.value);
  }
  return ok(elements);
}

export function readGeoJson(value: Record<string, unknown>): Result<Geometry> {
  const type = value.type;
  if (typeof type !== "string" || !GEOJSON_TYPES.has(type)) return fail(`unknown GeoJSON type: ${describe(type)}`);
  const coordinates = value.coordinates;
  switch (type) {
    case "Point": {
      const position = readPosition(coordinates, "Point");
      return position.ok ? ok<Point>({ type, coordinates: position.value }) : position;
    }
    case "LineString": {
      const positions = readPositions(coordinates, "LineString", 2);
      return positions.ok ? ok<LineString>({ type, coordinates: positions.value }) : positions;
    }
    case "Polygon": {
      const rings = readRings(coordinates);
      return rings.ok ? ok<Polygon>({ type, coordinates: rings.value }) : rings;
    }
    case "MultiPoint": {
      const points = readList(coordinates, "MultiPoint", (element) => readPosition(element, "MultiPoint element"));
      return points.ok ? ok<MultiPoint>({ type, coordinates: points.value }) : points;
    }
    case "MultiLineString": {
      const lines = readList(coordinates, "MultiLineString", (element) => readPositions(element, "LineString", 2));
      return lines.ok ? ok<MultiLineString>({ type, coordinates: lines.value }) : lines;
    }
    case "MultiPolygon": {
      const polygons = readList(coordinates, "MultiPolygon", readRings);
      return polygons.ok ? ok<MultiPolygon>({ type, coordinates: polygons.value }) : polygons;
    }
    default: {
      const members = value.geometries;
      if (!Array.isArray(members)) return fail("GeometryCollection geometries must be an array");
      const geometries: Geometry[] = [];
      for (const member of members) {
        if (!isGeoJsonObject(member)) return fail("GeometryCollection geometries must be GeoJSON objects");
        const read = readGeoJson(member);
        if (!read.ok) return read;
        geometries.push(read.value);
      }
      return ok<GeometryCollection>({ type: "GeometryCollection", geometries });
    }
  }
}

/** Every part of a geometry, with Multi* and collections taken apart. */
export function simpleParts(geometry: Geometry): SimpleGeometry[] {
  switch (geometry.type) {
    case "Point":
    case "LineString":
    case "Polygon":
      return [geometry];
    case "MultiPoint":
      return geometry.coordinates.map((coordinates) => ({ type: "Point", coordinates }));
    case "MultiLineString":
      return geometry.coordinates.map((coordinates) => ({ type: "LineString", coordinates }));
    case "MultiPolygon":
      return geometry.coordinates.map((coordinates) => ({ type: "Polygon", coordinates }));
    case "GeometryCollection":
      return geometry.geometries.flatMap(simpleParts);
  }
}

/** Every vertex of a geometry. */
export function positionsOf(geometry: Geometry): Position[] {
  return simpleParts(geometry).flatMap((part): Position[] => {
    if (part.type === "Point") return [part.coordinates];
    if (part.type === "LineString") return part.coordinates;
    return part.coordinates.flat();
  });
}

/**
 * The checks MongoDB's 2dsphere makes beyond structure: coordinates on the sphere, and polygons
 * whose loops neither cross themselves nor each other, with holes inside the shell.
 */
export function sphericalProblem(geometry: Geometry): string | undefined {
  for (const [lng, lat] of positionsOf(geometry)) {
    if (lng < -180 || lng > 180 || lat < -90 || lat > 90) {
      return `longitude/latitude is out of bounds, lng: ${lng} lat: ${lat}`;
    }
  }
  for (const part of simpleParts(geometry)) {
    if (part.type !== "Polygon") continue;
    // Repeated consecutive vertices are legal (MongoDB drops them) but would look like crossings to kinks.
    const rings = part.coordinates.map(withoutRepeatedVertices);
    if (kinks({ type: "Polygon", coordinates: rings }).features.length > 0) {
      return "Loop is not valid: edges cross (the polygon intersects itself)";
    }
    const shell: Polygon = { type: "Polygon", coordinates: [rings[0]] };
    for (const hole of rings.slice(1)) {
      // Loops do not cross (kinks), so one vertex tells whether the whole hole is inside the shell.
      if (!booleanPointInPolygon(hole[0], shell)) {
        return "Secondary loops not contained by first exterior loop - secondary loops must be holes";
      }
    }
  }
  return undefined;
}

function withoutRepeatedVertices(ring: Position[]): Position[] {
  return ring.filter((position, index) => index === 0 || !samePosition(position, ring[index - 1]));
}

/** A GeoJSON query operand (`$geometry`), read and checked as MongoDB does; BadValue when it is not valid. */
export function readQueryGeometry(operator: string, value: unknown): Geometry {
  if (!isGeoJsonObject(value)) {
    throw badValue(`${operator}: $geometry must be a GeoJSON object with type and coordinates, got ${describe(value)}`);
  }
  const read = readGeoJson(value);
  if (!read.ok) throw badValue(`${operator}: invalid $geometry ${describe(value)}: ${read.reason}`);
  const problem = sphericalProblem(read.value);
  if (problem) throw badValue(`${operator}: invalid $geometry ${describe(value)}: ${problem}`);
  return read.value;
}

/** Throws 16755 unless the value (GeoJSON, legacy pair, or an array of them) can go into a 2dsphere index. */
export function assertIndexable(value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value) && !legacyPairOf(value)) {
    // An array that is not itself a pair is a list of geo values, each indexed.
    if (value.some((element) => isNumeric(element))) throw cannotExtract(value, "Point must only contain numeric elements");
    for (const element of value) if (element !== undefined && element !== null) assertIndexable(element);
    return;
  }
  const read = readGeoValue(value);
  if (!read.ok) throw cannotExtract(value, read.reason);
  const problem = sphericalProblem(read.value);
  if (problem) throw cannotExtract(value, problem);
}

function cannotExtract(value: unknown, reason: string): MongoCommandError {
  return new MongoCommandError(ErrorCodes.Location16755, `Can't extract geo keys: ${describe(value)}  ${reason}`);
}

/** The planar bounding box of a geometry, as rbush wants it. */
export function boundingBoxOf(geometry: Geometry): BBox {
  return turfBoundingBox(geometry);
}

/**
 * Bounding boxes (lng/lat degrees) that together cover every point within `radians` of `center`
 * on the sphere. Longitude degrees shrink with latitude, so the half-width in longitude is
 * asin(sin r / cos lat), not r; a cap that reaches a pole covers every longitude; a cap across
 * the antimeridian becomes two boxes.
 */
export function sphericalCapBoxes(center: Position, radians: number): BBox[] {
  const [lng, lat] = center;
  // A little slack against rounding: candidates must be a superset.
  const slackDegrees = 1e-9;
  const radiusDegrees = (radians * 180) / Math.PI + slackDegrees;
  if (radians >= Math.PI) return [[-180, -90, 180, 90]];
  const minLat = Math.max(-90, lat - radiusDegrees);
  const maxLat = Math.min(90, lat + radiusDegrees);
  const latitudeRadians = (lat * Math.PI) / 180;
  const sinRadius = Math.sin(radians);
  const cosLatitude = Math.cos(latitudeRadians);
  // Past a quarter circle sin r shrinks again and the asin formula no longer bounds the cap.
  const reachesEveryLongitude = radians >= Math.PI / 2 || sinRadius >= cosLatitude;
  if (lat + radiusDegrees >= 90 || lat - radiusDegrees <= -90 || reachesEveryLongitude) {
    return [[-180, minLat, 180, maxLat]];
  }
  const halfWidth = (Math.asin(sinRadius / cosLatitude) * 180) / Math.PI + slackDegrees;
  const west = lng - halfWidth;
  const east = lng + halfWidth;
  if (west < -180) return [[west + 360, minLat, 180, maxLat], [-180, minLat, east, maxLat]];
  if (east > 180) return [[west, minLat, 180, maxLat], [-180, minLat, east - 360, maxLat]];
  return [[west, minLat, east, maxLat]];
}

/** A value for an error message: JSON where possible (BSON numbers have toJSON), else String(). */
export function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, element: unknown) => (typeof element === "bigint" ? element.toString() : element));
    if (text === undefined) return String(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
