import { readFileSync } from "node:fs";
import { seedCityArea } from "@situation/services-subgraph";
import { describe, expect, it } from "vitest";
import { parseSensorCommunity } from "./parse-sensor-community.js";

const FIXTURE = readFileSync(new URL("./fixtures/data.json", import.meta.url));
const city = seedCityArea();

describe("parseSensorCommunity (recorded data.json)", () => {
  it("maps P1 to PM10, P2 to PM2.5 and temperature, skips sensors outside the city and quarantines the bad entries", () => {
    const result = parseSensorCommunity(FIXTURE, { filterToCity: true, city });
    expect(result.total).toBe(10);
    expect(result.complete).toBe(true);
    expect(result.records.map(({ externalId, record }) => [externalId, record.measurements.map(({ parameter, value }) => `${parameter}=${value}`)])).toEqual([
      ["41001@2025-03-10T10:15:03.000Z", ["PM10=62.4", "PM2_5=31.2"]],
      ["41001@2025-03-10T10:20:04.000Z", ["PM10=58.1", "PM2_5=29.8"]],
      ["41002@2025-03-10T10:15:05.000Z", ["TEMPERATURE=7.3"]],
      ["41003@2025-03-10T10:16:44.000Z", ["PM10=14.2", "PM2_5=8.1"]],
      // Implausible (412 °C) but well-formed: the ingest refuses it, as it would a push.
      ["41007@2025-03-10T10:18:30.000Z", ["TEMPERATURE=412"]],
    ]);
    expect(result.records[0]!.record.station).toEqual({ externalId: "41001", name: "SDS011 #41001", longitude: 21.334, latitude: 43.58 });
    expect(result.rejects.map(({ line, externalId, field }) => ({ line, externalId, field }))).toEqual([
      { line: 7, externalId: "41004@2025-03-10T10:17:10.000Z", field: "location" },
      { line: 8, externalId: null, field: "sensordatavalues.0.value" },
      { line: 9, externalId: null, field: "timestamp" },
      { line: 10, externalId: "41001@2025-03-10T10:15:03.000Z", field: "id" },
    ]);
    expect(result.rejects[3]!.reason).toContain("line 2");
  });

  it("quarantines a sensor outside the city when the source does not filter to it", () => {
    const result = parseSensorCommunity(FIXTURE, { filterToCity: false, city });
    // Outside the city is the store's call (it cannot place the station): the record is handed on.
    expect(result.records.map(({ externalId }) => externalId)).toContain("7700@2025-03-10T10:14:58.000Z");
  });

  it("lands the whole entries of a truncated body and quarantines the cut one", () => {
    const text = FIXTURE.toString("utf8");
    const cut = text.slice(0, text.indexOf('"sensor":{"id":41003'));
    const result = parseSensorCommunity(new TextEncoder().encode(cut), { filterToCity: true, city });
    expect(result.complete).toBe(false);
    expect(result.records).toHaveLength(3);
    expect(result.rejects).toEqual([expect.objectContaining({ line: 5, field: "(row)", reason: expect.stringContaining("cut off") })]);
    expect(result.warnings.join(" ")).toContain("breaks off");
  });

  it("quarantines an entry with bytes that are not UTF-8 and keeps the others", () => {
    const bytes = new Uint8Array(FIXTURE);
    const at = FIXTURE.indexOf("Nova Fitness", FIXTURE.indexOf('"sensor":{"id":41003'));
    bytes[at] = 0xff;
    const result = parseSensorCommunity(bytes, { filterToCity: true, city });
    expect(result.rejects[0]).toMatchObject({ line: 5, field: "(encoding)" });
    expect(result.records).toHaveLength(4);
  });

  it("refuses a body that is not an array (an error page), and reads an empty body as nothing", () => {
    expect(() => parseSensorCommunity(new TextEncoder().encode("<html>502 Bad Gateway</html>"), { filterToCity: true, city })).toThrow(/not a Sensor.Community JSON array/);
    expect(parseSensorCommunity(new Uint8Array(), { filterToCity: true, city })).toMatchObject({ total: 0, complete: false });
  });
});
