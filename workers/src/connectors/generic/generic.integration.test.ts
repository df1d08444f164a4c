import { readFileSync } from "node:fs";
import { DEMO_PROVIDERS, EnvironmentParameter } from "@situation/services-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";
import { AIR_QUALITY_CSV_OPTIONS, OUTAGES_JSON_OPTIONS, WEATHER_GEOJSON_OPTIONS } from "./fixtures/mappings.js";

const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const [year, month, dayOfMonth] = yesterday.split("-");
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
// Readings must be younger than the retention: the recorded 10 March 2025 is replayed as yesterday.
const AIR_QUALITY = fixture("air-quality.csv").replaceAll("10.03.2025", `${dayOfMonth}.${month}.${year}`);
const WEATHER = fixture("weather-stations.geojson").replaceAll("2025-03-10", yesterday);
const OUTAGES = fixture("outages.json");

describe("the generic connector through the sync framework (real Redis, embedded store)", () => {
  let harness: ConnectorHarness;
  let feeds: FeedServer[] = [];
  const serve = async (body: string, path: string, contentType: string) => {
    const feed = await startFeedServer({ status: 200, body, contentType }, path);
    feeds.push(feed);
    return feed;
  };

  beforeAll(async () => {
    harness = await startConnectorHarness();
    await harness.worker.services.providers.upsertMany(DEMO_PROVIDERS);
  });

  afterAll(async () => {
    await Promise.all(feeds.map((feed) => feed.close()));
    feeds = [];
    await harness?.close();
  });

  it("CSV → readings: stations created by the mapping's id, readings ingested, bad rows quarantined, the re-run writes nothing", async () => {
    const feed = await serve(AIR_QUALITY, "/export/kvalitet-vazduha.csv", "text/csv; charset=utf-8");
    await harness.createSource({ id: "aq-csv", kind: "generic", url: feed.url, options: AIR_QUALITY_CSV_OPTIONS, target: "services.readings" });
    const result = await harness.runNow("aq-csv");
    expect(result).toMatchObject({ status: "succeeded", fetched: 9, inserted: 3, unchanged: 0, quarantined: 6 });
    const { environment } = harness.worker.services;
    const centre = await environment.stations.findByExternalId(null, "KS-01");
    expect(centre).toMatchObject({ name: "Крушевац — Центар", districtId: "centar", parameters: ["PM10", "PM2_5", "NO2"] });
    expect(await environment.readings.collection.countDocuments({ stationId: centre!._id })).toBe(6);
    expect(await environment.readings.collection.findOne({ stationId: centre!._id, parameter: EnvironmentParameter.NO2 }, { sort: { at: 1 } })).toMatchObject({ value: 39.48, source: "sync:aq-csv" });

    harness.resetWrites();
    expect(await harness.runNow("aq-csv")).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 3 });
    expect(harness.writes.services).toEqual([]);
  });

  it("JSON → outages: enum-mapped values stored, unknown providers quarantined, a vanished outage ended, unchanged re-runs write nothing", async () => {
    const feed = await serve(OUTAGES, "/api/obavestenja.json", "application/json");
    await harness.createSource({ id: "outages-json", kind: "generic", url: feed.url, options: OUTAGES_JSON_OPTIONS, target: "services.outages" });
    const result = await harness.runNow("outages-json");
    expect(result).toMatchObject({ status: "succeeded", fetched: 7, inserted: 3, quarantined: 4, ended: 0 });
    expect(result.rejected.map(({ field }) => field).sort()).toEqual(["company", "do", "id", "vrsta"]);
    const outages = harness.worker.services.outages.collection;
    expect(await outages.find({ source: "sync:outages-json" }).sort({ externalId: 1 }).map(({ externalId, kind, status }) => [externalId, kind, status]).toArray()).toEqual([
      ["EPS-KS-1001", "electricity", "active"],
      ["TOP-KS-0007", "heating", "announced"],
      ["VOD-KS-0142", "water", "active"],
    ]);

    harness.resetWrites();
    expect(await harness.runNow("outages-json")).toMatchObject({ inserted: 0, updated: 0, unchanged: 3, ended: 0 });
    expect(harness.writes.services).toEqual([]);

    const withoutHeating = JSON.parse(OUTAGES) as { data: { items: { id: string }[] } };
    withoutHeating.data.items = withoutHeating.data.items.filter(({ id }) => id !== "TOP-KS-0007");
    feed.reply({ status: 200, body: JSON.stringify(withoutHeating), contentType: "application/json" });
    expect(await harness.runNow("outages-json")).toMatchObject({ status: "succeeded", unchanged: 2, ended: 1 });
    expect(await outages.findOne({ source: "sync:outages-json", externalId: "TOP-KS-0007" })).toMatchObject({ status: "cancelled" });
  });

  it("GeoJSON → readings: positions from the features' Points; a station outside the city quarantined on location", async () => {
    const feed = await serve(WEATHER, "/geo/meteo.geojson", "application/geo+json");
    await harness.createSource({ id: "meteo-geojson", kind: "generic", url: feed.url, options: WEATHER_GEOJSON_OPTIONS, target: "services.readings" });
    const result = await harness.runNow("meteo-geojson");
    expect(result).toMatchObject({ status: "succeeded", fetched: 6, inserted: 2, quarantined: 4 });
    expect(result.rejected.find(({ externalId }) => externalId?.startsWith("MS-BEOGRAD"))).toMatchObject({ field: "location", reason: expect.stringContaining("outside the city") });
    const jasika = await harness.worker.services.environment.stations.findByExternalId(null, "MS-JASIKA");
    expect(jasika).toMatchObject({ districtId: "jasika", location: { type: "Point", coordinates: [21.3801, 43.5902] } });
    const wind = await harness.worker.services.environment.readings.collection.findOne({ stationId: jasika!._id, parameter: EnvironmentParameter.WIND_SPEED });
    expect(wind?.value).toBeCloseTo(6, 6);
  });

  it("refuses a bad mapping when the source is saved, naming the option, and fails a run whose mapping and source disagree on the target", async () => {
    const bad = { ...WEATHER_GEOJSON_OPTIONS, reading: { ...WEATHER_GEOJSON_OPTIONS.reading, values: [{ parameter: "PM1", from: "properties.pm1" }] } };
    await expect(harness.createSource({ id: "bad-mapping", kind: "generic", url: "https://example.org/x.geojson", options: bad, target: "services.readings" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      field: "options.reading.values.0.parameter",
    });
    expect(await harness.worker.city.syncSources.findById("bad-mapping")).toBeNull();

    const feed = await serve(WEATHER, "/geo/meteo-2.geojson", "application/geo+json");
    await harness.createSource({ id: "mismatch", kind: "generic", url: feed.url, options: WEATHER_GEOJSON_OPTIONS, target: "services.outages" });
    await expect(harness.runNow("mismatch")).rejects.toThrow(/options.target is readings but the source's target is services.outages/);
  });
});
