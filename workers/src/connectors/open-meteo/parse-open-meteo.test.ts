import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { zonedToUtc } from "../generic/zoned-time.js";
import { parseOpenMeteo } from "./parse-open-meteo.js";

const FIXTURE = readFileSync(new URL("./fixtures/forecast.json", import.meta.url), "utf8");
const recorded = JSON.parse(FIXTURE) as { hourly: { wind_speed_10m: (number | null)[]; temperature_2m: (number | string)[] } };
const station = { externalId: "open-meteo-krusevac", name: "Open-Meteo Kruševac" };
const encode = (text: string) => new TextEncoder().encode(text);

describe("parseOpenMeteo (recorded /v1/forecast answer, Europe/Belgrade, past_days=1)", () => {
  const fetchedAt = new Date("2025-03-10T12:30:00Z");

  it("turns the past hours into readings in the store's units and leaves the forecast out", () => {
    const result = parseOpenMeteo(encode(FIXTURE), { station, fetchedAt });
    expect(result.total).toBe(72);
    // 9 March 00:00 local (23:00Z on the 8th) to 10 March 13:00 local (12:00Z): 38 hours.
    expect(result.records).toHaveLength(38);
    expect(result.records[0]!.externalId).toBe("2025-03-08T23:00:00.000Z");
    expect(result.records.at(-1)!.externalId).toBe("2025-03-10T12:00:00.000Z");
    const first = result.records[0]!.record;
    expect(first.station).toEqual({ ...station, longitude: 21.330002, latitude: 43.58 });
    // wind_speed_10m is km/h by default; the store keeps m/s.
    expect(first.measurements.find(({ parameter }) => parameter === "WIND_SPEED")!.value).toBeCloseTo(recorded.hourly.wind_speed_10m[0]! / 3.6, 3);
    expect(first.measurements.map(({ parameter }) => parameter)).toEqual(["TEMPERATURE", "PRECIPITATION", "WIND_SPEED"]);
    // 20:00 on the 9th: its temperature is "n/a" (quarantined), the other values land; 22:00 has no wind (null: nothing to store).
    expect(result.rejects).toEqual([expect.objectContaining({ externalId: "2025-03-09T19:00:00.000Z", field: "hourly.temperature_2m.20" })]);
    expect(result.records[20]!.record.measurements.map(({ parameter }) => parameter)).toEqual(["PRECIPITATION", "WIND_SPEED"]);
    expect(result.records[22]!.record.measurements.map(({ parameter }) => parameter)).toEqual(["TEMPERATURE", "PRECIPITATION"]);
  });

  it("honours wind_speed_unit=ms and unixtime, and a configured station", () => {
    const body = JSON.stringify({
      latitude: 43.58,
      longitude: 21.33,
      timezone: "GMT",
      hourly_units: { time: "unixtime", wind_speed_10m: "m/s", temperature_2m: "°F" },
      hourly: { time: [1741600800, 1741604400], wind_speed_10m: [3.5, 4], temperature_2m: [50, 212] },
    });
    const result = parseOpenMeteo(encode(body), { station: { stationId: "st-1" }, fetchedAt });
    expect(result.records.map(({ externalId, record }) => [externalId, record.station, record.measurements.map(({ value }) => value)])).toEqual([
      ["2025-03-10T10:00:00.000Z", { stationId: "st-1" }, [10, 3.5]],
      ["2025-03-10T11:00:00.000Z", { stationId: "st-1" }, [100, 4]],
    ]);
  });

  it("refuses a changed format, and quarantines a truncated or non-UTF-8 body whole", () => {
    const changed = FIXTURE.replace('"wind_speed_10m":"km/h"', '"wind_speed_10m":"furlongs/fortnight"');
    expect(() => parseOpenMeteo(encode(changed), { station, fetchedAt })).toThrow(FeedRejectedError);
    const truncated = parseOpenMeteo(encode(FIXTURE.slice(0, 2_000)), { station, fetchedAt });
    expect(truncated).toMatchObject({ records: [], complete: false, rejects: [expect.objectContaining({ field: "(file)" })] });
    const bytes = encode(FIXTURE);
    bytes[FIXTURE.indexOf("GMT+1")] = 0xc3;
    expect(parseOpenMeteo(bytes, { station, fetchedAt })).toMatchObject({ records: [], rejects: [expect.objectContaining({ field: "(file)", reason: expect.stringContaining("UTF-8") })] });
  });

  it("repeated hours are quarantined", () => {
    const body = JSON.stringify({ latitude: 43.58, longitude: 21.33, hourly_units: { precipitation: "mm" }, hourly: { time: ["2025-03-10T08:00", "2025-03-10T08:00"], precipitation: [0.2, 0.3] } });
    const result = parseOpenMeteo(encode(body), { station, fetchedAt });
    expect(result.records).toHaveLength(1);
    expect(result.rejects).toEqual([expect.objectContaining({ field: "hourly.time.1", reason: "repeats an earlier hour" })]);
  });
});

describe("zonedToUtc", () => {
  it("follows Europe/Belgrade across both clock changes", () => {
    expect(zonedToUtc({ year: 2025, month: 3, day: 30, hour: 1 }, "Europe/Belgrade").toISOString()).toBe("2025-03-30T00:00:00.000Z");
    expect(zonedToUtc({ year: 2025, month: 3, day: 30, hour: 3 }, "Europe/Belgrade").toISOString()).toBe("2025-03-30T01:00:00.000Z");
    expect(zonedToUtc({ year: 2025, month: 7, day: 1, hour: 12 }, "Europe/Belgrade").toISOString()).toBe("2025-07-01T10:00:00.000Z");
    // 02:30 on 30 March does not exist (02:00 became 03:00): read as 03:30 summer time.
    expect(zonedToUtc({ year: 2025, month: 3, day: 30, hour: 2, minute: 30 }, "Europe/Belgrade").toISOString()).toBe("2025-03-30T01:30:00.000Z");
    // 02:30 on 26 October happens twice: the first (summer time) is meant.
    expect(zonedToUtc({ year: 2025, month: 10, day: 26, hour: 2, minute: 30 }, "Europe/Belgrade").toISOString()).toBe("2025-10-26T00:30:00.000Z");
  });
});
