import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AlertStatus, DEMO_PROVIDERS, EnvironmentParameter } from "@situation/services-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
// Recorded on 2025-03-10; replayed as of yesterday (readings must be within the retention, the alert still valid).
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").replaceAll("2025-03-10", day(-1)).replaceAll("2025-03-12", day(1));
const PAGES = [fixture("air-quality-page-1.json"), fixture("air-quality-page-2.json")];
const ALERT_OUTAGES = [{ subCategory: "waterSupplyInterruption", kind: "water", providerId: "jkp-vodovod-krusevac" }];

/** A context broker's entities endpoint: `limit`/`offset` pages and NGSILD-Results-Count, as Orion-LD answers. */
function startBroker() {
  const state = { requests: [] as string[], alerts: fixture("alerts.json") };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url!, "http://broker");
    state.requests.push(`${url.searchParams.get("type")}:${url.searchParams.get("offset")}:${url.searchParams.get("limit")}`);
    const headers = { "content-type": "application/ld+json" };
    if (url.searchParams.get("type") === "Alert") {
      response.writeHead(200, { ...headers, "ngsild-results-count": String(JSON.parse(state.alerts).length) });
      response.end(state.alerts);
      return;
    }
    const limit = Number(url.searchParams.get("limit"));
    const offset = Number(url.searchParams.get("offset"));
    response.writeHead(200, { ...headers, "ngsild-results-count": "8" });
    response.end(PAGES[offset / limit] ?? "[]");
  });
  return { server, state };
}

describe("the ngsi-ld connector through the sync framework (real Redis, embedded store, paged broker)", () => {
  let harness: ConnectorHarness;
  let broker: ReturnType<typeof startBroker>;
  let base: string;

  beforeAll(async () => {
    harness = await startConnectorHarness();
    await harness.worker.services.providers.upsertMany(DEMO_PROVIDERS);
    broker = startBroker();
    await new Promise<void>((resolve) => broker.server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(broker.server.address() as AddressInfo).port}/ngsi-ld/v1/entities`;
  });

  afterAll(async () => {
    broker?.server.closeAllConnections();
    await new Promise((resolve) => broker?.server.close(resolve));
    await harness?.close();
  });

  it("reads every page, stores the observed entities as readings, raises the alert and quarantines the rest", async () => {
    await harness.createSource({ id: "fiware-air", kind: "ngsi-ld", url: `${base}?type=AirQualityObserved,WeatherObserved`, options: { pageSize: 4 }, target: "services.readings" });
    const result = await harness.runNow("fiware-air");
    expect(broker.state.requests).toEqual(["AirQualityObserved,WeatherObserved:0:4", "AirQualityObserved,WeatherObserved:4:4"]);
    expect(result).toMatchObject({ status: "succeeded", fetched: 8, inserted: 3, unchanged: 0, quarantined: 5, ended: 0 });
    expect(result.rejected.map(({ field }) => field).sort()).toEqual(["dateObserved", "id", "location", "pm10", "type"]);
    const { environment } = harness.worker.services;
    const centre = await environment.stations.findByExternalId(null, "urn:ngsi-ld:AirQualityObserved:krusevac-centar-01");
    expect(centre).toMatchObject({ name: "Крушевац — Центар", districtId: "centar", parameters: ["PM10", "PM2_5", "NO2", "TEMPERATURE"] });
    const weather = await environment.stations.findByExternalId(null, "urn:ngsi-ld:WeatherObserved:krusevac-rasadnik-met");
    const wind = await environment.readings.collection.findOne({ stationId: weather!._id, parameter: EnvironmentParameter.WIND_SPEED });
    expect(wind).toMatchObject({ value: 5, unit: "m/s" });
    // 71 µg/m³ PM10 over the 50 µg/m³ daily limit: the thresholds opened an alert.
    expect(await environment.alerts.collection.find({ stationId: centre!._id, status: AlertStatus.OPEN }).map(({ parameter }) => parameter).toArray()).toEqual(
      expect.arrayContaining(["PM10", "PM2_5"]),
    );
  });

  it("writes nothing when no page changed, and a scheduled run sees the unchanged pages by their hash", async () => {
    harness.resetWrites();
    broker.state.requests.length = 0;
    expect(await harness.runNow("fiware-air")).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 3 });
    expect(harness.writes.services).toEqual([]);
    expect(await harness.runScheduled("fiware-air")).toMatchObject({ status: "unchanged" });
    expect(broker.state.requests).toHaveLength(4);
    expect(harness.writes.services).toEqual([]);
  });

  it("stops at the page limit with a warning", async () => {
    await harness.createSource({ id: "fiware-air-short", kind: "ngsi-ld", url: `${base}?type=AirQualityObserved`, options: { pageSize: 4, maxPages: 1 }, target: "services.readings" });
    const result = await harness.runNow("fiware-air-short");
    expect(result.fetched).toBe(4);
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining("stopped after 1 pages"), expect.stringContaining("not ended")]));
  });

  it("turns the mapped Alerts into outages, quarantines the others, and ends an outage the broker no longer lists", async () => {
    await harness.createSource({ id: "fiware-alerts", kind: "ngsi-ld", url: `${base}?type=Alert`, options: { alertOutages: ALERT_OUTAGES }, target: "services.outages" });
    const result = await harness.runNow("fiware-alerts");
    expect(result).toMatchObject({ status: "succeeded", fetched: 3, inserted: 1, quarantined: 2, ended: 0 });
    const outages = harness.worker.services.outages.collection;
    expect(await outages.findOne({ source: "sync:fiware-alerts" })).toMatchObject({ externalId: "urn:ngsi-ld:Alert:vodovod-2025-0310-01", providerId: "jkp-vodovod-krusevac", kind: "water", status: "active" });

    broker.state.alerts = JSON.stringify(JSON.parse(broker.state.alerts).slice(1));
    const after = await harness.runNow("fiware-alerts");
    expect(after).toMatchObject({ status: "succeeded", ended: 1, quarantined: 2 });
    expect(await outages.findOne({ source: "sync:fiware-alerts" })).toMatchObject({ status: "resolved" });
  });
});
