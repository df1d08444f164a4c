import { Double, Int32, Long } from "bson";
import { describe, expect, it } from "vitest";
import { geoIntersects, geoWithin, nearDistance, validateIndexableGeometry } from "./predicates.js";

const point = (lng: number, lat: number) => ({ type: "Point", coordinates: [lng, lat] });

/** A square around central Niš, about 4.8 km by 3.3 km. */
const square = {
  type: "Polygon",
  coordinates: [[[21.3, 43.57], [21.36, 43.57], [21.36, 43.6], [21.3, 43.6], [21.3, 43.57]]],
};
const squareWithHole = {
  type: "Polygon",
  coordinates: [
    square.coordinates[0],
    [[21.32, 43.58], [21.34, 43.58], [21.34, 43.59], [21.32, 43.59], [21.32, 43.58]],
  ],
};

describe("geoWithin $geometry", () => {
  it("tests GeoJSON and legacy points against a polygon", () => {
    const within = { $geometry: square };
    expect(geoWithin(point(21.3336, 43.58), within)).toBe(true);
    expect(geoWithin(point(21.5, 43.7), within)).toBe(false);
    expect(geoWithin([21.31, 43.575], within)).toBe(true);
    expect(geoWithin({ x: 21.31, y: 43.575 }, within)).toBe(true);
    expect(geoWithin({ lng: 21.5, lat: 43.575 }, within)).toBe(false);
  });

  it("reads BSON numbers as numbers", () => {
    const stored = { type: "Point", coordinates: [new Double(21.31), new Double(43.575)] };
    expect(geoWithin(stored, { $geometry: square })).toBe(true);
    expect(geoWithin([new Int32(21), new Long(43)], { $geometry: square })).toBe(false);
    const bsonSquare = {
      type: "Polygon",
      coordinates: [[[new Int32(20), new Int32(43)], [new Int32(22), new Int32(43)], [new Int32(22), new Int32(44)], [new Int32(20), new Int32(43)]]],
    };
    expect(geoWithin([new Int32(21), new Double(43.5)], { $geometry: bsonSquare })).toBe(true);
  });

  it("excludes the polygon's holes", () => {
    expect(geoWithin(point(21.33, 43.585), { $geometry: squareWithHole })).toBe(false);
    expect(geoWithin(point(21.31, 43.575), { $geometry: squareWithHole })).toBe(true);
  });

  it("accepts MultiPolygons", () => {
    const two = {
      type: "MultiPolygon",
      coordinates: [square.coordinates, [[[22, 44], [22.1, 44], [22.1, 44.1], [22, 44]]]],
    };
    expect(geoWithin(point(22.09, 44.01), { $geometry: two })).toBe(true);
    expect(geoWithin(point(21.31, 43.575), { $geometry: two })).toBe(true);
    expect(geoWithin(point(21.9, 43.9), { $geometry: two })).toBe(false);
  });

  it("requires lines and polygons to lie entirely inside", () => {
    const inside = { type: "LineString", coordinates: [[21.31, 43.575], [21.35, 43.595]] };
    const crossing = { type: "LineString", coordinates: [[21.31, 43.575], [21.4, 43.595]] };
    expect(geoWithin(inside, { $geometry: square })).toBe(true);
    expect(geoWithin(crossing, { $geometry: square })).toBe(false);
    const small = { type: "Polygon", coordinates: [[[21.31, 43.575], [21.32, 43.575], [21.32, 43.58], [21.31, 43.575]]] };
    expect(geoWithin(small, { $geometry: square })).toBe(true);
    expect(geoWithin({ type: "MultiPoint", coordinates: [[21.31, 43.575], [21.5, 43.7]] }, { $geometry: square })).toBe(false);
  });

  it("matches an array of geo values when one of them matches", () => {
    expect(geoWithin([point(0, 0), point(21.31, 43.575)], { $geometry: square })).toBe(true);
    expect(geoWithin([[0, 0], [1, 1]], { $geometry: square })).toBe(false);
  });

  it("does not match values that are not geometry", () => {
    expect(geoWithin("Niš", { $geometry: square })).toBe(false);
    expect(geoWithin(null, { $geometry: square })).toBe(false);
    expect(geoWithin(undefined, { $geometry: square })).toBe(false);
  });

  it("rejects operands that are not valid polygons with BadValue", () => {
    expect(() => geoWithin(point(0, 0), { $geometry: point(1, 1) })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => geoWithin(point(0, 0), { $geometry: { type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1]]] } })).toThrow(
      expect.objectContaining({ code: 2 }),
    );
    const bowTie = { type: "Polygon", coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] };
    expect(() => geoWithin(point(0, 0), { $geometry: bowTie })).toThrow(/intersects itself/);
    expect(() => geoWithin(point(0, 0), { $nonsense: 1 })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => geoWithin(point(0, 0), { $geometry: "square" })).toThrow(expect.objectContaining({ code: 2 }));
  });
});

