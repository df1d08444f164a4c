/**
 * Demonstration districts of Kruševac: the city's real urban and suburban local communities (месне
 * заједнице) by name, in Cyrillic and Latin script.
 *
 * APPROXIMATE DEMONSTRATION DATA, NOT OFFICIAL: the populations are rounded guesses that add up to
 * about the city's 145,000 inhabitants, and the boundaries are simple rectangles that tile an area
 * around the city centre (each district placed roughly on the side of town where it lies) so that
 * every point of the area belongs to exactly one district. Do not use them for anything but demos
 * and tests.
 *
 * No decorators here: the business seed and tests import this module through the
 * `@situation/city-subgraph/seed-data` entry point to place points inside districts.
 */
import { isPointInMultiPolygon, type MultiPolygonGeometry, type PointGeometry, type Position } from "../geo/geo-json.js";

/** Трг косовских јунака, the centre of Kruševac. */
export const KRUSEVAC_CENTRE: Position = [21.3336, 43.58];

export interface DistrictSeed {
  id: string;
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  boundary: MultiPolygonGeometry;
  centre: PointGeometry;
}

// One grid cell is about 1.6 km east–west and 1.55 km north–south at this latitude.
const CELL_LONGITUDE_DEGREES = 0.02;
const CELL_LATITUDE_DEGREES = 0.014;

/**
 * A rectangle given in grid cells east (x) and north (y) of the centre. Rounded to 6 decimals (about
 * 10 cm) so that neighbours' shared edges have exactly the same coordinates.
 */
function rectangle(west: number, south: number, east: number, north: number): Pick<DistrictSeed, "boundary" | "centre"> {
  const longitude = (x: number) => round(KRUSEVAC_CENTRE[0] + x * CELL_LONGITUDE_DEGREES);
  const latitude = (y: number) => round(KRUSEVAC_CENTRE[1] + y * CELL_LATITUDE_DEGREES);
  // Counter-clockwise outer ring, as GeoJSON (RFC 7946) asks.
  const ring: Position[] = [
    [longitude(west), latitude(south)],
    [longitude(east), latitude(south)],
    [longitude(east), latitude(north)],
    [longitude(west), latitude(north)],
    [longitude(west), latitude(south)],
  ];
  return {
    boundary: { type: "MultiPolygon", coordinates: [[ring]] },
    centre: { type: "Point", coordinates: [longitude((west + east) / 2), latitude((south + north) / 2)] },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * The tiling: a 3 × 3 block of urban districts with Centar in the middle, and four suburban areas
 * around it laid out as a pinwheel (each a rectangle 5 cells by 2), covering a 7 × 7 cell square of
 * about 11 × 11 km.
 */
export const KRUSEVAC_DISTRICTS: readonly DistrictSeed[] = Object.freeze([
  // Urban block, north row.
  { id: "parunovac", nameCyrillic: "Паруновац", nameLatin: "Parunovac", population: 9_500, ...rectangle(-1.5, 0.5, -0.5, 1.5) },
  { id: "ujedinjene-nacije", nameCyrillic: "Уједињене нације", nameLatin: "Ujedinjene nacije", population: 12_500, ...rectangle(-0.5, 0.5, 0.5, 1.5) },
  { id: "citluk", nameCyrillic: "Читлук", nameLatin: "Čitluk", population: 8_000, ...rectangle(0.5, 0.5, 1.5, 1.5) },
  // Middle row.
  { id: "lazarica", nameCyrillic: "Лазарица", nameLatin: "Lazarica", population: 11_000, ...rectangle(-1.5, -0.5, -0.5, 0.5) },
  { id: "centar", nameCyrillic: "Центар", nameLatin: "Centar", population: 14_000, ...rectangle(-0.5, -0.5, 0.5, 0.5) },
  { id: "bagdala", nameCyrillic: "Багдала", nameLatin: "Bagdala", population: 13_500, ...rectangle(0.5, -0.5, 1.5, 0.5) },
  // South row.
  { id: "mudrakovac", nameCyrillic: "Мудраковац", nameLatin: "Mudrakovac", population: 9_000, ...rectangle(-1.5, -1.5, -0.5, -0.5) },
  { id: "rasadnik", nameCyrillic: "Расадник", nameLatin: "Rasadnik", population: 12_000, ...rectangle(-0.5, -1.5, 0.5, -0.5) },
  { id: "pakastica", nameCyrillic: "Пакаштица", nameLatin: "Pakaštica", population: 10_500, ...rectangle(0.5, -1.5, 1.5, -0.5) },
  // Suburban pinwheel.
  { id: "bivolje", nameCyrillic: "Бивоље", nameLatin: "Bivolje", population: 11_500, ...rectangle(-3.5, 1.5, 1.5, 3.5) },
  { id: "jasika", nameCyrillic: "Јасика", nameLatin: "Jasika", population: 9_500, ...rectangle(1.5, -1.5, 3.5, 3.5) },
  { id: "tekija", nameCyrillic: "Текија", nameLatin: "Tekija", population: 12_000, ...rectangle(-1.5, -3.5, 3.5, -1.5) },
  { id: "dedina", nameCyrillic: "Дедина", nameLatin: "Dedina", population: 12_000, ...rectangle(-3.5, -3.5, -1.5, 1.5) },
]);

/** The seed district a point lies strictly inside, if any (points on a shared edge belong to none). */
export function findSeedDistrictContaining(point: Position): DistrictSeed | undefined {
  return KRUSEVAC_DISTRICTS.find((district) => isPointInMultiPolygon(point, district.boundary));
}
