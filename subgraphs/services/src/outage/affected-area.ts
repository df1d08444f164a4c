import type { MultiPolygonGeometry, PolygonGeometry } from "./outage.model.js";

/**
 * Checks a GeoJSON Polygon or MultiPolygon well enough that the 2dsphere index accepts it, and always
 * returns a MultiPolygon so that every stored outage has the same shape. Returns the reason it is not
 * valid as a string, so callers can report it against their own field name.
 */
export function toMultiPolygon(value: unknown): MultiPolygonGeometry | string {
  if (typeof value !== "object" || value === null) return "must be a GeoJSON Polygon or MultiPolygon object";
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  if (type === "Polygon") {
    const problem = polygonProblem(coordinates);
    return problem ?? { type: "MultiPolygon", coordinates: [coordinates as number[][][]] };
  }
  if (type === "MultiPolygon") {
    if (!Array.isArray(coordinates) || coordinates.length === 0) return "a MultiPolygon needs at least one polygon";
    for (const [index, polygon] of coordinates.entries()) {
      const problem = polygonProblem(polygon);
      if (problem) return `polygon ${index}: ${problem}`;
    }
    return { type: "MultiPolygon", coordinates: coordinates as number[][][][] };
  }
  return `type must be "Polygon" or "MultiPolygon", not ${JSON.stringify(type)}`;
}

function polygonProblem(rings: unknown): string | undefined {
  if (!Array.isArray(rings) || rings.length === 0) return "a polygon needs at least one ring";
  for (const [ringIndex, ring] of rings.entries()) {
    if (!Array.isArray(ring) || ring.length < 4) return `ring ${ringIndex} needs at least 4 positions`;
    for (const position of ring) {
      if (!isPosition(position)) return `ring ${ringIndex} has a position that is not [longitude, latitude]`;
    }
    const first = ring[0] as number[];
    const last = ring[ring.length - 1] as number[];
    if (first[0] !== last[0] || first[1] !== last[1]) return `ring ${ringIndex} is not closed (first and last positions differ)`;
  }
  return undefined;
}

function isPosition(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) return false;
  const [longitude, latitude] = value as unknown[];
  return (
    typeof longitude === "number" &&
    typeof latitude === "number" &&
    Number.isFinite(longitude) &&
    Number.isFinite(latitude) &&
    longitude >= -180 &&
    longitude <= 180 &&
    latitude >= -90 &&
    latitude <= 90
  );
}

export type { MultiPolygonGeometry, PolygonGeometry };
