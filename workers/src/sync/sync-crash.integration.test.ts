/**
 * A worker killed with SIGKILL half-way through storing a feed: BullMQ sees its job stalled and
 * hands it to another worker, which stores the rest; every record ends up stored exactly once, and
 * the dead run is marked abandoned. The killed worker is the built package in a child process
 * (run `npm run build -w @situation/workers` first).
 */
import { openCityRepositories, SyncTrigger, createSyncScheduler } from "@situation/city-subgraph";
import { connectMongo, createLogger, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { DEMO_PROVIDERS, openServicesRepositories } from "@situation/services-subgraph";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFeedServer, type FeedServer } from "../test-support/feed-server.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "../test-support/redis-prefix.js";
import { createSyncWorker, type SyncWorker } from "./sync-worker.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const RECORDS = 5_000;
const SOURCE_ID = "crash-test";
const CHILD = fileURLToPath(new URL("../test-support/sync-child.mjs", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

function bigFeed(): string {
  const area = '"{""type"":""Polygon"",""coordinates"":[[[21.33,43.57],[21.34,43.57],[21.34,43.58],[21.33,43.57]]]}"';
  const rows = ["external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson"];
  for (let index = 0; index < RECORDS; index += 1) {
    rows.push(`K-${index},jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,Радови ${index},${area}`);
  }
  return `${rows.join("\n")}\n`;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a sync worker killed with SIGKILL mid-run", () => {
  let config: PlatformConfig;
  let mongo: MongoConnection;
  let feed: FeedServer;
  let child: ChildProcess | undefined;
  let survivor: SyncWorker | undefined;

  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build -w @situation/workers\` first`);
    config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix() }, { warn: () => {} });
    // Its own embedded server, so the default database names are this test's alone.
    mongo = await connectMongo(config, { logger: createLogger(config, "crash-test") });
    feed = await startFeedServer({ status: 200, body: bigFeed() });
  });

  afterAll(async () => {
    child?.kill("SIGKILL");
    await survivor?.close();
    await feed?.close();
    await deleteRedisKeys(REDIS_URL, config.redisPrefix);
    await mongo?.close();
  });

  it("is retried by BullMQ and ends with every record stored exactly once", async () => {
    const services = openServicesRepositories(mongo);
    await services.ensureIndexes();
    await services.providers.upsertMany(DEMO_PROVIDERS);
    const city = openCityRepositories(mongo);
    await city.syncSources.create(
      {
        id: SOURCE_ID,
        name: "Crash test",
        kind: "outage-csv",
        url: feed.url,
        schedule: { pattern: "0 3 1 1 *" },
        options: { maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000 },
        target: "services.outages",
        maxAgeMs: 3_600_000,
      },
      "test",
    );

    child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: config.redisPrefix, MONGODB_URI: mongo.uri },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resolve();
      });
      child!.once("exit", (code) => reject(new Error(`the child worker exited with ${code} before it was ready`)));
    });

    const scheduler = createSyncScheduler({ config });
    const jobId = await scheduler.enqueue({ sourceId: SOURCE_ID, trigger: SyncTrigger.MANUAL });
    const storedAtKill = await waitFor(
      async () => {
        const count = await services.outages.count();
        return count > 0 ? count : undefined;
      },
      "the first records",
      60_000,
    );
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));
    expect(storedAtKill).toBeLessThan(RECORDS);

    // The dead worker's job lock (10 s) expires, a stalled check moves the job back to wait, the source lock expires.
    survivor = createSyncWorker({ config, mongo, logger: createLogger(config, "survivor"), stalledIntervalMs: 1_000, hostIntervalMs: 0, lockRetryDelayMs: 500 });
    await survivor.start();
    const job = await waitFor(
      async () => {
        const current = await scheduler.queue.getJob(jobId);
        const state = await current?.getState();
        if (state === "failed") throw new Error(`the job failed: ${current?.failedReason}`);
        // Read again: the job read before its state may predate its completion.
        return state === "completed" ? await scheduler.queue.getJob(jobId) : undefined;
      },
      "the retried job",
      90_000,
    );
    await scheduler.close();

    expect(await services.outages.count()).toBe(RECORDS);
    const distinct = await services.outages.collection.distinct("externalId", { source: `sync:${SOURCE_ID}` });
    expect(distinct).toHaveLength(RECORDS);
    expect(job.returnvalue).toMatchObject({ status: "succeeded", fetched: RECORDS, accepted: RECORDS, ended: 0 });
    expect(job.returnvalue.inserted).toBe(RECORDS - (job.returnvalue.unchanged as number));
    expect(job.returnvalue.unchanged).toBeGreaterThanOrEqual(storedAtKill);

    const runs = await city.syncRuns.findPage(SOURCE_ID, 10, null);
    expect(runs.nodes.map((run) => run.status)).toEqual(["succeeded", "abandoned"]);
  }, 180_000);
});
