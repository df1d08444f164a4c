/**
 * The `@situation/city-subgraph/seed-data` entry point: the demo districts and the geometry helpers
 * to place points inside them, without city's GraphQL types (importing those into another subgraph
 * would register a second `District` class with type-graphql).
 */
export {
  KRUSEVAC_CENTRE,
  KRUSEVAC_DISTRICTS,
  findSeedDistrictContaining,
  type DistrictSeed,
} from "./district/district.seed-data.js";
export {
  parsePoint,
  parseMultiPolygon,
  isPointInMultiPolygon,
  boundingBox,
  type Position,
  type PointGeometry,
  type MultiPolygonGeometry,
} from "./geo/geo-json.js";
