import { connectMongo, createLogger, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { DEMO_PROVIDERS, openServicesRepositories, type ServicesRepositories } from "@situation/services-subgraph";
import { Job, QueueEvents } from "bullmq";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OUTAGE_SYNC_QUEUE, OUTAGE_SYNC_SCHEDULER_ID } from "./outage-sync/outage-sync-queue.js";
import { feedSourceName, type OutageSyncResult } from "./outage-sync/sync-outage-feed.js";
import { startFeedServer, type FeedServer } from "./test-support/feed-server.js";
import { FIXTURE_FEED, FIXTURE_VALID_IDS } from "./test-support/fixtures.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "./test-support/redis-prefix.js";
import { createOutageSyncWorker, type OutageSyncWorker } from "./worker.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const redisAddress = new URL(REDIS_URL);

function testConfig(overrides: Record<string, string> = {}): PlatformConfig {
  return loadConfig(
    { NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix(), ...overrides },
    { warn: () => {} },
  );
}

describe("the outage-sync worker (real Redis, embedded MongoDB, local HTTP feed)", () => {
  let mongo: MongoConnection;
  // A second client with command monitoring on the same store: the worker writes through it, so the
  // test counts the write commands that really reach the database.
  let monitoredClient: MongoClient;
  const writeCommands: string[] = [];
  let feed: FeedServer;

  let config: PlatformConfig;
  let databaseName: string;
  let repositories: ServicesRepositories;
  let worker: OutageSyncWorker | undefined;
  let queueEvents: QueueEvents | undefined;

  beforeAll(async () => {
    const bootConfig = testConfig();
    mongo = await connectMongo(bootConfig, { logger: createLogger(bootConfig, "workers-test") });
    monitoredClient = new MongoClient(mongo.uri, { monitorCommands: true });
    monitoredClient.on("commandStarted", (event) => {
      if (["insert", "update", "delete", "findAndModify"].includes(event.commandName)) writeCommands.push(event.commandName);
    });
    await monitoredClient.connect();
    feed = await startFeedServer({ status: 200, body: FIXTURE_FEED });
  });

  afterAll(async () => {
    await feed?.close();
    await monitoredClient?.close();
    await mongo?.close();
  });

  async function startWorker(overrides: Record<string, string> = {}): Promise<OutageSyncWorker> {
    config = testConfig(overrides);
    worker = createOutageSyncWorker({
      config,
      mongo: { db: (name) => monitoredClient.db(name) },
      logger: createLogger(config, "outage-sync-test"),
      databaseName,
      attempts: 3,
      backoffDelayMs: 100,
      feed: { timeoutMs: 2_000 },
    });
    await worker.start();
    queueEvents = new QueueEvents(OUTAGE_SYNC_QUEUE, {
      // Options rather than a connection, so that QueueEvents owns (and closes) its blocking connection.
      connection: { host: redisAddress.hostname, port: Number(redisAddress.port || 6379), maxRetriesPerRequest: null },
      prefix: config.redisPrefix,
    });
    await queueEvents.waitUntilReady();
    return worker;
  }

  async function syncOnce(): Promise<{ job: Job; result: OutageSyncResult }> {
    const job = await worker!.syncNow(feed.url);
    const result = (await job.waitUntilFinished(queueEvents!, 30_000)) as OutageSyncResult;
    return { job, result };
  }

  beforeEach(async () => {
    databaseName = `workers_test_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    repositories = openServicesRepositories({ db: (name) => monitoredClient.db(name) }, { databaseName });
    await repositories.ensureIndexes();
    await repositories.providers.upsertMany(DEMO_PROVIDERS);
    feed.reply({ status: 200, body: FIXTURE_FEED });
    writeCommands.length = 0;
  });

  afterEach(async () => {
    await queueEvents?.close();
    await worker?.close();
    queueEvents = undefined;
    worker = undefined;
    await deleteRedisKeys(REDIS_URL, config.redisPrefix);
    await monitoredClient.db(databaseName).dropDatabase();
  });

  it("stores every valid outage exactly once, and a second run writes nothing", async () => {
    await startWorker();
    const first = await syncOnce();
    expect(first.result).toMatchObject({ source: feedSourceName(feed.url), rows: 13, accepted: 6, inserted: 6, updated: 0, unchanged: 0 });
    const stored = await repositories.outages.collection.find({ source: feedSourceName(feed.url) }).sort({ externalId: 1 }).toArray();
    expect(stored.map((outage) => outage.externalId)).toEqual([...FIXTURE_VALID_IDS].sort());

    writeCommands.length = 0;
    const second = await syncOnce();
    expect(second.result).toMatchObject({ accepted: 6, inserted: 0, updated: 0, unchanged: 6 });
    expect(writeCommands).toEqual([]);
    const again = await repositories.outages.collection.find({ source: feedSourceName(feed.url) }).sort({ externalId: 1 }).toArray();
    expect(again.map((outage) => outage.updatedAt)).toEqual(stored.map((outage) => outage.updatedAt));
    expect(again).toEqual(stored);
  });

  it("lands the good rows and lists every bad one with its row, field and reason", async () => {
    await startWorker();
    const { result } = await syncOnce();
    expect(result.rejectedCount).toBe(7);
    expect(result.rejected.map(({ row, field }) => ({ row, field }))).toEqual([
      { row: 8, field: "kind" },
      { row: 9, field: "starts_at" },
      { row: 10, field: "area_geojson" },
      { row: 11, field: "provider_id" },
      { row: 12, field: "expected_end_at" },
      { row: 13, field: "external_id" },
      { row: 14, field: "(row)" },
    ]);
    expect(result.rejected.find((reject) => reject.row === 11)?.reason).toBe('no provider has the id "vodovod-nis"');
    expect(await repositories.outages.count()).toBe(6);
  });

  it("retries a feed that answers 500, with backoff, until it answers", async () => {
    await startWorker();
    feed.reply({ status: 500, body: "temporarily broken" }, { status: 200, body: FIXTURE_FEED });
    const { job, result } = await syncOnce();
    expect(feed.requests).toBe(2);
    expect(result.inserted).toBe(6);
    const finished = await Job.fromId(worker!.queue, job.id as string);
    expect(finished?.attemptsMade).toBe(2);
  });

  it("fails at once, without retrying, when the feed answers 404 or its header is wrong", async () => {
    await startWorker();
    feed.reply({ status: 404 });
    const job = await worker!.syncNow(feed.url);
    await expect(job.waitUntilFinished(queueEvents!, 30_000)).rejects.toThrow(/answered HTTP 404/);
    expect(feed.requests).toBe(1);
    expect(await (await Job.fromId(worker!.queue, job.id as string))?.getState()).toBe("failed");

    feed.reply({ status: 200, body: "id,name\n1,x\n" });
    const malformed = await worker!.syncNow(feed.url);
    await expect(malformed.waitUntilFinished(queueEvents!, 30_000)).rejects.toThrow(/lacks the column/);
    expect(feed.requests).toBe(1);
    expect(await repositories.outages.count()).toBe(0);
  });

  it("schedules the sync every OUTAGE_SYNC_INTERVAL_MS when OUTAGE_FEED_URL is set, and closes twice safely", async () => {
    const started = await startWorker({ OUTAGE_FEED_URL: feed.url, OUTAGE_SYNC_INTERVAL_MS: "1000" });
    const schedulers = await started.queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: OUTAGE_SYNC_SCHEDULER_ID, every: 1000 });

    const deadline = Date.now() + 15_000;
    while (feed.requests < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(feed.requests).toBeGreaterThanOrEqual(2);
    expect(await repositories.outages.count()).toBe(6);

    await queueEvents?.close();
    queueEvents = undefined;
    await started.close();
    await started.close();
  });

  it("removes a leftover scheduler when no feed is configured", async () => {
    const first = await startWorker({ OUTAGE_FEED_URL: feed.url, OUTAGE_SYNC_INTERVAL_MS: "60000" });
    const prefix = config.redisPrefix;
    await queueEvents?.close();
    await first.close();
    // Same prefix, no feed URL: the old scheduler must go.
    config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: prefix }, { warn: () => {} });
    worker = createOutageSyncWorker({ config, mongo: { db: (name) => monitoredClient.db(name) }, logger: createLogger(config, "t"), databaseName });
    await worker.start();
    expect(await worker.queue.getJobSchedulers()).toEqual([]);
    queueEvents = undefined;
  });
});
