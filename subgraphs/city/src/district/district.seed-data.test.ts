import { describe, expect, it } from "vitest";
import { boundingBox, isPointInMultiPolygon, type Position } from "../geo/geo-json.js";
import { findSeedDistrictContaining, KRUSEVAC_CENTRE, KRUSEVAC_DISTRICTS } from "./district.seed-data.js";

describe("the demo districts of Kruševac", () => {
  it("have unique slugs and names in both scripts", () => {
    const ids = KRUSEVAC_DISTRICTS.map((district) => district.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const district of KRUSEVAC_DISTRICTS) {
      expect(district.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(district.nameCyrillic).toMatch(/^[\u0400-\u04FF ]+$/);
      expect(district.nameLatin).toMatch(/^[A-Za-zČčĆćŽžŠšĐđ ]+$/);
    }
  });

  it("add up to about the city's 145,000 inhabitants", () => {
    const total = KRUSEVAC_DISTRICTS.reduce((sum, district) => sum + district.population, 0);
    expect(total).toBeGreaterThan(140_000);
    expect(total).toBeLessThan(150_000);
  });

  it("put the city centre in Centar and each district's centre in that district", () => {
    expect(findSeedDistrictContaining(KRUSEVAC_CENTRE)?.id).toBe("centar");
    for (const district of KRUSEVAC_DISTRICTS) {
      expect(findSeedDistrictContaining(district.centre.coordinates)?.id).toBe(district.id);
    }
  });

  it("tile their area: every sampled point lies in exactly one district", () => {
    const boxes = KRUSEVAC_DISTRICTS.map((district) => boundingBox(district.boundary));
    const west = Math.min(...boxes.map((box) => box.west));
    const east = Math.max(...boxes.map((box) => box.east));
    const south = Math.min(...boxes.map((box) => box.south));
    const north = Math.max(...boxes.map((box) => box.north));
    // An off-grid lattice, so that no sample falls on a shared edge.
    const steps = 57;
    for (let i = 0; i < steps; i++) {
      for (let j = 0; j < steps; j++) {
        const point: Position = [west + ((i + 0.37) / steps) * (east - west), south + ((j + 0.41) / steps) * (north - south)];
        const containing = KRUSEVAC_DISTRICTS.filter((district) => isPointInMultiPolygon(point, district.boundary));
        expect(containing.length, `point ${point.join(",")}`).toBe(1);
      }
    }
  });
});
