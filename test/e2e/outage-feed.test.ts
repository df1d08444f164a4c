/**
 * The outage feed end to end: a provider's CSV served over HTTP, the BullMQ worker (real Redis)
 * writing through the services repository, and the outage showing up in the district view through
 * the gateway; syncing the same feed again writes nothing.
 */
import { randomUUID } from "node:crypto";
import { createLogger, issueAccessToken } from "@situation/platform";
import { DEMO_PROVIDERS } from "@situation/services-subgraph";
import { createOutageSyncWorker, feedSourceName, type OutageSyncResult, type OutageSyncWorker } from "@situation/workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEveryStep } from "../support/cleanup.js";
import { startFeedServer, type FeedServer } from "../support/feed-server.js";
import { countRedisKeys, deleteRedisKeys, uniqueRedisPrefix } from "../support/redis.js";
import { startStack, testConfig, type Stack } from "../support/stack.js";

const HOUR_MS = 60 * 60 * 1000;
const WATER_PROVIDER = DEMO_PROVIDERS.find((provider) => provider.id === "jkp-vodovod-krusevac")!;
// A square of about 500 m well inside the "centar" district (the seed's central grid cell), away from its edges.
const AREA_INSIDE_CENTAR = {
  type: "Polygon",
  coordinates: [
    [
      [21.3306, 43.577],
      [21.3366, 43.577],
      [21.3366, 43.583],
      [21.3306, 43.583],
      [21.3306, 43.577],
    ],
  ],
};

const externalId = `E2E-${randomUUID().slice(0, 8)}`;
const description = `E2E: замена затварача (${externalId})`;
const startsAt = new Date(Date.now() - HOUR_MS);
const expectedEndAt = new Date(Date.now() + 6 * HOUR_MS);

/** The feed as the provider would publish it (format: workers/README.md); RFC 4180 quotes around the JSON. */
function feedCsv(): string {
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
  return [
    "external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson",
    [
      externalId,
      WATER_PROVIDER.id,
      "water",
      "true",
      startsAt.toISOString(),
      expectedEndAt.toISOString(),
      "active",
      quoted(description),
      quoted(JSON.stringify(AREA_INSIDE_CENTAR)),
    ].join(","),
    "",
  ].join("\n");
}

interface ActiveOutage {
  id: string;
  kind: string;
  status: string;
  planned: boolean;
  description: string;
  startsAt: string;
  expectedEndAt: string | null;
  provider: { id: string; name: string };
}

const ACTIVE_OUTAGES_QUERY = /* GraphQL */ `
  query ActiveOutages($id: ID!) {
    district(id: $id) {
      activeOutages { id kind status planned description startsAt expectedEndAt provider { id name } }
    }
  }
`;

let stack: Stack;
let feed: FeedServer;
let worker: OutageSyncWorker;
const workerConfig = testConfig({ REDIS_PREFIX: uniqueRedisPrefix("outage-feed") });

beforeAll(async () => {
  stack = await startStack({ name: "outage-feed" });
  feed = await startFeedServer(feedCsv());
  worker = createOutageSyncWorker({
    config: workerConfig,
    mongo: stack.mongo,
    logger: createLogger(workerConfig, "e2e-outage-feed-worker"),
    attempts: 1,
  });
  await worker.start();
});

afterAll(async () => {
  await runEveryStep([
    () => worker?.close(),
    () => feed?.close(),
    () => deleteRedisKeys(workerConfig.redisUrl, workerConfig.redisPrefix),
    () => stack?.close(),
  ]);
  expect(await countRedisKeys(workerConfig.redisUrl, workerConfig.redisPrefix)).toBe(0);
});

/** Queues a sync of the local feed and waits for the job's result (polling: no QueueEvents connection to own). */
async function syncOnce(timeoutMs = 30_000): Promise<OutageSyncResult> {
  const queued = await worker.syncNow(feed.url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await worker.queue.getJob(queued.id as string);
    const state = await job?.getState();
    if (state === "completed") return job!.returnvalue;
    if (state === "failed") throw new Error(`the sync job failed: ${job?.failedReason}`);
    if (Date.now() > deadline) throw new Error(`the sync job was still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function storedOutage() {
  return stack.mongo.db("services").collection("outages").findOne({ source: feedSourceName(feed.url), externalId });
}

describe("the outage feed, from CSV to the district view", () => {
  it("stores the feed's outage and the gateway shows it among the centre's active outages", async () => {
    const before = await stack.query<{ district: { activeOutages: ActiveOutage[] } }>(ACTIVE_OUTAGES_QUERY, { id: "centar" });
    expect(before.errors).toBeUndefined();
    expect(before.data?.district.activeOutages.some((outage) => outage.description === description)).toBe(false);

    const result = await syncOnce();
    expect(result).toMatchObject({ source: feedSourceName(feed.url), rows: 1, accepted: 1, inserted: 1, updated: 0, unchanged: 0, rejectedCount: 0 });

    const stored = await storedOutage();
    expect(stored).not.toBeNull();
    const after = await stack.query<{ district: { activeOutages: ActiveOutage[] } }>(ACTIVE_OUTAGES_QUERY, { id: "centar" });
    expect(after.errors).toBeUndefined();
    const shown = after.data?.district.activeOutages.filter((outage) => outage.description === description);
    expect(shown).toEqual([
      {
        id: stored!._id,
        kind: "WATER",
        status: "ACTIVE",
        planned: true,
        description,
        startsAt: startsAt.toISOString(),
        expectedEndAt: expectedEndAt.toISOString(),
        provider: { id: WATER_PROVIDER.id, name: WATER_PROVIDER.name },
      },
    ]);
    expect(after.data?.district.activeOutages).toHaveLength((before.data?.district.activeOutages.length ?? 0) + 1);
  });

  it("keeps the outage to the district its area touches", async () => {
    // Bagdala is Centar's eastern neighbour; the feed's area stops well short of their shared edge.
    const neighbour = await stack.query<{ district: { activeOutages: ActiveOutage[] } }>(ACTIVE_OUTAGES_QUERY, { id: "bagdala" });
    expect(neighbour.errors).toBeUndefined();
    expect(neighbour.data?.district.activeOutages.some((outage) => outage.description === description)).toBe(false);
  });

  it("shows operators where the outage came from", async () => {
    const stored = await storedOutage();
    const token = await issueAccessToken({ subject: "e2e-operator", roles: ["operator"] }, stack.config.jwtSecret);
    const answer = await stack.query<{ outage: { source: string; externalId: string } }>(
      "query Provenance($id: ID!) { outage(id: $id) { source externalId } }",
      { id: stored!._id },
      { authorization: `Bearer ${token}` },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.outage).toEqual({ source: feedSourceName(feed.url), externalId });
  });

  it("writes nothing when the same feed is synced again", async () => {
    const before = await storedOutage();
    const requestsBefore = feed.requests;

    const result = await syncOnce();
    expect(feed.requests).toBe(requestsBefore + 1);
    expect(result).toMatchObject({ rows: 1, accepted: 1, inserted: 0, updated: 0, unchanged: 1, rejectedCount: 0 });
    // Not even the timestamps move.
    expect(await storedOutage()).toEqual(before);
    expect(await stack.mongo.db("services").collection("outages").countDocuments({ externalId })).toBe(1);
  });
});
