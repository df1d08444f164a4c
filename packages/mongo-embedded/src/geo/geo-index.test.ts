import { Double } from "bson";
import { describe, expect, it } from "vitest";
import { GeoIndex } from "./geo-index.js";
import { geoWithin, nearDistance } from "./predicates.js";

const point = (lng: number, lat: number) => ({ type: "Point", coordinates: [lng, lat] });
const square = (west: number, south: number, east: number, north: number) => ({
  type: "Polygon",
  coordinates: [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
});
const sorted = (keys: Set<string> | undefined) => [...(keys ?? [])].sort();

describe("GeoIndex", () => {
  it("adds, replaces and removes documents", () => {
    const index = new GeoIndex();
    index.add("a", point(21.33, 43.58));
    index.add("b", [21.5, 43.7]);
    index.add("c", null);
    index.add("d", undefined);
    expect(index.size).toBe(2);

    const centre = { $geometry: square(21.3, 43.57, 21.36, 43.6) };
    expect(sorted(index.candidates("$geoWithin", centre))).toEqual(["a"]);

    // Moving "b" into the square replaces its entry rather than adding a second one.
    index.add("b", { type: "Point", coordinates: [new Double(21.31), new Double(43.575)] });
    expect(index.size).toBe(2);
    expect(sorted(index.candidates("$geoWithin", centre))).toEqual(["a", "b"]);

    index.remove("a");
    index.remove("never-added");
    expect(index.size).toBe(1);
    expect(sorted(index.candidates("$geoWithin", centre))).toEqual(["b"]);

    // A value that becomes null leaves the index.
    index.add("b", null);
    expect(index.size).toBe(0);
  });

  it("rejects unindexable values with 16755 and keeps the previous entry", () => {
    const index = new GeoIndex();
    index.add("a", point(21.33, 43.58));
    expect(() => index.add("a", point(500, 43))).toThrow(expect.objectContaining({ code: 16755 }));
    expect(() => index.add("b", "not a place")).toThrow(expect.objectContaining({ code: 16755 }));
    expect(index.size).toBe(1);
    expect(sorted(index.candidates("$geoWithin", { $geometry: square(21, 43, 22, 44) }))).toEqual(["a"]);
  });

  it("indexes each geometry of an array and lines and polygons by their extent", () => {
    const index = new GeoIndex();
    index.add("two-places", [point(0, 0), point(21.33, 43.58)]);
    index.add("road", { type: "LineString", coordinates: [[21, 43.58], [22, 43.58]] });
    index.add("park", square(21.34, 43.59, 21.35, 43.595));
    const query = { $geometry: square(21.3, 43.57, 21.36, 43.6) };
    expect(sorted(index.candidates("$geoIntersects", query))).toEqual(["park", "road", "two-places"]);
    // Between the two places of the array: no candidate from a continent-sized box.
    expect(sorted(index.candidates("$geoWithin", { $geometry: square(10, 20, 11, 21) }))).toEqual([]);
  });

  it("narrows $near and $nearSphere only with $maxDistance", () => {
    const index = new GeoIndex();
    index.add("here", point(21.3336, 43.58));
    index.add("1km-north", point(21.3336, 43.589));
    index.add("far", point(21.5, 43.7));
    const near = (maxDistance?: number) => ({ $geometry: point(21.3336, 43.58), $maxDistance: maxDistance });
    expect(index.candidates("$near", { $geometry: point(21.3336, 43.58) })).toBeUndefined();
    expect(sorted(index.candidates("$near", near(500)))).toEqual(["here"]);
    expect(sorted(index.candidates("$nearSphere", near(1500)))).toEqual(["1km-north", "here"]);
    // Legacy form with radians beside the point.
    expect(sorted(index.candidates("$nearSphere", { $nearSphere: [21.3336, 43.58], $maxDistance: 0.0003 }))).toEqual(["1km-north", "here"]);
    expect(index.candidates("$nearSphere", [21.3336, 43.58])).toBeUndefined();
  });

  it("widens the longitude range of a circle with latitude, so no point within the distance is missed", () => {
    const index = new GeoIndex();
    // At 60N a degree of longitude is half a degree of latitude: 5 km east is about 0.09 degrees.
    index.add("east-at-60N", point(10.09, 60));
    index.add("north-at-60N", point(10, 60.045));
    const query = { $geometry: point(10, 60), $maxDistance: 5100 };
    const keys = sorted(index.candidates("$near", query));
    expect(keys).toEqual(["east-at-60N", "north-at-60N"]);
    for (const key of keys) {
      const value = key === "east-at-60N" ? point(10.09, 60) : point(10, 60.045);
      expect(nearDistance(value, query, true)).not.toBeNull();
    }
  });

  it("covers circles across the antimeridian and over a pole", () => {
    const index = new GeoIndex();
    index.add("west-of-dateline", point(179.99, 0));
    index.add("east-of-dateline", point(-179.99, 0));
    index.add("north-pole-side", point(-100, 89.99));
    index.add("elsewhere", point(0, 0));
    expect(sorted(index.candidates("$near", { $geometry: point(179.995, 0), $maxDistance: 5000 }))).toEqual([
      "east-of-dateline",
      "west-of-dateline",
    ]);
    expect(sorted(index.candidates("$geoWithin", { $centerSphere: [[80, 89.99], 0.001] }))).toEqual(["north-pole-side"]);
  });

  it("never leaves out a point that $near or $centerSphere matches, anywhere on the globe", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const index = new GeoIndex();
    const values = new Map<string, ReturnType<typeof point>>();
    for (let i = 0; i < 2000; i++) {
      const value = point(-180 + random() * 360, -90 + random() * 180);
      values.set(String(i), value);
      index.add(String(i), value);
    }
    for (let round = 0; round < 120; round++) {
      const centre = [-180 + random() * 360, -90 + random() * 180];
      // From a few kilometres to more than a hemisphere.
      const radians = Math.exp(-7 + random() * 8);
      const near = { $geometry: point(centre[0], centre[1]), $maxDistance: radians * 6378100 };
      const nearCandidates = index.candidates("$nearSphere", near)!;
      const capQuery = { $centerSphere: [centre, radians] };
      const capCandidates = index.candidates("$geoWithin", capQuery)!;
      for (const [key, value] of values) {
        if (nearDistance(value, near, true) !== null) expect(nearCandidates.has(key), `${key} near ${centre} r=${radians}`).toBe(true);
        if (geoWithin(value, capQuery)) expect(capCandidates.has(key), `${key} within ${centre} r=${radians}`).toBe(true);
      }
    }
  });

  it("narrows legacy $box, $center and $polygon queries", () => {
    const index = new GeoIndex();
    index.add("origin", [0, 0]);
    index.add("far", [50, 50]);
    expect(sorted(index.candidates("$geoWithin", { $box: [[-1, -1], [1, 1]] }))).toEqual(["origin"]);
    expect(sorted(index.candidates("$geoWithin", { $center: [[1, 1], 2] }))).toEqual(["origin"]);
    expect(sorted(index.candidates("$geoWithin", { $polygon: [[-1, -1], [1, -1], [0, 1]] }))).toEqual(["origin"]);
    expect(sorted(index.candidates("$near", { $near: [49, 49], $maxDistance: 2 }))).toEqual(["far"]);
  });

  it("rejects invalid query operands with BadValue", () => {
    const index = new GeoIndex();
    expect(() => index.candidates("$geoWithin", { $geometry: point(0, 0) })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => index.candidates("$geoIntersects", { $geometry: { type: "Polygon" } })).toThrow(expect.objectContaining({ code: 2 }));
  });

  it("answers a district polygon over 100,000 points quickly", () => {
    const index = new GeoIndex();
    const values = new Map<string, unknown>();
    let seed = 42;
    const random = () => {
      // A fixed pseudo-random sequence, so the test sees the same city every run.
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const loadStarted = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const value = point(21.25 + random() * 0.2, 43.5 + random() * 0.15);
      values.set(String(i), value);
      index.add(String(i), value);
    }
    const loadMs = performance.now() - loadStarted;

    const district = {
      $geometry: {
        type: "Polygon",
        coordinates: [[[21.3, 43.56], [21.34, 43.55], [21.37, 43.57], [21.36, 43.6], [21.31, 43.6], [21.3, 43.56]]],
      },
    };
    const queryStarted = performance.now();
    const candidates = index.candidates("$geoWithin", district)!;
    const matches = [...candidates].filter((key) => geoWithin(values.get(key), district));
    const queryMs = performance.now() - queryStarted;

    const scanned = [...values].filter(([, value]) => geoWithin(value, district)).map(([key]) => key);
    expect(matches.sort()).toEqual(scanned.sort());
    expect(candidates.size).toBeLessThan(values.size / 3);
    expect(matches.length).toBeGreaterThan(1000);
    // Generous bounds for slow CI machines; typical figures are far lower.
    expect(loadMs).toBeLessThan(5000);
    expect(queryMs).toBeLessThan(500);
  });
});
