import { UserInputError } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { isPointInMultiPolygon, parseMultiPolygon, parsePoint } from "./geo-json.js";

const square = [
  [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ],
  ],
];

function fieldOf(action: () => unknown): { field: string; message: string } {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return { field: (error as UserInputError).field, message: (error as UserInputError).message };
  }
  throw new Error("expected a UserInputError");
}

describe("GeoJSON checks", () => {
  it("accept a point and a multipolygon, returning clean copies", () => {
    expect(parsePoint({ type: "Point", coordinates: [21.3, 43.5, 200], extra: 1 }, "location")).toEqual({
      type: "Point",
      coordinates: [21.3, 43.5],
    });
    expect(parseMultiPolygon({ type: "MultiPolygon", coordinates: square }, "boundary")).toEqual({
      type: "MultiPolygon",
      coordinates: square,
    });
  });

  it("name the field and the problem", () => {
    expect(fieldOf(() => parsePoint(null, "location"))).toEqual({
      field: "location",
      message: "location: must be a GeoJSON Point object",
    });
    expect(fieldOf(() => parsePoint({ type: "Point", coordinates: [200, 0] }, "location")).message).toMatch(/longitude 200/);
    expect(fieldOf(() => parsePoint({ type: "Point", coordinates: ["1", 0] }, "centre")).field).toBe("centre");
    expect(fieldOf(() => parseMultiPolygon({ type: "Polygon", coordinates: square[0] }, "boundary")).message).toMatch(
      /type must be "MultiPolygon"/,
    );
    expect(fieldOf(() => parseMultiPolygon({ type: "MultiPolygon", coordinates: [] }, "boundary")).message).toMatch(/at least one polygon/);
    const open = [[[[0, 0], [1, 0], [0, 0]]]];
    expect(fieldOf(() => parseMultiPolygon({ type: "MultiPolygon", coordinates: open }, "boundary")).message).toMatch(/needs at least 4/);
    const unclosed = [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0.5]]]];
    expect(fieldOf(() => parseMultiPolygon({ type: "MultiPolygon", coordinates: unclosed }, "boundary")).message).toMatch(/not closed/);
  });

  it("tell inside from outside, holes included", () => {
    const withHole = {
      type: "MultiPolygon" as const,
      coordinates: [
        [
          [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
          [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]],
        ],
      ] as [number, number][][][],
    };
    expect(isPointInMultiPolygon([0.5, 0.5], withHole)).toBe(true);
    expect(isPointInMultiPolygon([2, 2], withHole)).toBe(false);
    expect(isPointInMultiPolygon([5, 2], withHole)).toBe(false);
  });
});
