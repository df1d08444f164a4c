import { readFileSync } from "node:fs";
import { AlertStatus } from "@situation/services-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";

// The recorded feed is of 2025-03-10; readings must be younger than the retention, so it is replayed as of yesterday.
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const FEED = readFileSync(new URL("./fixtures/data.json", import.meta.url), "utf8").replaceAll("2025-03-10", yesterday);
const SOURCE_ID = "sc-krusevac";

describe("the sensor-community connector through the sync framework (real Redis, embedded store)", () => {
  let harness: ConnectorHarness;
  let feed: FeedServer;

  beforeAll(async () => {
    harness = await startConnectorHarness();
    feed = await startFeedServer({ status: 200, body: FEED, contentType: "application/json" }, "/static/v2/data.json");
    await harness.createSource({ id: SOURCE_ID, kind: "sensor-community", url: feed.url, options: { timeoutMs: 5_000 }, target: "services.readings" });
  });

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
  });

  it("creates the city's stations, ingests their readings, raises the PM alerts and quarantines the bad entries", async () => {
    const result = await harness.runNow(SOURCE_ID);
    expect(result).toMatchObject({ status: "succeeded", provenance: `sync:${SOURCE_ID}`, fetched: 10, inserted: 4, updated: 0, unchanged: 0, ended: 0, quarantined: 5 });
    expect(result.rejected.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 7, field: "location" },
      { line: 8, field: "sensordatavalues.0.value" },
      { line: 9, field: "timestamp" },
      { line: 10, field: "id" },
      { line: 11, field: "sensordatavalues.temperature" },
    ]);
    expect(result.rejected[4]!.reason).toMatch(/outside the plausible range/);

    const { environment } = harness.worker.services;
    const stations = await environment.stations.collection.find({}).sort({ externalId: 1 }).toArray();
    // Belgrade's sensor 7700 is skipped (the source filters to the city), not created and not quarantined.
    expect(stations.map(({ externalId, providerId, districtId, parameters }) => ({ externalId, providerId, districtId, parameters }))).toEqual([
      { externalId: "41001", providerId: null, districtId: "centar", parameters: ["PM10", "PM2_5"] },
      { externalId: "41002", providerId: null, districtId: "centar", parameters: ["TEMPERATURE"] },
      { externalId: "41003", providerId: null, districtId: "bagdala", parameters: ["PM10", "PM2_5"] },
      { externalId: "41007", providerId: null, districtId: "ujedinjene-nacije", parameters: ["TEMPERATURE"] },
    ]);
    const centre = stations[0]!;
    const readings = await environment.readings.collection.find({ stationId: centre._id }).sort({ parameter: 1, at: 1 }).toArray();
    expect(readings.map(({ parameter, value, source }) => [parameter, value, source])).toEqual([
      ["PM10", 62.4, `sync:${SOURCE_ID}`],
      ["PM10", 58.1, `sync:${SOURCE_ID}`],
      ["PM2_5", 31.2, `sync:${SOURCE_ID}`],
      ["PM2_5", 29.8, `sync:${SOURCE_ID}`],
    ]);
    // The day's PM10 mean (60.25 µg/m³) is over the 50 µg/m³ daily limit, PM2.5's (30.5) over 25: the thresholds raised both.
    const alerts = await environment.alerts.collection.find({ stationId: centre._id }).sort({ parameter: 1 }).toArray();
    expect(alerts.map(({ parameter, status, districtId }) => ({ parameter, status, districtId }))).toEqual([
      { parameter: "PM10", status: "open", districtId: "centar" },
      { parameter: "PM2_5", status: "open", districtId: "centar" },
    ]);
    expect(await environment.alerts.collection.countDocuments({ stationId: stations[2]!._id })).toBe(0);

    const quarantined = await harness.worker.city.syncQuarantine.collection.find({ runId: result.runId }).sort({ line: 1 }).toArray();
    expect(quarantined.map(({ field }) => field)).toEqual(["location", "sensordatavalues.0.value", "timestamp", "id", "sensordatavalues.temperature"]);
    expect(quarantined[0]!.raw).toContain('"latitude":"143.581"');
  });

  it("writes nothing when the unchanged feed runs again, and skips it unparsed on a scheduled run", async () => {
    harness.resetWrites();
    const again = await harness.runNow(SOURCE_ID);
    expect(again).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 4, quarantined: 5 });
    expect(harness.writes.services).toEqual([]);
    const scheduled = await harness.runScheduled(SOURCE_ID);
    expect(scheduled).toMatchObject({ status: "unchanged", fetched: 0 });
    expect(harness.writes.services).toEqual([]);
  });

  it("moves a station whose sensor moved, with its alerts, and corrects a changed value", async () => {
    const moved = FEED.split("\n")
      .map((line) => (line.includes('"sensor":{"id":41001,') ? line.replace('"latitude":"43.580"', '"latitude":"43.590"') : line))
      .join("\n")
      .replace('"value":"58.10"', '"value":"58.90"');
    feed.reply({ status: 200, body: moved, contentType: "application/json" });
    const result = await harness.runNow(SOURCE_ID);
    expect(result).toMatchObject({ status: "succeeded", inserted: 0, updated: 1, unchanged: 3 });
    const { environment } = harness.worker.services;
    const station = await environment.stations.findByExternalId(null, "41001");
    expect(station?.districtId).toBe("ujedinjene-nacije");
    expect(await environment.alerts.collection.countDocuments({ stationId: station!._id, status: AlertStatus.OPEN, districtId: "ujedinjene-nacije" })).toBe(2);
  });
});