describe("geoWithin legacy shapes", () => {
  it("$centerSphere is a spherical cap in radians", () => {
    // 0.001 rad is about 6.4 km; 43.58N 21.41E is about 6.2 km east of 21.3336E.
    const cap = { $centerSphere: [[21.3336, 43.58], 0.001] };
    expect(geoWithin(point(21.3336, 43.585), cap)).toBe(true);
    expect(geoWithin(point(21.41, 43.58), cap)).toBe(true);
    expect(geoWithin(point(21.42, 43.58), cap)).toBe(false);
    expect(geoWithin(point(21.3336, 43.64), cap)).toBe(false);
    expect(geoWithin({ type: "LineString", coordinates: [[21.33, 43.58], [21.34, 43.58]] }, cap)).toBe(true);
  });

  it("$box, $polygon and $center are planar", () => {
    expect(geoWithin([5, 5], { $box: [[0, 0], [10, 10]] })).toBe(true);
    expect(geoWithin([10, 10], { $box: [[0, 0], [10, 10]] })).toBe(true);
    expect(geoWithin([11, 5], { $box: [[0, 0], [10, 10]] })).toBe(false);
    expect(geoWithin([2, 1], { $polygon: [[0, 0], [4, 0], [0, 4]] })).toBe(true);
    expect(geoWithin([3, 3], { $polygon: [[0, 0], [4, 0], [0, 4]] })).toBe(false);
    expect(geoWithin([3, 4], { $center: [[0, 0], 5] })).toBe(true);
    expect(geoWithin([4, 4], { $center: [[0, 0], 5] })).toBe(false);
  });

  it("rejects malformed legacy shapes", () => {
    expect(() => geoWithin([0, 0], { $center: [[0, 0], -1] })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => geoWithin([0, 0], { $box: [[0, 0]] })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => geoWithin([0, 0], { $polygon: [[0, 0], [1, 1]] })).toThrow(expect.objectContaining({ code: 2 }));
  });
});

describe("geoIntersects", () => {
  it("intersects points, lines and polygons with the query geometry", () => {
    const query = { $geometry: square };
    expect(geoIntersects(point(21.31, 43.575), query)).toBe(true);
    expect(geoIntersects(point(21.5, 43.7), query)).toBe(false);
    expect(geoIntersects({ type: "LineString", coordinates: [[21.2, 43.58], [21.4, 43.58]] }, query)).toBe(true);
    expect(geoIntersects({ type: "LineString", coordinates: [[21.2, 43.5], [21.4, 43.5]] }, query)).toBe(false);
    const overlapping = { type: "Polygon", coordinates: [[[21.35, 43.59], [21.5, 43.59], [21.5, 43.7], [21.35, 43.59]]] };
    expect(geoIntersects(overlapping, query)).toBe(true);
    expect(geoIntersects({ type: "GeometryCollection", geometries: [point(0, 0), point(21.31, 43.575)] }, query)).toBe(true);
  });

  it("takes any GeoJSON type as the query geometry", () => {
    const road = { $geometry: { type: "LineString", coordinates: [[21.2, 43.58], [21.4, 43.58]] } };
    expect(geoIntersects({ type: "Polygon", coordinates: square.coordinates }, road)).toBe(true);
    expect(geoIntersects(point(21.3, 43.58), road)).toBe(true);
    expect(geoIntersects(point(21.3, 43.59), road)).toBe(false);
  });

  it("rejects a missing or invalid $geometry with BadValue", () => {
    expect(() => geoIntersects(point(0, 0), {})).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => geoIntersects(point(0, 0), { $geometry: point(200, 0) })).toThrow(/out of bounds/);
  });
});

