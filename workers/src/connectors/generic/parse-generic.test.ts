import { readFileSync } from "node:fs";
import { ENVIRONMENT_PARAMETER_NAMES, genericOptionsSchema, type GenericOptions } from "@situation/city-subgraph";
import { ENVIRONMENT_PARAMETERS } from "@situation/services-subgraph";
import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { toDate } from "./field-mapping.js";
import { AIR_QUALITY_CSV_OPTIONS, OUTAGES_JSON_OPTIONS, WEATHER_GEOJSON_OPTIONS } from "./fixtures/mappings.js";
import { parseGeneric, type GenericRecord } from "./parse-generic.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const options = (raw: unknown): GenericOptions => genericOptionsSchema.parse(raw);
const readingsOf = (record: GenericRecord) => (record.target === "readings" ? record.record : null);

describe("parseGeneric", () => {
  it("maps a CSV export to readings: decimal commas, local times, a unit scale; bad rows quarantined by field", () => {
    const result = parseGeneric(fixture("air-quality.csv"), options(AIR_QUALITY_CSV_OPTIONS));
    expect(result.total).toBe(9);
    expect(result.records.map(({ line, externalId }) => [line, externalId])).toEqual([
      [2, "KS-01@2025-03-10T09:00:00.000Z"],
      [3, "KS-01@2025-03-10T10:00:00.000Z"],
      [4, "KS-02@2025-03-10T09:00:00.000Z"],
    ]);
    const first = readingsOf(result.records[0]!.record)!;
    expect(first.station).toEqual({ externalId: "KS-01", name: "Крушевац — Центар", longitude: 21.3331, latitude: 43.5802 });
    expect(first.measurements.map(({ parameter, value }) => [parameter, value])).toEqual([
      ["PM10", 61.5],
      ["PM2_5", 30.2],
      ["NO2", 21 * 1.88],
    ]);
    expect(result.rejects.map(({ line, field }) => [line, field])).toEqual([
      [5, "geo_sirina"],
      [6, "pm10"],
      [7, "vreme_merenja"],
      [8, "sifra_stanice"],
      [9, "vreme_merenja"],
      [10, "(row)"],
    ]);
    expect(result.rejects.map(({ reason }) => reason)).toEqual([
      expect.stringContaining("not on Earth"),
      '"n/a" is not a number',
      "is required (at)",
      "duplicates the record on line 2 (same station and time)",
      '"31.02.2025 10:00" is not a real date',
      "has 7 cells, the header has 8",
    ]);
    // A short row in a file that ends with its line break is one bad row; without the break, the file was cut.
    expect(result.complete).toBe(true);
    const cut = parseGeneric(new TextEncoder().encode(fixture("air-quality.csv").toString("utf8").trimEnd()), options(AIR_QUALITY_CSV_OPTIONS));
    expect(cut.complete).toBe(false);
    expect(cut.warnings).toEqual([expect.stringContaining("cut short")]);
  });

  it("maps JSON at a path to outages through enum maps, and quarantines what does not map", () => {
    const result = parseGeneric(fixture("outages.json"), options(OUTAGES_JSON_OPTIONS));
    expect(result.total).toBe(7);
    expect(result.complete).toBe(true);
    expect(result.records.map(({ record }) => record.record)).toEqual([
      expect.objectContaining({ externalId: "EPS-KS-1001", kind: "electricity", planned: true, status: "active", startsAt: new Date("2025-03-10T07:00:00Z"), expectedEndAt: new Date("2025-03-10T13:00:00Z") }),
      expect.objectContaining({ externalId: "VOD-KS-0142", kind: "water", planned: false, expectedEndAt: null }),
      expect.objectContaining({ externalId: "TOP-KS-0007", kind: "heating", status: "announced" }),
      // An unknown provider is the store's call: it knows the providers.
      expect.objectContaining({ externalId: "EPS-KS-1002", providerId: "elektrodistribucija-nis" }),
    ]);
    expect(result.rejects.map(({ externalId, field, reason }) => [externalId, field, reason])).toEqual([
      ["GAS-KS-0001", "vrsta", '"гас" is not one of струја, вода, грејање, смеће'],
      ["EPS-KS-1003", "do", "must be after startsAt"],
      ["VOD-KS-0142", "id", expect.stringContaining("duplicates the record on line")],
    ]);
    expect([...result.listedIds].sort()).toEqual(["EPS-KS-1001", "EPS-KS-1002", "EPS-KS-1003", "GAS-KS-0001", "TOP-KS-0007", "VOD-KS-0142"]);
  });

  it("maps GeoJSON features to readings from their Point geometry", () => {
    const result = parseGeneric(fixture("weather-stations.geojson"), options(WEATHER_GEOJSON_OPTIONS));
    expect(result.records.map(({ externalId, record }) => [externalId, readingsOf(record)!.measurements.map(({ parameter, value }) => `${parameter}=${Math.round(value * 100) / 100}`)])).toEqual([
      ["MS-CENTAR@2025-03-10T09:00:00.000Z", ["TEMPERATURE=8.4", "WIND_SPEED=4", "PRECIPITATION=0.2"]],
      ["MS-JASIKA@2025-03-10T09:00:00.000Z", ["TEMPERATURE=7.9", "WIND_SPEED=6", "PRECIPITATION=0"]],
      // Outside the city: well-formed; the store quarantines it, since no district holds it.
      ["MS-BEOGRAD@2025-03-10T09:00:00.000Z", ["TEMPERATURE=9.9", "WIND_SPEED=2", "PRECIPITATION=0"]],
    ]);
    expect(result.rejects.map(({ externalId, field }) => [externalId, field])).toEqual([
      ["MS-POGRESNA", "geometry"],
      ["MS-TEKIJA", "properties.osmotreno"],
      ["MS-LINIJA", "geometry"],
    ]);
  });

  it("reads what arrived of a truncated JSON body, quarantines bytes that are not UTF-8, and refuses the wrong shape", () => {
    const text = fixture("outages.json").toString("utf8");
    const cut = parseGeneric(new TextEncoder().encode(text.slice(0, text.indexOf('"id": "GAS-KS-0001"'))), options(OUTAGES_JSON_OPTIONS));
    expect(cut.complete).toBe(false);
    expect(cut.records.map(({ externalId }) => externalId)).toEqual(["EPS-KS-1001", "VOD-KS-0142", "TOP-KS-0007"]);
    expect(cut.rejects).toEqual([expect.objectContaining({ field: "(row)", reason: expect.stringContaining("cut off") })]);

    const bytes = new Uint8Array(fixture("air-quality.csv"));
    bytes[fixture("air-quality.csv").indexOf("Багдала")] = 0xfe;
    const damaged = parseGeneric(bytes, options(AIR_QUALITY_CSV_OPTIONS));
    expect(damaged.rejects[0]).toMatchObject({ line: 4, field: "(encoding)" });
    expect(damaged.records).toHaveLength(2);

    expect(() => parseGeneric(new TextEncoder().encode('{"type":"Feature"}'), options(WEATHER_GEOJSON_OPTIONS))).toThrow(FeedRejectedError);
    expect(() => parseGeneric(new TextEncoder().encode('{"data":{}}'), options(OUTAGES_JSON_OPTIONS))).toThrow(/no records array at data.items/);
  });
});

