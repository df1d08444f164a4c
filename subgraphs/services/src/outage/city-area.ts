/**
 * Where the city is and who lives where: the districts of the city subgraph's seed (through its
 * `@situation/city-subgraph/seed-data` entry point, which carries no GraphQL classes), used to check
 * that an outage lies inside the city and to estimate the people and households it affects.
 *
 * The districts are the city's demo data (rectangles that tile the city, with rounded populations);
 * when the city subgraph gains real boundaries this module is the one place to change.
 */
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import type { MultiPolygonGeometry } from "./outage.model.js";

type Position = readonly number[];

export interface BoundingBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

export interface DistrictArea {
  id: string;
  population: number;
  box: BoundingBox;
}

/** Average persons per household used to turn people into households: an assumption (Serbia's censuses give about 2.6–2.9). */
export const AVERAGE_HOUSEHOLD_SIZE = 2.7;

export interface AffectedEstimate {
  people: number;
  households: number;
  /**
   * People affected per district the area overlaps, biggest first. Every district it overlaps is
   * listed, even where the estimate rounds to nobody: the list is also what places an outage in a
   * district's view.
   */
  districts: { districtId: string; people: number }[];
}

/** The city's districts and their union's bounding box; the estimates and the "inside the city" check use these. */
export class CityArea {
  readonly box: BoundingBox;

  constructor(readonly districts: readonly DistrictArea[]) {
    if (districts.length === 0) throw new RangeError("a city needs at least one district");
    this.box = {
      west: Math.min(...districts.map((district) => district.box.west)),
      south: Math.min(...districts.map((district) => district.box.south)),
      east: Math.max(...districts.map((district) => district.box.east)),
      north: Math.max(...districts.map((district) => district.box.north)),
    };
  }

  /**
   * Whether every position of the geometry lies within the bounding box of the union of the
   * districts. A box is convex, so a polygon whose vertices all lie in it lies in it entirely.
   */
  contains(area: MultiPolygonGeometry): boolean {
    return area.coordinates.every((polygon) =>
      polygon.every((ring) => ring.every(([longitude, latitude]) => isInBox(longitude as number, latitude as number, this.box))),
    );
  }

  /**
   * People affected = Σ over districts of (share of the district covered by the area × its population).
   *
   * Turf's area and intersection modules are not installed here, so the share is measured against
   * the district's bounding box: each polygon of the area (outer ring minus holes) is clipped to the
   * box (Sutherland–Hodgman, exact for any polygon against a rectangle) and the clipped area is divided
   * by the box's. The demo districts are rectangles, so for them the share is exact; for other shapes
   * it assumes people spread evenly over the box. Areas are planar in square degrees: only their ratio
   * within one district's box is used, where the cos(latitude) factor cancels to well under a percent.
   */
  estimateAffected(area: MultiPolygonGeometry): AffectedEstimate {
    const districts: { districtId: string; people: number }[] = [];
    let total = 0;
    for (const district of this.districts) {
      const boxArea = planarArea(boxRing(district.box));
      if (boxArea <= 0) continue;
      let covered = 0;
      for (const [outer, ...holes] of area.coordinates) {
        if (!outer) continue;
        covered += planarArea(clipToBox(outer, district.box));
        for (const hole of holes) covered -= planarArea(clipToBox(hole, district.box));
      }
      const share = Math.min(1, Math.max(0, covered / boxArea));
      const people = share * district.population;
      if (share > 0) districts.push({ districtId: district.id, people: Math.round(people) });
      total += people;
    }
    districts.sort((left, right) => right.people - left.people || left.districtId.localeCompare(right.districtId));
    const people = Math.round(total);
    return { people, households: Math.round(total / AVERAGE_HOUSEHOLD_SIZE), districts };
  }
}

/**
 * Which rule the stored estimates follow. Raised whenever `estimateAffected` changes what it returns
 * for the same area, so that `OutageRepository.backfillEstimates` re-estimates the outages stored
 * under an older rule (2: districts overlapped by a sliver with nobody affected are listed too).
 */
export const ESTIMATE_VERSION = 2;

