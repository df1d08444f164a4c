import { Kind, parseValue } from "graphql";
import { describe, expect, it } from "vitest";
import { GeoJSONCoordinatesScalar } from "./geo-types.js";

describe("GeoJSONCoordinates", () => {
  it("passes positions, rings and polygons through", () => {
    const multiPolygon = [[[[21.3, 43.5], [21.4, 43.5], [21.4, 43.6], [21.3, 43.5]]]];
    expect(GeoJSONCoordinatesScalar.serialize([21.33, 43.58])).toEqual([21.33, 43.58]);
    expect(GeoJSONCoordinatesScalar.serialize(multiPolygon)).toEqual(multiPolygon);
    expect(GeoJSONCoordinatesScalar.parseValue(multiPolygon)).toEqual(multiPolygon);
  });

  it("parses a literal of nested lists of numbers", () => {
    expect(GeoJSONCoordinatesScalar.parseLiteral(parseValue("[[21, 43.5], [21.1, 43]]"))).toEqual([[21, 43.5], [21.1, 43]]);
  });

  it("refuses anything but nested arrays of finite numbers", () => {
    expect(() => GeoJSONCoordinatesScalar.serialize("21,43")).toThrow(/must be an array/);
    expect(() => GeoJSONCoordinatesScalar.parseValue([21, "43"])).toThrow(/coordinates\[1\]/);
    expect(() => GeoJSONCoordinatesScalar.parseValue([21, Number.NaN])).toThrow(/finite/);
    expect(() => GeoJSONCoordinatesScalar.parseLiteral({ kind: Kind.STRING, value: "x" })).toThrow(/nested lists/);
  });
});