describe("the generic mapping's options", () => {
  const issue = (raw: unknown) => {
    const parsed = genericOptionsSchema.safeParse(raw);
    return parsed.success ? null : { path: parsed.error.issues[0]!.path.join("."), message: parsed.error.issues[0]!.message };
  };

  it("offer exactly the services subgraph's parameters (the city subgraph spells them out: it cannot import them)", () => {
    expect([...ENVIRONMENT_PARAMETER_NAMES]).toEqual([...ENVIRONMENT_PARAMETERS]);
  });

  it("accept the fixtures' mappings and name the field of a bad one", () => {
    expect(issue(AIR_QUALITY_CSV_OPTIONS)).toBeNull();
    expect(issue(OUTAGES_JSON_OPTIONS)).toBeNull();
    expect(issue(WEATHER_GEOJSON_OPTIONS)).toBeNull();
    expect(issue({ ...AIR_QUALITY_CSV_OPTIONS, target: "readings", reading: undefined })).toEqual({ path: "reading", message: "is required when target is readings" });
    expect(issue({ ...WEATHER_GEOJSON_OPTIONS, reading: { ...WEATHER_GEOJSON_OPTIONS.reading, values: [{ parameter: "PM1", from: "x" }] } })?.path).toBe("reading.values.0.parameter");
    expect(issue({ ...AIR_QUALITY_CSV_OPTIONS, reading: { ...AIR_QUALITY_CSV_OPTIONS.reading, at: { from: "t", transform: { type: "date", format: "HH:mm" } } } })?.path).toBe("reading.at.transform.format");
    expect(issue({ ...AIR_QUALITY_CSV_OPTIONS, reading: { ...AIR_QUALITY_CSV_OPTIONS.reading, at: { from: "t", transform: { type: "date", timeZone: "Mars/Olympus" } } } })).toEqual({
      path: "reading.at.transform.timeZone",
      message: "is not an IANA time zone",
    });
    expect(issue({ ...OUTAGES_JSON_OPTIONS, format: "csv" })?.path).toBe("recordsPath");
    expect(issue({ ...OUTAGES_JSON_OPTIONS, outage: { ...OUTAGES_JSON_OPTIONS.outage, description: {} } })?.path).toBe("outage.description.from");
    expect(issue({ ...OUTAGES_JSON_OPTIONS, externalId: "data..id" })?.path).toBe("externalId");
  });

  it("dates: patterns in a zone, unix seconds and milliseconds, ISO only with an offset", () => {
    expect(toDate("26.10.2025 02:30", "DD.MM.YYYY HH:mm", "Europe/Belgrade", "f").toISOString()).toBe("2025-10-26T00:30:00.000Z");
    expect(toDate("1741600800", "unix-s", "UTC", "f").toISOString()).toBe("2025-03-10T10:00:00.000Z");
    expect(toDate(1741600800000, "unix-ms", "UTC", "f").toISOString()).toBe("2025-03-10T10:00:00.000Z");
    expect(() => toDate("2025-03-10T10:00:00", "iso", "UTC", "f")).toThrow(/with Z or an offset/);
  });
});
