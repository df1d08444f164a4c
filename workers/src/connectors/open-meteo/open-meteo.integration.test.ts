import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
// Replayed with its two past days before today and its forecast day after tomorrow, so that which
// hours are past does not depend on when the test runs.
const FEED = readFileSync(new URL("./fixtures/forecast.json", import.meta.url), "utf8")
  .replaceAll("2025-03-09", day(-2))
  .replaceAll("2025-03-10", day(-1))
  .replaceAll("2025-03-11", day(2));
const PATH = "/v1/forecast?latitude=43.58&longitude=21.33&hourly=temperature_2m,precipitation,wind_speed_10m&past_days=2&timezone=Europe%2FBelgrade";

describe("the open-meteo connector through the sync framework (real Redis, embedded store)", () => {
  let harness: ConnectorHarness;
  let feed: FeedServer;

  beforeAll(async () => {
    harness = await startConnectorHarness();
    feed = await startFeedServer({ status: 200, body: FEED, contentType: "application/json" }, PATH);
  });

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
  });

  it("creates the configured station at the feed's point and stores only past hours, wind in m/s", async () => {
    await harness.createSource({
      id: "open-meteo-krusevac",
      kind: "open-meteo",
      url: feed.url,
      options: { station: { externalId: "open-meteo-43.58-21.33", name: "Open-Meteo Kruševac" } },
      target: "services.readings",
    });
    const result = await harness.runNow("open-meteo-krusevac");
    expect(result).toMatchObject({ status: "succeeded", fetched: 72, inserted: 48, updated: 0, unchanged: 0, quarantined: 1 });
    expect(result.rejected).toEqual([expect.objectContaining({ field: "hourly.temperature_2m.20", reason: '"n/a" is not a number' })]);
    const { environment } = harness.worker.services;
    const station = await environment.stations.findByExternalId(null, "open-meteo-43.58-21.33");
    expect(station).toMatchObject({ name: "Open-Meteo Kruševac", districtId: "centar", parameters: ["TEMPERATURE", "PRECIPITATION", "WIND_SPEED"] });
    const readings = await environment.readings.collection.find({ stationId: station!._id }).toArray();
    // 48 hours × 3 values, less the quarantined temperature and the missing (null) wind.
    expect(readings).toHaveLength(48 * 3 - 2);
    expect(Math.max(...readings.map(({ at }) => at.getTime()))).toBeLessThan(Date.now());
    const recorded = JSON.parse(FEED) as { hourly: { wind_speed_10m: number[] } };
    const firstWind = readings.filter(({ parameter }) => parameter === "WIND_SPEED").sort((left, right) => left.at.getTime() - right.at.getTime())[0]!;
    expect(firstWind).toMatchObject({ unit: "m/s", value: Math.round((recorded.hourly.wind_speed_10m[0]! / 3.6) * 1000) / 1000 });
  });

  it("writes nothing when the same hours come again", async () => {
    harness.resetWrites();
    const again = await harness.runNow("open-meteo-krusevac");
    expect(again).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 48 });
    expect(harness.writes.services).toEqual([]);
  });

  it("stores into an existing station named by stationId, and refuses an unknown one on every record", async () => {
    const station = await harness.worker.services.environment.stations.findByExternalId(null, "open-meteo-43.58-21.33");
    await harness.createSource({ id: "open-meteo-by-id", kind: "open-meteo", url: feed.url, options: { stationId: station!._id }, target: "services.readings" });
    const result = await harness.runNow("open-meteo-by-id");
    // The same readings as the other source: stored already, so unchanged.
    expect(result).toMatchObject({ status: "succeeded", inserted: 0, unchanged: 48 });
    await harness.createSource({ id: "open-meteo-missing", kind: "open-meteo", url: feed.url, options: { stationId: "no-such-station" }, target: "services.readings" });
    const missing = await harness.runNow("open-meteo-missing");
    expect(missing).toMatchObject({ status: "succeeded", accepted: 0, quarantined: 49 });
    expect(missing.rejected[1]).toMatchObject({ field: "stationId", reason: 'no station has the id "no-such-station"' });
  });

  it("refuses options that name no station when the source is saved", async () => {
    await expect(
      harness.createSource({ id: "open-meteo-bad", kind: "open-meteo", url: feed.url, options: { providerId: null }, target: "services.readings" }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "options.stationId" });
  });
});
