/**
 * The outage feed end to end: a provider's CSV served over HTTP, configured as a sync source, the
 * sync worker (real Redis) writing through the services repository, the outage showing up in the
 * district view through the gateway, the run in the sources' health view; syncing the same feed
 * again writes nothing.
 */
import { randomUUID } from "node:crypto";
import { createLogger, issueAccessToken } from "@situation/platform";
import { DEMO_PROVIDERS } from "@situation/services-subgraph";
import { createSyncWorker, type SyncRunResult, type SyncWorker } from "@situation/workers";
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
let worker: SyncWorker;
let workerConfig: ReturnType<typeof testConfig>;

const SOURCE_ID = "e2e-outage-feed";
/** The provenance the framework stores on a source's records when its options name none. */
const PROVENANCE = `sync:${SOURCE_ID}`;

beforeAll(async () => {
  stack = await startStack({ name: "outage-feed" });
  feed = await startFeedServer(feedCsv());
  workerConfig = testConfig({ REDIS_PREFIX: uniqueRedisPrefix("outage-feed") });
  worker = createSyncWorker({
    config: workerConfig,
    mongo: stack.mongo,
    logger: createLogger(workerConfig, "e2e-outage-feed-worker"),
    attempts: 1,
  });
  await worker.start();
  // Paused, so that no schedule runs it: the test queues each run itself (run-now works on paused sources).
  await worker.city.syncSources.create(
    {
      id: SOURCE_ID,
      name: "E2E outage feed",
      kind: "outage-csv",
      url: feed.url,
      schedule: { everyMs: 3_600_000 },
      target: "services.outages",
      maxAgeMs: 3_600_000,
      paused: true,
    },
    "e2e",
  );
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

/** Queues a run of the feed's source and waits for the job's result (polling: no QueueEvents connection to own). */
async function syncOnce(timeoutMs = 30_000): Promise<SyncRunResult> {
  const queued = await worker.runNow(SOURCE_ID);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await worker.queue.getJob(queued.id as string);
    const state = await job?.getState();
    // Read again: the job read before its state may predate its completion.
    if (state === "completed") return (await worker.queue.getJob(queued.id as string))!.returnvalue as SyncRunResult;
    if (state === "failed") throw new Error(`the sync job failed: ${job?.failedReason}`);
    if (Date.now() > deadline) throw new Error(`the sync job was still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function storedOutage() {
  return stack.mongo.db("services").collection("outages").findOne({ source: PROVENANCE, externalId });
}

describe("the outage feed, from CSV to the district view", () => {
  it("stores the feed's outage and the gateway shows it among the centre's active outages", async () => {
    const before = await stack.query<{ district: { activeOutages: ActiveOutage[] } }>(ACTIVE_OUTAGES_QUERY, { id: "centar" });
    expect(before.errors).toBeUndefined();
    expect(before.data?.district.activeOutages.some((outage) => outage.description === description)).toBe(false);

    const result = await syncOnce();
    expect(result).toMatchObject({ provenance: PROVENANCE, status: "succeeded", fetched: 1, inserted: 1, updated: 0, unchanged: 0, quarantined: 0 });

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
    expect(answer.data?.outage).toEqual({ source: PROVENANCE, externalId });
  });

  it("writes nothing when the same feed is synced again", async () => {
    const before = await storedOutage();
    const requestsBefore = feed.requests;

    const result = await syncOnce();
    expect(feed.requests).toBe(requestsBefore + 1);
    expect(result).toMatchObject({ fetched: 1, accepted: 1, inserted: 0, updated: 0, unchanged: 1, ended: 0, quarantined: 0 });
    // Not even the timestamps move.
    expect(await storedOutage()).toEqual(before);
    expect(await stack.mongo.db("services").collection("outages").countDocuments({ externalId })).toBe(1);
  });
});

describe("the sources' health view", () => {
  it("shows operators the feed's source as fresh, with its runs", async () => {
    const token = await issueAccessToken({ subject: "e2e-operator", roles: ["operator"] }, stack.config.jwtSecret);
    const answer = await stack.query<{
      syncSources: { id: string; kind: string; freshness: { stale: boolean; lastRunStatus: string; ageMs: number } }[];
      syncRuns: { nodes: { status: string; fetched: number }[] };
    }>(
      `query Health($id: ID!) {
        syncSources { id kind freshness { stale lastRunStatus ageMs } }
        syncRuns(sourceId: $id, first: 1) { nodes { status fetched } }
      }`,
      { id: SOURCE_ID },
      { authorization: `Bearer ${token}` },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.syncSources).toContainEqual({
      id: SOURCE_ID,
      kind: "OUTAGE_CSV",
      freshness: { stale: false, lastRunStatus: "SUCCEEDED", ageMs: expect.any(Number) },
    });
    expect(answer.data?.syncRuns.nodes).toEqual([{ status: "SUCCEEDED", fetched: 1 }]);
  });
});
