import { describe, expect, it } from "vitest";
import { AVERAGE_HOUSEHOLD_SIZE, CityArea, seedCityArea } from "./city-area.js";
import type { MultiPolygonGeometry } from "./outage.model.js";

function box(west: number, south: number, east: number, north: number): MultiPolygonGeometry {
  return {
    type: "MultiPolygon",
    coordinates: [[[[west, south], [east, south], [east, north], [west, north], [west, south]]]],
  };
}

// Two districts side by side: "west" 0…1 E and "east" 1…2 E, both 0…1 N.
const city = new CityArea([
  { id: "west", population: 1_000, box: { west: 0, south: 0, east: 1, north: 1 } },
  { id: "east", population: 3_000, box: { west: 1, south: 0, east: 2, north: 1 } },
]);

describe("CityArea", () => {
  it("spans the union of its districts' boxes", () => {
    expect(city.box).toEqual({ west: 0, south: 0, east: 2, north: 1 });
    expect(city.contains(box(0.1, 0.1, 1.9, 0.9))).toBe(true);
    expect(city.contains(box(1.5, 0.5, 2.5, 0.9))).toBe(false);
  });

  it("estimates people as the covered share of each district times its population", () => {
    expect(city.estimateAffected(box(0, 0, 1, 1)).people).toBe(1_000);
    const straddling = city.estimateAffected(box(0.5, 0, 1.5, 1));
    expect(straddling.people).toBe(500 + 1_500);
    expect(straddling.districts).toEqual([
      { districtId: "east", people: 1_500 },
      { districtId: "west", people: 500 },
    ]);
    expect(straddling.households).toBe(Math.round(2_000 / AVERAGE_HOUSEHOLD_SIZE));
  });

  it("clips concave shapes and subtracts holes", () => {
    // An L over the west district: three quarters of it.
    const l: MultiPolygonGeometry = {
      type: "MultiPolygon",
      coordinates: [[[[0, 0], [1, 0], [1, 0.5], [0.5, 0.5], [0.5, 1], [0, 1], [0, 0]]]],
    };
    expect(city.estimateAffected(l).people).toBe(750);
    const withHole: MultiPolygonGeometry = {
      type: "MultiPolygon",
      coordinates: [
        [
          [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
          [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75], [0.25, 0.25]],
        ],
      ],
    };
    expect(city.estimateAffected(withHole).people).toBe(750);
  });

  it("counts nobody for an area outside every district", () => {
    expect(city.estimateAffected(box(5, 5, 6, 6))).toEqual({ people: 0, households: 0, districts: [] });
  });

  it("uses the city subgraph's seed districts", () => {
    const seed = seedCityArea();
    expect(seed.districts.length).toBeGreaterThan(5);
    const centar = seed.districts.find((district) => district.id === "centar");
    expect(centar).toBeDefined();
    const { west, south, east, north } = centar!.box;
    expect(seed.estimateAffected(box(west, south, east, north)).people).toBe(centar!.population);
  });
});
