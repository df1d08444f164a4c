/**
 * GeoJSON as this platform stores it: checked before it reaches MongoDB, so that a bad geometry is
 * the caller's mistake with a field name (BAD_USER_INPUT) rather than a 2dsphere index error
 * ("Can't extract geo keys") surfacing as an internal failure.
 *
 * No decorators here: the business subgraph and the seeds import this module through the
 * `@situation/city-subgraph/geo-json` entry point without loading city's GraphQL types.
 */
import { UserInputError } from "@situation/platform";

/** `[longitude, latitude]`, WGS 84, as GeoJSON orders them. */
export type Position = [longitude: number, latitude: number];

export interface PointGeometry {
  type: "Point";
  coordinates: Position;
}

export interface MultiPolygonGeometry {
  type: "MultiPolygon";
  coordinates: Position[][][];
}

/** Returns a clean copy of `value` if it is a valid GeoJSON Point, else throws `UserInputError` naming `field`. */
export function parsePoint(value: unknown, field: string): PointGeometry {
  if (!isRecord(value)) throw invalid(field, "must be a GeoJSON Point object");
  if (value.type !== "Point") throw invalid(field, `type must be "Point", not ${JSON.stringify(value.type)}`);
  const problem = positionProblem(value.coordinates);
  if (problem !== undefined) throw invalid(field, `coordinates ${problem}`);
  return { type: "Point", coordinates: toPosition(value.coordinates as number[]) };
}

/**
 * Returns a clean copy of `value` if it is a GeoJSON MultiPolygon that a 2dsphere index accepts
 * (every ring closed, at least four positions, positions within WGS 84 bounds), else throws
 * `UserInputError` naming `field` and the first problem found.
 */
export function parseMultiPolygon(value: unknown, field: string): MultiPolygonGeometry {
  if (!isRecord(value)) throw invalid(field, "must be a GeoJSON MultiPolygon object");
  if (value.type !== "MultiPolygon") throw invalid(field, `type must be "MultiPolygon", not ${JSON.stringify(value.type)}`);
  const polygons = value.coordinates;
  if (!Array.isArray(polygons) || polygons.length === 0) throw invalid(field, "needs at least one polygon");
  const coordinates = polygons.map((rings: unknown, polygonIndex) => {
    if (!Array.isArray(rings) || rings.length === 0) throw invalid(field, `polygon ${polygonIndex} needs at least one ring`);
    return rings.map((ring: unknown, ringIndex) => {
      const where = `polygon ${polygonIndex}, ring ${ringIndex}`;
      if (!Array.isArray(ring) || ring.length < 4) throw invalid(field, `${where} needs at least 4 positions`);
      const positions = ring.map((position: unknown, positionIndex) => {
        const problem = positionProblem(position);
        if (problem !== undefined) throw invalid(field, `${where}, position ${positionIndex} ${problem}`);
        return toPosition(position as number[]);
      });
      const first = positions[0]!;
      const last = positions[positions.length - 1]!;
      if (first[0] !== last[0] || first[1] !== last[1]) {
        throw invalid(field, `${where} is not closed (its first and last positions differ)`);
      }
      return positions;
    });
  });
  return { type: "MultiPolygon", coordinates };
}

/**
 * Whether a point lies strictly inside a multipolygon (inside an outer ring and outside that
 * polygon's holes), by ray casting on longitude/latitude. Planar, which is exact enough for areas the
 * size of a city; used to place and check demo data, while queries use MongoDB's 2dsphere operators.
 */
export function isPointInMultiPolygon(point: Position, multiPolygon: MultiPolygonGeometry): boolean {
  return multiPolygon.coordinates.some(
    ([outer, ...holes]) => outer !== undefined && isInRing(point, outer) && !holes.some((hole) => isInRing(point, hole)),
  );
}

/** The smallest longitude/latitude box around a multipolygon. */
export function boundingBox(multiPolygon: MultiPolygonGeometry): { west: number; south: number; east: number; north: number } {
  const positions = multiPolygon.coordinates.flat(2);
  const longitudes = positions.map(([longitude]) => longitude);
  const latitudes = positions.map(([, latitude]) => latitude);
  return {
    west: Math.min(...longitudes),
    south: Math.min(...latitudes),
    east: Math.max(...longitudes),
    north: Math.max(...latitudes),
  };
}

function isInRing([x, y]: Position, ring: Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function positionProblem(value: unknown): string | undefined {
  // GeoJSON allows an optional altitude; MongoDB ignores it.
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) return "must be [longitude, latitude]";
  if (!value.every((number) => typeof number === "number" && Number.isFinite(number))) return "must hold finite numbers";
  const [longitude, latitude] = value as number[];
  if (longitude! < -180 || longitude! > 180) return `has longitude ${longitude} outside -180…180`;
  if (latitude! < -90 || latitude! > 90) return `has latitude ${latitude} outside -90…90`;
  return undefined;
}

function toPosition(value: number[]): Position {
  return [value[0]!, value[1]!];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(field: string, problem: string): UserInputError {
  return new UserInputError(`${field}: ${problem}`, { field });
}
