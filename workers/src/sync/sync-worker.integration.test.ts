import { SyncRunStatus, SyncTrigger, syncSchedulerId, type SyncSourceInput } from "@situation/city-subgraph";
import { connectMongo, createLogger, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { DEMO_PROVIDERS } from "@situation/services-subgraph";
import { Queue, type Job } from "bullmq";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFeedServer, type FeedServer } from "../test-support/feed-server.js";
import { FIXTURE_FEED, FIXTURE_VALID_IDS } from "../test-support/outage-csv-fixtures.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "../test-support/redis-prefix.js";
import type { SyncRunResult } from "./run-sync.js";
import { createSyncWorker, OUTAGE_FEED_SOURCE_ID, type SyncJobResult, type SyncWorker, type SyncWorkerOptions } from "./sync-worker.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const SOURCE_ID = "test-outages";
const HEADER = "external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson";
const AREA = '"{""type"":""Polygon"",""coordinates"":[[[21.33,43.57],[21.34,43.57],[21.34,43.58],[21.33,43.57]]]}"';
const row = (id: string, description = "Замена затварача", status = "active") =>
  `${id},jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,${status},${description},${AREA}`;
const csv = (...rows: string[]) => [HEADER, ...rows, ""].join("\n");

function testConfig(overrides: Record<string, string> = {}): PlatformConfig {
  return loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix(), ...overrides }, { warn: () => {} });
}

