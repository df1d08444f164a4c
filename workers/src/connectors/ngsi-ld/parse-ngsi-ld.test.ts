import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mergePages } from "../../sync/fetch-pages.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { ngsiLdFirstPage, ngsiLdNextPage, parseNgsiLd, type NgsiLdRecord } from "./parse-ngsi-ld.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const fetchedAt = new Date("2025-03-10T12:00:00Z");
const readings = { target: "readings" as const, alertOutages: [], fetchedAt };
const alertOutages = [{ subCategory: "waterSupplyInterruption", kind: "water" as const, providerId: "jkp-vodovod-krusevac" }];

describe("parseNgsiLd (recorded broker answers)", () => {
  it("maps AirQualityObserved and WeatherObserved to readings, converting unitCodes, and quarantines other types", () => {
    const result = parseNgsiLd(fixture("air-quality-page-1.json"), readings);
    expect(result.total).toBe(4);
    const summary = result.records.map(({ externalId, record }) => {
      const { station, measurements } = (record as Extract<NgsiLdRecord, { target: "readings" }>).record;
      return [externalId, "externalId" in station ? station.name : null, measurements.map(({ parameter, value, at }) => `${parameter}=${value}@${at.toISOString().slice(11, 16)}`)];
    });
    expect(summary).toEqual([
      ["urn:ngsi-ld:AirQualityObserved:krusevac-centar-01", "Крушевац — Центар", ["PM10=71@09:00", "PM2_5=38@09:00", "NO2=41.5@09:00", "TEMPERATURE=8.2@09:00"]],
      ["urn:ngsi-ld:AirQualityObserved:krusevac-bagdala-02", "krusevac-bagdala-02", ["PM10=22@08:00", "O3=61@08:00"]],
      ["urn:ngsi-ld:WeatherObserved:krusevac-rasadnik-met", "krusevac-rasadnik-met", ["TEMPERATURE=8.389@09:00", "PRECIPITATION=0.4@09:00", "WIND_SPEED=5@09:00", "WIND_DIRECTION=225@09:00"]],
    ]);
    expect(result.rejects).toEqual([expect.objectContaining({ line: 35, externalId: "urn:ngsi-ld:NoiseLevelObserved:krusevac-centar-noise", field: "type" })]);
  });

  it("quarantines absurd coordinates, wrong types and missing fields, and ids a later page repeats", () => {
    const pages = [parseNgsiLd(fixture("air-quality-page-1.json"), readings), parseNgsiLd(fixture("air-quality-page-2.json"), readings)];
    const merged = mergePages(pages);
    expect(merged.total).toBe(8);
    expect(merged.records).toHaveLength(3);
    expect(merged.rejects.map(({ externalId, field }) => [externalId?.split(":").at(-1), field])).toEqual([
      ["krusevac-centar-noise", "type"],
      ["far-away-03", "location"],
      ["krusevac-lazarica-04", "pm10"],
      ["krusevac-lazarica-05", "dateObserved"],
      ["krusevac-centar-01", "id"],
    ]);
    expect(merged.rejects.at(-1)!.reason).toBe("duplicates a record of page 1");
  });

  it("maps the Alerts the source names to outages and quarantines the rest with the reason", () => {
    const result = parseNgsiLd(fixture("alerts.json"), { target: "outages", alertOutages, fetchedAt });
    expect(result.records.map(({ record }) => record.record)).toEqual([
      {
        externalId: "urn:ngsi-ld:Alert:vodovod-2025-0310-01",
        providerId: "jkp-vodovod-krusevac",
        kind: "water",
        planned: true,
        startsAt: new Date("2025-03-10T06:00:00Z"),
        expectedEndAt: new Date("2025-03-12T18:00:00Z"),
        status: "active",
        description: "Хаварија на цевоводу у Улици Војводе Путника: без воде",
        affectedArea: { type: "MultiPolygon", coordinates: [[[[21.3306, 43.577], [21.3366, 43.577], [21.3366, 43.583], [21.3306, 43.583], [21.3306, 43.577]]]] },
      },
    ]);
    expect(result.rejects.map(({ field, reason }) => [field, reason])).toEqual([
      ["subCategory", expect.stringContaining("weather/snow is not a service disruption")],
      ["location", expect.stringContaining("an outage needs an area")],
    ]);
    // Every Alert listed, mapped or not, counts as present for a full snapshot.
    expect(result.listedIds.size).toBe(3);
    // Air-quality entities on an outages source are misconfigured, not data: quarantined on type.
    expect(parseNgsiLd(fixture("air-quality-page-1.json"), { target: "outages", alertOutages, fetchedAt }).rejects.every(({ field }) => field === "type")).toBe(true);
  });

  it("refuses a ProblemDetails answer and lands the whole entities of a truncated page", () => {
    const problem = new TextEncoder().encode('{"type":"https://uri.etsi.org/ngsi-ld/errors/BadRequestData","title":"Bad request"}');
    expect(() => parseNgsiLd(problem, readings)).toThrow(FeedRejectedError);
    const text = fixture("air-quality-page-1.json").toString("utf8");
    const cut = parseNgsiLd(new TextEncoder().encode(text.slice(0, text.indexOf("WeatherObserved:krusevac") + 30)), readings);
    expect(cut).toMatchObject({ complete: false, total: 3 });
    expect(cut.records).toHaveLength(2);
    expect(cut.rejects[0]).toMatchObject({ field: "(row)", reason: expect.stringContaining("cut off") });
  });
});

describe("NGSI-LD paging", () => {
  const page = (url: string, headers: Record<string, string>, count = 0) => ({
    url,
    body: new TextEncoder().encode(JSON.stringify(Array.from({ length: count }, (_, index) => ({ id: `urn:ngsi-ld:X:${index}` })))),
    headers,
  });

  it("adds limit, offset and count to the source's URL and walks by NGSILD-Results-Count", () => {
    const first = ngsiLdFirstPage("https://broker.example/ngsi-ld/v1/entities?type=AirQualityObserved", { pageSize: 100 });
    expect(first).toBe("https://broker.example/ngsi-ld/v1/entities?type=AirQualityObserved&limit=100&offset=0&count=true");
    const second = ngsiLdNextPage(page(first, { "ngsild-results-count": "250" }));
    expect(second).toContain("offset=100");
    expect(ngsiLdNextPage(page(ngsiLdNextPage(page(second!, { "ngsild-results-count": "250" }))!, { "ngsild-results-count": "250" }))).toBeNull();
  });

  it("follows a Link rel=next header, and without a count stops at a short page", () => {
    const url = "https://broker.example/ngsi-ld/v1/entities?type=Alert&limit=2&offset=0";
    expect(ngsiLdNextPage(page(url, { link: '<https://www.w3.org/ns/json-ld#context>; rel="http://www.w3.org/ns/json-ld#context", </ngsi-ld/v1/entities?type=Alert&limit=2&offset=2>; rel="next"' }))).toBe(
      "https://broker.example/ngsi-ld/v1/entities?type=Alert&limit=2&offset=2",
    );
    expect(ngsiLdNextPage(page(url, {}, 2))).toContain("offset=2");
    expect(ngsiLdNextPage(page(url, {}, 1))).toBeNull();
  });
});