describe("nearDistance", () => {
  const centre = [21.3336, 43.58];

  it("measures metres from a GeoJSON point with MongoDB's earth radius", () => {
    // 0.01 degree of latitude is 0.01 * pi / 180 radians on a 6378100 m sphere.
    const expected = ((0.01 * Math.PI) / 180) * 6378100;
    const distance = nearDistance(point(21.3336, 43.59), { $geometry: { type: "Point", coordinates: centre } }, true);
    expect(distance).toBeCloseTo(expected, 3);
    expect(nearDistance(point(21.3336, 43.58), { $geometry: point(21.3336, 43.58) }, false)).toBe(0);
  });

  it("applies $maxDistance and $minDistance from the operand or the options", () => {
    const near = { $geometry: point(21.3336, 43.58), $maxDistance: 1000 };
    expect(nearDistance(point(21.3336, 43.585), near, true)).toBeCloseTo(556.6, 0);
    expect(nearDistance(point(21.3336, 43.59), near, true)).toBeNull();
    expect(nearDistance(point(21.3336, 43.585), { ...near, $minDistance: 600 }, true)).toBeNull();
    expect(nearDistance(point(21.3336, 43.59), { $geometry: point(21.3336, 43.58) }, true, { maxDistance: 2000 })).not.toBeNull();
    expect(nearDistance(point(21.3336, 43.59), { $geometry: point(21.3336, 43.58) }, true, { maxDistance: 1000 })).toBeNull();
    expect(nearDistance(point(21.3336, 43.59), { $geometry: point(21.3336, 43.58), $maxDistance: new Int32(2000) }, true)).not.toBeNull();
  });

  it("uses radians for legacy pairs with $nearSphere and planar units with $near", () => {
    expect(nearDistance([0, 1], [0, 0], true)).toBeCloseTo(Math.PI / 180, 9);
    expect(nearDistance([3, 4], [0, 0], false)).toBe(5);
    expect(nearDistance([3, 4], [0, 0], false, { maxDistance: 4 })).toBeNull();
    expect(nearDistance({ x: 3, y: 4 }, { x: 0, y: 0 }, false)).toBe(5);
    // The legacy form keeps $maxDistance beside the point.
    expect(nearDistance([3, 4], { $near: [0, 0], $maxDistance: 4 }, false)).toBeNull();
    expect(nearDistance([0, 1], { $nearSphere: [0, 0], $maxDistance: 0.1 }, true)).toBeCloseTo(Math.PI / 180, 9);
  });

  it("measures to the nearest point of lines and polygons, zero inside", () => {
    const near = { $geometry: point(21.33, 43.585) };
    expect(nearDistance({ type: "Polygon", coordinates: square.coordinates }, near, true)).toBe(0);
    const line = { type: "LineString", coordinates: [[21.2, 43.59], [21.4, 43.59]] };
    expect(nearDistance(line, near, true)).toBeCloseTo(((0.005 * Math.PI) / 180) * 6378100, -1);
    expect(nearDistance([point(0, 0), point(21.33, 43.586)], near, true)).toBeCloseTo(((0.001 * Math.PI) / 180) * 6378100, 1);
  });

  it("returns null for values that are not geometry", () => {
    expect(nearDistance("here", { $geometry: point(0, 0) }, true)).toBeNull();
    expect(nearDistance(undefined, [0, 0], false)).toBeNull();
  });

  it("rejects invalid operands with BadValue", () => {
    expect(() => nearDistance(point(0, 0), { $geometry: square }, true)).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => nearDistance(point(0, 0), { $geometry: point(0, 0), $maxDistance: -1 }, true)).toThrow(/non-negative/);
    expect(() => nearDistance(point(0, 0), "here", true)).toThrow(expect.objectContaining({ code: 2 }));
  });
});

describe("validateIndexableGeometry", () => {
  const rejects = (value: unknown, message: RegExp) =>
    expect(() => validateIndexableGeometry(value)).toThrow(
      expect.objectContaining({ code: 16755, message: expect.stringMatching(message) }),
    );

  it("accepts valid GeoJSON of every type, legacy pairs, arrays of them and missing values", () => {
    for (const value of [
      point(21.3, 43.5),
      { type: "Point", coordinates: [new Double(21.3), new Int32(43)] },
      [21.3, 43.5],
      { lng: 21.3, lat: 43.5 },
      square,
      squareWithHole,
      { type: "LineString", coordinates: [[0, 0], [1, 1]] },
      { type: "MultiPoint", coordinates: [[0, 0], [1, 1]] },
      { type: "MultiLineString", coordinates: [[[0, 0], [1, 1]]] },
      { type: "MultiPolygon", coordinates: [square.coordinates] },
      { type: "GeometryCollection", geometries: [point(0, 0), square] },
      // Repeated vertices are allowed; they are not a self-intersection.
      { type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] },
      [point(0, 0), [1, 1]],
      null,
      undefined,
    ]) {
      expect(() => validateIndexableGeometry(value), JSON.stringify(value)).not.toThrow();
    }
  });

  it("rejects out-of-range coordinates", () => {
    rejects(point(500, 43), /^Can't extract geo keys: .*out of bounds/);
    rejects([21, 95], /out of bounds/);
    rejects({ type: "LineString", coordinates: [[0, 0], [0, -91]] }, /out of bounds/);
  });

  it("rejects malformed GeoJSON", () => {
    rejects({ type: "Circle", coordinates: [0, 0] }, /unknown GeoJSON type/);
    rejects({ type: "Point", coordinates: ["21", 43] }, /numeric/);
    rejects({ type: "LineString", coordinates: [[0, 0]] }, /at least 2/);
    rejects({ type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }, /not closed/);
    rejects({ type: "Polygon", coordinates: [[[0, 0], [1, 0], [0, 0], [0, 0]]] }, /3 different vertices/);
    rejects({ type: "GeometryCollection", geometries: [point(0, 0), { type: "Point" }] }, /Point/);
    rejects("Niš", /Point must be an array or object/);
    rejects([1], /numeric/);
  });

  it("rejects self-intersecting polygons and holes outside the shell", () => {
    rejects({ type: "Polygon", coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] }, /intersects itself/);
    const crossingHole = [[0.5, 0.5], [2, 0.5], [2, 0.6], [0.5, 0.6], [0.5, 0.5]];
    rejects({ type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], crossingHole] }, /intersects itself/);
    const outsideHole = [[5, 5], [6, 5], [6, 6], [5, 5]];
    rejects({ type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], outsideHole] }, /Secondary loops/);
  });
});