describe("the sync worker (real Redis, embedded MongoDB, local HTTP feed)", () => {
  let mongo: MongoConnection;
  // A second client with command monitoring: the worker writes through it, so the test counts the
  // writes that really reach the services database.
  let monitoredClient: MongoClient;
  const serviceWrites: string[] = [];
  let feed: FeedServer;

  let config: PlatformConfig;
  let cityDb: string;
  let servicesDb: string;
  let worker: SyncWorker | undefined;

  beforeAll(async () => {
    const bootConfig = testConfig();
    mongo = await connectMongo(bootConfig, { logger: createLogger(bootConfig, "workers-test") });
    monitoredClient = new MongoClient(mongo.uri, { monitorCommands: true });
    monitoredClient.on("commandStarted", (event) => {
      if (event.databaseName === servicesDb && ["insert", "update", "delete", "findAndModify"].includes(event.commandName)) {
        serviceWrites.push(event.commandName);
      }
    });
    await monitoredClient.connect();
    feed = await startFeedServer({ status: 200, body: FIXTURE_FEED });
  });

  afterAll(async () => {
    await feed?.close();
    await monitoredClient?.close();
    await mongo?.close();
  });

  beforeEach(async () => {
    const suffix = randomUUID().replaceAll("-", "").slice(0, 12);
    cityDb = `workers_city_${suffix}`;
    servicesDb = `workers_services_${suffix}`;
    feed.reply({ status: 200, body: FIXTURE_FEED });
    serviceWrites.length = 0;
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await deleteRedisKeys(REDIS_URL, config.redisPrefix);
    await monitoredClient.db(cityDb).dropDatabase();
    await monitoredClient.db(servicesDb).dropDatabase();
  });

  async function startWorker(overrides: Record<string, string> = {}, options: Partial<SyncWorkerOptions> = {}): Promise<SyncWorker> {
    config = testConfig(overrides);
    worker = createSyncWorker({
      config,
      mongo: { db: (name) => monitoredClient.db(name) },
      logger: createLogger(config, "sync-test"),
      databaseNames: { city: cityDb, services: servicesDb },
      attempts: 3,
      backoffDelayMs: 100,
      lockRetryDelayMs: 200,
      hostIntervalMs: 0,
      ...options,
    });
    await worker.start();
    await worker.services.providers.upsertMany(DEMO_PROVIDERS);
    return worker;
  }

  async function createSource(overrides: Partial<SyncSourceInput> = {}): Promise<void> {
    await worker!.city.syncSources.create(
      {
        id: SOURCE_ID,
        name: "Test outages",
        kind: "outage-csv",
        url: feed.url,
        // Far apart, so that only the runs a test queues happen.
        schedule: { pattern: "0 3 1 1 *" },
        options: { timeoutMs: 2_000 },
        target: "services.outages",
        maxAgeMs: 3_600_000,
        ...overrides,
      },
      "test",
    );
  }

  /** Waits for a job to finish (polling: no QueueEvents connection to own); a failed job rejects with its reason. */
  async function finished(job: Job, timeoutMs = 30_000): Promise<SyncJobResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await worker!.queue.getJob(job.id as string);
      const state = await current?.getState();
      // Read again: the job read before its state may predate its completion.
      if (state === "completed") return (await worker!.queue.getJob(job.id as string))!.returnvalue;
      if (state === "failed") throw new Error(current?.failedReason);
      if (Date.now() > deadline) throw new Error(`job ${job.id} was still ${state} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const runNow = async () => (await finished(await worker!.runNow(SOURCE_ID))) as SyncRunResult;
  const runScheduled = async () => {
    const jobId = await worker!.scheduler.enqueue({ sourceId: SOURCE_ID, trigger: SyncTrigger.SCHEDULED });
    return (await finished((await worker!.queue.getJob(jobId))!)) as SyncRunResult;
  };
  const outages = () => worker!.services.outages.collection.find({ source: `sync:${SOURCE_ID}` }).sort({ externalId: 1 }).toArray();

  it("stores every valid outage once with provenance, quarantines the bad rows, and records the run", async () => {
    await startWorker();
    await createSource();
    const result = await runNow();
    expect(result).toMatchObject({ provenance: `sync:${SOURCE_ID}`, status: "succeeded", fetched: 13, accepted: 6, inserted: 6, updated: 0, unchanged: 0, ended: 0, quarantined: 7 });
    expect(result.rejected.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 8, field: "kind" },
      { line: 9, field: "starts_at" },
      { line: 10, field: "area_geojson" },
      { line: 11, field: "provider_id" },
      { line: 12, field: "expected_end_at" },
      { line: 13, field: "external_id" },
      { line: 14, field: "(row)" },
    ]);
    const stored = await outages();
    expect(stored.map((outage) => outage.externalId)).toEqual([...FIXTURE_VALID_IDS].sort());
    expect(stored[0]).toMatchObject({ source: `sync:${SOURCE_ID}`, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), fetchedAt: expect.any(Date) });

    const quarantined = await worker!.city.syncQuarantine.findPage({ runId: result.runId }, 100, null);
    expect(quarantined.nodes).toHaveLength(7);
    expect(quarantined.nodes.find((entry) => entry.line === 11)).toMatchObject({
      sourceId: SOURCE_ID,
      externalId: "VOD-UNKNOWN-PROVIDER",
      reason: 'no provider has the id "vodovod-nis"',
      raw: expect.stringMatching(/^VOD-UNKNOWN-PROVIDER,vodovod-nis,water,/),
    });
    const run = await worker!.city.syncRuns.findById(result.runId);
    expect(run).toMatchObject({ status: "succeeded", trigger: "manual", attempt: 1, fetched: 13, inserted: 6, quarantined: 7, error: null, finishedAt: expect.any(Date) });
    const source = await worker!.city.syncSources.findById(SOURCE_ID);
    expect(source?.lastSuccessAt).toEqual(run?.finishedAt);
    expect(source?.lastRun).toMatchObject({ runId: result.runId, status: "succeeded" });
  });

  it("writes nothing when the feed is unchanged: 304 on a scheduled run, equal content hashes on a manual one", async () => {
    feed.reply({ status: 200, body: FIXTURE_FEED, etag: '"feed-v1"' });
    await startWorker();
    await createSource();
    expect(await runScheduled()).toMatchObject({ status: "succeeded", inserted: 6 });
    const before = await outages();
    serviceWrites.length = 0;

    const scheduled = await runScheduled();
    expect(scheduled).toMatchObject({ status: "unchanged", inserted: 0, updated: 0, fetched: 0 });
    expect(feed.notModified).toBe(1);
    expect(feed.lastHeaders["if-none-match"]).toBe('"feed-v1"');

    const manual = await runNow();
    expect(manual).toMatchObject({ status: "succeeded", accepted: 6, inserted: 0, updated: 0, unchanged: 6, ended: 0 });
    expect(serviceWrites).toEqual([]);
    expect(await outages()).toEqual(before);
  });

  it("skips a scheduled run whose body hashes the same even without ETags", async () => {
    await startWorker();
    await createSource();
    await runScheduled();
    serviceWrites.length = 0;
    expect(await runScheduled()).toMatchObject({ status: "unchanged", bytes: Buffer.byteLength(FIXTURE_FEED), fetched: 0 });
    expect(feed.requests).toBe(2);
    expect(serviceWrites).toEqual([]);
  });

  it("updates changed records and ends the ones a full snapshot no longer lists", async () => {
    feed.reply({ status: 200, body: csv(row("A-1"), row("A-2"), row("A-3", "Опис", "announced")) });
    await startWorker();
    await createSource();
    expect(await runNow()).toMatchObject({ inserted: 3 });

    feed.reply({ status: 200, body: csv(row("A-1", "Нови опис")) });
    expect(await runNow()).toMatchObject({ inserted: 0, updated: 1, unchanged: 0, ended: 2 });
    const byId = new Map((await outages()).map((outage) => [outage.externalId, outage]));
    expect(byId.get("A-1")).toMatchObject({ description: "Нови опис", status: "active" });
    expect(byId.get("A-2")).toMatchObject({ status: "resolved", endedAt: expect.any(Date) });
    expect(byId.get("A-2")?.updates?.at(-1)).toMatchObject({ status: "resolved", note: "no longer listed by its feed" });
    expect(byId.get("A-3")).toMatchObject({ status: "cancelled" });

    // Ended once: the same snapshot again changes nothing; a record that comes back is written again.
    serviceWrites.length = 0;
    expect(await runNow()).toMatchObject({ updated: 0, unchanged: 1, ended: 0 });
    expect(serviceWrites).toEqual([]);
    feed.reply({ status: 200, body: csv(row("A-1", "Нови опис"), row("A-2")) });
    expect(await runNow()).toMatchObject({ updated: 1, unchanged: 1, ended: 0 });
    expect((await worker!.services.outages.findByExternalId(`sync:${SOURCE_ID}`, "A-2"))?.status).toBe("active");
  });

  it("ends nothing when the source is not a full snapshot, nor on a backfill", async () => {
    feed.reply({ status: 200, body: csv(row("A-1"), row("A-2")) });
    await startWorker();
    await createSource({ options: { fullSnapshot: false } });
    await runNow();
    feed.reply({ status: 200, body: csv(row("A-1")) });
    expect(await runNow()).toMatchObject({ ended: 0 });
    expect((await outages()).map((outage) => outage.status)).toEqual(["active", "active"]);
  });

  it("backfills a period: only the records overlapping it, with {from} and {to} filled into the URL", async () => {
    const backfillFeed = await startFeedServer({ status: 200, body: csv(row("A-1"), row("A-2").replace("2025-03-10T08:00:00+01:00", "2024-01-10T08:00:00+01:00")) }, "/outages.csv?from={from}&to={to}");
    try {
      await startWorker();
      await createSource({ url: backfillFeed.url });
      const jobId = await worker!.city.syncSources.backfill(SOURCE_ID, new Date("2024-01-01T00:00:00Z"), new Date("2024-02-01T00:00:00Z"));
      const result = (await finished((await worker!.queue.getJob(jobId))!)) as SyncRunResult;
      expect(result).toMatchObject({ trigger: "backfill", fetched: 2, inserted: 1, ended: 0 });
      expect((await outages()).map((outage) => outage.externalId)).toEqual(["A-2"]);
      expect(backfillFeed.lastUrl).toBe("/outages.csv?from=2024-01-01T00%3A00%3A00.000Z&to=2024-02-01T00%3A00%3A00.000Z");
    } finally {
      await backfillFeed.close();
    }
  });

  it("retries a feed that answers 500, with backoff, until it answers, and records each attempt", async () => {
    await startWorker();
    await createSource();
    feed.reply({ status: 500, body: "temporarily broken" }, { status: 200, body: FIXTURE_FEED });
    const job = await worker!.runNow(SOURCE_ID);
    const result = (await finished(job)) as SyncRunResult;
    expect(feed.requests).toBe(2);
    expect(result).toMatchObject({ inserted: 6, status: "succeeded" });
    expect((await worker!.queue.getJob(job.id as string))?.attemptsMade).toBe(2);
    const runs = await worker!.city.syncRuns.findPage(SOURCE_ID, 10, null);
    expect(runs.nodes.map(({ status, attempt, errorKind }) => ({ status, attempt, errorKind }))).toEqual([
      { status: "succeeded", attempt: 2, errorKind: null },
      { status: "failed", attempt: 1, errorKind: "transient" },
    ]);
    expect(runs.nodes[1]?.error).toMatch(/answered HTTP 500/);
  });

  it("fails at once, without retrying, when the feed answers 404 or its format changed", async () => {
    await startWorker();
    await createSource();
    feed.reply({ status: 404 });
    await expect(finished(await worker!.runNow(SOURCE_ID))).rejects.toThrow(/answered HTTP 404/);
    expect(feed.requests).toBe(1);

    feed.reply({ status: 200, body: "id,name\n1,x\n" });
    await expect(finished(await worker!.runNow(SOURCE_ID))).rejects.toThrow(/lacks the column/);
    expect(feed.requests).toBe(1);
    expect(await worker!.services.outages.count()).toBe(0);
    const [latest] = (await worker!.city.syncRuns.findPage(SOURCE_ID, 1, null)).nodes;
    expect(latest).toMatchObject({ status: "failed", errorKind: "permanent" });
    const quarantined = await worker!.city.syncQuarantine.findPage({ runId: latest!._id }, 10, null);
    expect(quarantined.nodes).toEqual([expect.objectContaining({ field: "(file)", raw: "id,name\n1,x\n" })]);
    const source = await worker!.city.syncSources.findById(SOURCE_ID);
    expect(source?.lastSuccessAt).toBeNull();
    expect(source?.lastRun).toMatchObject({ status: "failed", error: expect.stringMatching(/lacks the column/) });
  });

  it("serialises overlapping runs of one source, even with spare worker slots", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    feed.reply((response) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(200, { "content-type": "text/csv" });
        response.end(FIXTURE_FEED);
      }, 300);
    });
    await startWorker({}, { concurrency: 4 });
    await createSource();
    const jobs = await Promise.all([worker!.runNow(SOURCE_ID), worker!.runNow(SOURCE_ID), worker!.runNow(SOURCE_ID)]);
    const results = (await Promise.all(jobs.map((job) => finished(job)))) as SyncRunResult[];
    expect(maxInFlight).toBe(1);
    expect(results.map((result) => result.inserted).sort()).toEqual([0, 0, 6]);
    expect(await worker!.services.outages.count()).toBe(6);
  });

  it("spaces requests to one host across sources, through Redis", async () => {
    const seen: number[] = [];
    feed.reply((response) => {
      seen.push(Date.now());
      response.writeHead(200, { "content-type": "text/csv" });
      response.end(FIXTURE_FEED);
    });
    await startWorker({}, { concurrency: 4, hostIntervalMs: 600 });
    await createSource();
    await worker!.city.syncSources.create(
      { id: "same-host", name: "Same host", kind: "outage-csv", url: `${feed.url}?copy=1`, schedule: { pattern: "0 3 1 1 *" }, target: "services.outages", maxAgeMs: 3_600_000 },
      "test",
    );
    const jobs = await Promise.all([worker!.runNow(SOURCE_ID), worker!.runNow("same-host"), worker!.runNow(SOURCE_ID)]);
    await Promise.all(jobs.map((job) => finished(job)));
    expect(seen).toHaveLength(3);
    const sorted = [...seen].sort((left, right) => left - right);
    // The limit spaces the requests' starts; the server sees them after a connection set-up that
    // varies by tens of milliseconds on a loaded machine. Without it all three arrive within a few.
    for (let index = 1; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 1]!).toBeGreaterThanOrEqual(450);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(1_100);
  });

  it("finishes the run in flight when it is closed (SIGTERM), and records it", async () => {
    let release: () => void = () => {};
    const requested = new Promise<void>((resolve) => {
      feed.reply((response) => {
        resolve();
        release = () => {
          response.writeHead(200, { "content-type": "text/csv" });
          response.end(FIXTURE_FEED);
        };
      });
    });
    await startWorker();
    await createSource();
    const job = await worker!.runNow(SOURCE_ID);
    await requested;
    const closing = worker!.close();
    setTimeout(() => release(), 300);
    await closing;
    const [run] = (await worker!.city.syncRuns.findPage(SOURCE_ID, 1, null)).nodes;
    expect(run).toMatchObject({ status: "succeeded", inserted: 6 });
    expect(await worker!.services.outages.count()).toBe(6);
    const queue = new Queue("source-sync", { connection: { url: REDIS_URL }, prefix: config.redisPrefix });
    expect(await (await queue.getJob(job.id as string))?.getState()).toBe("completed");
    await queue.close();
  });

  describe("bad input leaves the stored data as it was", () => {
    async function storeGoodData() {
      feed.reply({ status: 200, body: csv(row("A-1"), row("A-2"), row("A-3")) });
      await startWorker();
      await createSource({ options: { timeoutMs: 2_000, maxBytes: 64 * 1024 } });
      await runNow();
      return outages();
    }

    it("a truncated file: the rows before the cut land, nothing is ended", async () => {
      const before = await storeGoodData();
      feed.reply({ status: 200, body: `${HEADER}\n${row("A-1")}\nA-2,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,"Опис` });
      const result = await runNow();
      expect(result).toMatchObject({ status: "succeeded", unchanged: 1, ended: 0, quarantined: 1 });
      expect(result.warnings.join(" ")).toMatch(/truncated/);
      expect(await outages()).toEqual(before);
    });

    it("non-UTF-8 bytes: that row is quarantined, the others land, nothing is ended", async () => {
      const before = await storeGoodData();
      const body = Buffer.concat([Buffer.from(csv(row("A-1"), row("A-4"))), Buffer.from("A-2,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,\xff\xfe\n", "latin1")]);
      feed.reply({ status: 200, body });
      const result = await runNow();
      expect(result).toMatchObject({ status: "succeeded", inserted: 1, unchanged: 1, ended: 0, quarantined: 1 });
      expect(result.rejected).toEqual([expect.objectContaining({ externalId: "A-2", field: "(encoding)" })]);
      const after = await outages();
      expect(after.filter((outage) => outage.externalId !== "A-4")).toEqual(before);
    });

    it("wrong types, missing fields, duplicated ids and absurd coordinates: quarantined one by one", async () => {
      const before = await storeGoodData();
      feed.reply({
        status: 200,
        body: csv(
          row("A-1"),
          row("A-2"),
          row("A-3"),
          "A-2,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,Changed in a duplicate," + AREA,
          "B-1,jkp-vodovod-krusevac,water,perhaps,2025-03-10T08:00:00+01:00,,active,Опис," + AREA,
          "B-2,jkp-vodovod-krusevac,water,true,,,active,Опис," + AREA,
          row("B-3").replace("21.33,43.57]", "2133,4357]").replaceAll("[21.33,43.57]", "[2133,4357]"),
        ),
      });
      const result = await runNow();
      expect(result).toMatchObject({ status: "succeeded", unchanged: 3, inserted: 0, updated: 0, ended: 0, quarantined: 4 });
      expect(result.rejected.map(({ externalId, field }) => `${externalId}:${field}`)).toEqual(["A-2:external_id", "B-1:planned", "B-2:starts_at", "B-3:area_geojson"]);
      expect(await outages()).toEqual(before);
    });

    it("an oversized response: the run fails without a retry, the data stays", async () => {
      const before = await storeGoodData();
      feed.reply({ status: 200, body: csv(...Array.from({ length: 2_000 }, (_, index) => row(`BIG-${index}`))) });
      await expect(finished(await worker!.runNow(SOURCE_ID))).rejects.toThrow(/over the limit of 65536/);
      expect(feed.requests).toBe(1);
      expect(await outages()).toEqual(before);
      const [latest] = (await worker!.city.syncRuns.findPage(SOURCE_ID, 1, null)).nodes;
      expect(latest).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: "permanent" });
    });
  });

  describe("scheduling", () => {
    it("gives each active source a job scheduler, removes it on pause, and reconciles Redis with the stored sources", async () => {
      await startWorker();
      await createSource({ schedule: { everyMs: 60_000 } });
      expect(await worker!.queue.getJobScheduler(syncSchedulerId(SOURCE_ID))).toMatchObject({ every: 60_000 });
      await worker!.city.syncSources.setPaused(SOURCE_ID, true, "test");
      expect(await worker!.queue.getJobScheduler(syncSchedulerId(SOURCE_ID))).toBeUndefined();
      await worker!.city.syncSources.setPaused(SOURCE_ID, false, "test");

      // Divergence: a scheduler for a source nobody stored, and a lost one.
      await worker!.queue.upsertJobScheduler(syncSchedulerId("gone"), { every: 60_000 }, { name: "sync-source", data: { sourceId: "gone", trigger: "scheduled" } });
      await worker!.queue.removeJobScheduler(syncSchedulerId(SOURCE_ID));
      expect(await worker!.reconcile()).toEqual({ upserted: 1, removed: 1 });
      const keys = (await worker!.queue.getJobSchedulers()).map((scheduler) => scheduler.key);
      expect(keys).toEqual([syncSchedulerId(SOURCE_ID)]);
      // In step: nothing to write (it runs every minute on every worker).
      expect(await worker!.reconcile()).toEqual({ upserted: 0, removed: 0 });
      await worker!.city.syncSources.collection.updateOne({ _id: SOURCE_ID }, { $set: { "schedule.everyMs": 120_000 } });
      expect(await worker!.reconcile()).toEqual({ upserted: 1, removed: 0 });
      expect(await worker!.queue.getJobScheduler(syncSchedulerId(SOURCE_ID))).toMatchObject({ every: 120_000 });
    });

    it("runs a source on its schedule", async () => {
      await startWorker();
      await createSource({ schedule: { everyMs: 1_000 } });
      const deadline = Date.now() + 15_000;
      while ((await worker!.services.outages.count()) < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await worker!.services.outages.count()).toBe(6);
    });

    it("ensures a source for OUTAGE_FEED_URL, keeping the earlier outage sync's provenance, and drops its old scheduler", async () => {
      const prefix = uniqueRedisPrefix();
      const legacy = new Queue("outage-sync", { connection: { url: REDIS_URL }, prefix });
      await legacy.upsertJobScheduler("outage-feed", { every: 60_000 }, { name: "sync-outage-feed", data: { feedUrl: feed.url } });
      await legacy.close();

      const started = await startWorker({ REDIS_PREFIX: prefix, OUTAGE_FEED_URL: feed.url, OUTAGE_SYNC_INTERVAL_MS: "60000" });
      const source = await started.city.syncSources.findById(OUTAGE_FEED_SOURCE_ID);
      const url = new URL(feed.url);
      expect(source).toMatchObject({ kind: "outage-csv", url: feed.url, schedule: { everyMs: 60_000 }, options: { provenance: `csv:${url.host}${url.pathname}` } });
      expect(await started.queue.getJobScheduler(syncSchedulerId(OUTAGE_FEED_SOURCE_ID))).toMatchObject({ every: 60_000 });
      const check = new Queue("outage-sync", { connection: { url: REDIS_URL }, prefix });
      expect(await check.getJobSchedulers()).toEqual([]);
      await check.close();

      const result = (await finished(await started.runNow(OUTAGE_FEED_SOURCE_ID))) as SyncRunResult;
      // The scheduler's first run may have stored them already; either way each is stored once.
      expect(result).toMatchObject({ provenance: `csv:${url.host}${url.pathname}`, accepted: 6 });
      expect(await started.services.outages.count({ source: `csv:${url.host}${url.pathname}` })).toBe(6);
      // A second worker starting with the same environment leaves the source as it is.
      const second = createSyncWorker({ config, mongo: { db: (name) => monitoredClient.db(name) }, logger: createLogger(config, "second"), databaseNames: { city: cityDb, services: servicesDb } });
      await second.start();
      expect((await second.city.syncSources.findById(OUTAGE_FEED_SOURCE_ID))?.updatedAt).toEqual(source?.updatedAt);
      await second.close();
      await started.close();
      await started.close();
    });
  });
});