/**
 * The estimate fields stored with an outage's area; they follow from the area, so every write of it
 * sets them (and a feed outage's content hash leaves them out).
 */
export function storedEstimate(
  city: CityArea,
  area: MultiPolygonGeometry,
): {
  estimatedPeopleAffected: number;
  estimatedHouseholdsAffected: number;
  affectedDistricts: { districtId: string; people: number }[];
  estimateVersion: number;
} {
  const estimate = city.estimateAffected(area);
  return {
    estimatedPeopleAffected: estimate.people,
    estimatedHouseholdsAffected: estimate.households,
    affectedDistricts: estimate.districts,
    estimateVersion: ESTIMATE_VERSION,
  };
}

/** The city of the demo data: the city subgraph's seed districts. */
export function seedCityArea(): CityArea {
  return new CityArea(
    KRUSEVAC_DISTRICTS.map((district) => {
      const positions = district.boundary.coordinates.flat(2);
      return {
        id: district.id,
        population: district.population,
        box: {
          west: Math.min(...positions.map(([longitude]) => longitude)),
          south: Math.min(...positions.map(([, latitude]) => latitude)),
          east: Math.max(...positions.map(([longitude]) => longitude)),
          north: Math.max(...positions.map(([, latitude]) => latitude)),
        },
      };
    }),
  );
}

function isInBox(longitude: number, latitude: number, box: BoundingBox): boolean {
  return longitude >= box.west && longitude <= box.east && latitude >= box.south && latitude <= box.north;
}

function boxRing(box: BoundingBox): Position[] {
  return [
    [box.west, box.south],
    [box.east, box.south],
    [box.east, box.north],
    [box.west, box.north],
    [box.west, box.south],
  ];
}

/** Sutherland–Hodgman clipping of a ring against each of the box's four edges in turn. */
function clipToBox(ring: readonly Position[], box: BoundingBox): Position[] {
  // Drop the closing position; clipping works on the open ring.
  let points: Position[] = ring.slice(0, -1).map(([x, y]) => [x as number, y as number]);
  const edges: { inside: (p: Position) => boolean; cut: (a: Position, b: Position) => Position }[] = [
    { inside: (p) => (p[0] as number) >= box.west, cut: (a, b) => atLongitude(a, b, box.west) },
    { inside: (p) => (p[0] as number) <= box.east, cut: (a, b) => atLongitude(a, b, box.east) },
    { inside: (p) => (p[1] as number) >= box.south, cut: (a, b) => atLatitude(a, b, box.south) },
    { inside: (p) => (p[1] as number) <= box.north, cut: (a, b) => atLatitude(a, b, box.north) },
  ];
  for (const edge of edges) {
    if (points.length === 0) break;
    const input = points;
    points = [];
    for (let index = 0; index < input.length; index += 1) {
      const current = input[index] as Position;
      const previous = input[(index + input.length - 1) % input.length] as Position;
      if (edge.inside(current)) {
        if (!edge.inside(previous)) points.push(edge.cut(previous, current));
        points.push(current);
      } else if (edge.inside(previous)) {
        points.push(edge.cut(previous, current));
      }
    }
  }
  return points;
}

function atLongitude(a: Position, b: Position, longitude: number): Position {
  const [ax, ay] = a as [number, number];
  const [bx, by] = b as [number, number];
  return [longitude, ay + ((by - ay) * (longitude - ax)) / (bx - ax)];
}

function atLatitude(a: Position, b: Position, latitude: number): Position {
  const [ax, ay] = a as [number, number];
  const [bx, by] = b as [number, number];
  return [ax + ((bx - ax) * (latitude - ay)) / (by - ay), latitude];
}

/** Shoelace area of an (open or closed) ring in square degrees, sign dropped; only ever used in ratios. */
function planarArea(ring: readonly Position[]): number {
  if (ring.length < 3) return 0;
  let sum = 0;
  for (let index = 0; index < ring.length; index += 1) {
    const [x1, y1] = ring[index] as [number, number];
    const [x2, y2] = ring[(index + 1) % ring.length] as [number, number];
    sum += x1 * y2 - x2 * y1;
  }
  return Math.abs(sum) / 2;
}
