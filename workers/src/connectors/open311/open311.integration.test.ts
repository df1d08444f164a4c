import { seedDistrictsIfEmpty, seedServiceCatalogIfEmpty } from "@situation/city-subgraph";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";

const FIXTURE = readFileSync(new URL("./fixtures/requests.json", import.meta.url), "utf8");
const SOURCE_ID = "regional-311";
const SERVICE_CODES = { POTHOLE: "roads", STREETLIGHT: "public-lighting" };
type Request = Record<string, unknown>;
const requestsOf = (body: string) => JSON.parse(body) as Request[];

describe("the open311 connector (real Redis, embedded store, local HTTP endpoint)", () => {
  let harness: ConnectorHarness;
  let feed: FeedServer;
  let sourceNumber = 0;
  let sourceId = SOURCE_ID;

  beforeAll(async () => {
    harness = await startConnectorHarness();
    await seedDistrictsIfEmpty(harness.worker.city.districts);
    await seedServiceCatalogIfEmpty(harness.worker.city.serviceCategories);
    await harness.worker.city.serviceRequests.ensureIndexes();
    feed = await startFeedServer({ status: 200, body: FIXTURE, contentType: "application/json" }, "/open311/v2/requests.json");
  });

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
  });

  // Each test has its own source, hence its own provenance: no test sees another's requests.
  beforeEach(async () => {
    sourceNumber += 1;
    sourceId = `${SOURCE_ID}-${sourceNumber}`;
    feed.reply({ status: 200, body: FIXTURE, contentType: "application/json" });
    await harness.createSource({
      id: sourceId,
      kind: "open311",
      url: `${feed.url}?start_date={from}&end_date={to}`,
      options: { serviceCodes: SERVICE_CODES, lookbackHours: 24, timeoutMs: 2_000 },
      target: "city.serviceRequests",
    });
    harness.resetWrites();
  });

  const imported = () => harness.worker.city.serviceRequests.collection.find({ "external.source": `sync:${sourceId}` }).sort({ "external.id": 1 }).toArray();
  const requestWrites = () => harness.writes.city.filter((write) => /:(serviceRequests|requestAudit)$/.test(write));

  it("imports the valid requests on channel open311 with their lifecycle audited, quarantines the rest, and a re-run writes nothing", async () => {
    const started = Date.now();
    const result = await harness.runNow(sourceId);
    expect(result).toMatchObject({ status: "succeeded", fetched: 9, inserted: 2, updated: 0, unchanged: 0, ended: 0, quarantined: 7 });
    expect(result.rejected.map(({ externalId, field }) => [externalId, field])).toEqual([
      ["638346", "lat"],
      ["638347", "status"],
      ["638348", "requested_datetime"],
      ["638349", "lat"],
      ["638350", "service_code"],
      ["638345", "service_request_id"],
      ["638351", "lat"],
    ]);
    expect(result.rejected.find(({ externalId }) => externalId === "638346")!.reason).toBe("location: a request of category roads needs it");
    expect(result.rejected.find(({ externalId }) => externalId === "638351")!.reason).toBe("location: the point is outside the city's districts");

    // A normal run asks for the source's lookback window.
    const asked = new URL(feed.lastUrl!, feed.url);
    const from = new Date(asked.searchParams.get("start_date")!).getTime();
    const to = new Date(asked.searchParams.get("end_date")!).getTime();
    expect(to - from).toBe(24 * 3_600_000);
    expect(to).toBeGreaterThanOrEqual(started);

    const [lamp, pothole] = await imported();
    expect(lamp).toMatchObject({ channel: "open311", categoryCode: "public-lighting", status: "closed", external: { id: "638344" }, receivedAt: new Date("2026-03-02T16:12:00Z") });
    expect(pothole).toMatchObject({ channel: "open311", categoryCode: "roads", status: "received", districtId: expect.any(String), external: { id: "638345" } });
    const trail = await harness.worker.city.serviceRequests.auditTrail(lamp!._id);
    expect(trail.map(({ kind, to: status, actor }) => [kind, status, actor.subject])).toEqual([
      ["received", "received", `system:sync:${sourceId}`],
      ["status", "assigned", `system:sync:${sourceId}`],
      ["status", "in-progress", `system:sync:${sourceId}`],
      ["status", "resolved", `system:sync:${sourceId}`],
      ["status", "closed", `system:sync:${sourceId}`],
    ]);
    const quarantined = await harness.worker.city.syncQuarantine.findPage({ runId: result.runId }, 100, null);
    expect(quarantined.nodes.find(({ externalId }) => externalId === "638349")).toMatchObject({ field: "lat", raw: expect.stringContaining('"lat": 143.58') });

    harness.resetWrites();
    const again = await harness.runNow(sourceId);
    expect(again).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 2 });
    expect(requestWrites()).toEqual([]);
    expect(await imported()).toHaveLength(2);
  });

  it("updates a request the other system changed, never duplicating it, and walks it to its new status", async () => {
    await harness.runNow(sourceId);
    const requests = requestsOf(FIXTURE);
    const pothole = requests.find((request) => request.service_request_id === "638345")!;
    Object.assign(pothole, { status: "closed", status_notes: "Закрпљено.", updated_datetime: "2026-03-04T10:00:00Z", description: "Large pothole in the right lane, now patched." });
    feed.reply({ status: 200, body: JSON.stringify(requests), contentType: "application/json" });
    harness.resetWrites();
    const result = await harness.runNow(sourceId);
    expect(result).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
    const stored = await imported();
    expect(stored).toHaveLength(2);
    expect(stored[1]).toMatchObject({ status: "closed", description: "Large pothole in the right lane, now patched.", closedAt: new Date("2026-03-04T10:00:00Z") });
    const trail = await harness.worker.city.serviceRequests.auditTrail(stored[1]!._id);
    expect(trail.map(({ kind, to: status }) => `${kind}:${status ?? ""}`)).toEqual(["received:received", "import:", "status:assigned", "status:in-progress", "status:resolved", "status:closed"]);
    expect(trail.at(-1)!.comment).toBe("imported from sync:" + sourceId + " (638345): Закрпљено.");
  });

  it("backfills a period through start_date/end_date and keeps only the requests made in it", async () => {
    const from = new Date("2026-03-03T00:00:00Z");
    const to = new Date("2026-03-04T00:00:00Z");
    const result = await harness.backfill(sourceId, from, to);
    const asked = new URL(feed.lastUrl!, feed.url);
    expect(asked.searchParams.get("start_date")).toBe(from.toISOString());
    expect(asked.searchParams.get("end_date")).toBe(to.toISOString());
    // 638344 was made on 2 March: outside the period, not stored.
    expect(result).toMatchObject({ status: "succeeded", inserted: 1 });
    expect((await imported()).map((request) => request.external!.id)).toEqual(["638345"]);
  });

  it("quarantines a cut-off answer and fails a run whose answer is not a requests list, without touching the stored requests", async () => {
    await harness.runNow(sourceId);
    const before = await imported();
    feed.reply({ status: 200, body: '[{"code":403,"description":"Invalid api_key"}', contentType: "application/json" });
    const truncated = await harness.runNow(sourceId);
    expect(truncated).toMatchObject({ status: "succeeded", inserted: 0, quarantined: 1, warnings: [expect.stringContaining("breaks off")] });
    feed.reply({ status: 200, body: '{"code":403,"description":"Invalid api_key"}', contentType: "application/json" });
    await expect(harness.runNow(sourceId)).rejects.toThrow(/not an Open311 requests.json answer/);
    const run = (await harness.worker.city.syncSources.findById(sourceId))!.lastRun;
    expect(run).toMatchObject({ status: "failed" });
    expect(await imported()).toEqual(before);
  });
});
