import { seedDistrictsIfEmpty } from "@situation/city-subgraph";
import { DEMO_PROVIDERS } from "@situation/services-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";
import { encodeFeed, feedEntities } from "./fixtures/gtfs-feed.js";

const ROUTE_7 = { type: "Polygon", coordinates: [[[21.32, 43.57], [21.34, 43.57], [21.34, 43.59], [21.32, 43.57]]] };

describe("the gtfs-realtime connector (real Redis, embedded store, local HTTP feed)", () => {
  let harness: ConnectorHarness;
  let feed: FeedServer;
  // The feed's clock is the test's: alerts are active or announced relative to the run.
  const now = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    harness = await startConnectorHarness();
    await harness.worker.services.providers.upsertMany(DEMO_PROVIDERS);
    await seedDistrictsIfEmpty(harness.worker.city.districts);
    feed = await startFeedServer({ status: 200, body: encodeFeed(now), contentType: "application/x-protobuf" }, "/gtfs-rt/alerts.pb");
    await harness.createSource({
      id: "gpk-alerts",
      kind: "gtfs-realtime",
      url: feed.url,
      options: { providerId: "gradski-prevoz-krusevac", routeAreas: { "7": ROUTE_7 } },
      target: "services.outages",
    });
  });

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
  });

  const outages = () => harness.worker.services.outages.collection.find({ source: "sync:gpk-alerts" }).sort({ externalId: 1 }).toArray();
  const outageWrites = () => harness.writes.services.filter((write) => write.endsWith(":outages"));

  it("stores the disruptive alerts as transport outages, quarantines the bad ones, and a re-run writes nothing", async () => {
    const result = await harness.runNow("gpk-alerts");
    expect(result).toMatchObject({ status: "succeeded", fetched: 9, inserted: 3, updated: 0, ended: 0, quarantined: 4 });
    const stored = await outages();
    expect(stored.map((outage) => [outage.externalId, outage.kind, outage.status])).toEqual([
      ["alert-2-detour", "transport", "active"],
      ["alert-7-strike", "transport", "announced"],
      ["alert-stop-moved", "transport", "active"],
    ]);
    // The outage repository stores every area as a MultiPolygon.
    expect(stored[1]!.affectedArea).toEqual({ type: "MultiPolygon", coordinates: [ROUTE_7.coordinates] });
    // No area for route 2: the whole city, every district's boundary.
    const districts = await harness.worker.city.districts.findAll();
    expect(stored[0]!.affectedArea).toMatchObject({ type: "MultiPolygon", coordinates: expect.any(Array) });
    expect((stored[0]!.affectedArea as { coordinates: unknown[] }).coordinates).toHaveLength(districts.reduce((count, district) => count + district.boundary.coordinates.length, 0));

    harness.resetWrites();
    expect(await harness.runNow("gpk-alerts")).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 3, ended: 0 });
    expect(outageWrites()).toEqual([]);
  });

  it("ends an alert the feed no longer lists, and fails a corrupt feed cleanly without touching what is stored", async () => {
    feed.reply({ status: 200, body: encodeFeed(now, feedEntities(now).filter((entity) => entity.id !== "alert-7-strike")), contentType: "application/x-protobuf" });
    expect(await harness.runNow("gpk-alerts")).toMatchObject({ status: "succeeded", ended: 1, unchanged: 2 });
    const before = await outages();
    expect(before.find((outage) => outage.externalId === "alert-7-strike")!.status).toBe("cancelled");

    const body = encodeFeed(now);
    feed.reply({ status: 200, body: body.subarray(0, body.byteLength - 40), contentType: "application/x-protobuf" });
    await expect(harness.runNow("gpk-alerts")).rejects.toThrow(/not a GTFS-Realtime FeedMessage/);
    const source = await harness.worker.city.syncSources.findById("gpk-alerts");
    expect(source!.lastRun).toMatchObject({ status: "failed" });
    const quarantined = await harness.worker.city.syncQuarantine.findPage({ runId: source!.lastRun!.runId }, 10, null);
    expect(quarantined.nodes).toEqual([expect.objectContaining({ field: "(file)" })]);
    expect(await outages()).toEqual(before);
  });

  it("refuses a source whose provider the services subgraph does not know", async () => {
    await harness.createSource({ id: "unknown-operator", kind: "gtfs-realtime", url: feed.url, options: { providerId: "no-such-operator" }, target: "services.outages" });
    feed.reply({ status: 200, body: encodeFeed(now), contentType: "application/x-protobuf" });
    await expect(harness.runNow("unknown-operator")).rejects.toThrow(/providerId "no-such-operator" is not a provider/);
  });
});
