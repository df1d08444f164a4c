/**
 * Feed-synced changes announce themselves like pushed ones: the sync worker writes through the
 * services repositories with the process's change-event publisher, so a run appends one event per
 * outage it inserted, changed or ended, and a run over an unchanged feed appends nothing.
 */
import { randomUUID } from "node:crypto";
import {
  changeStreamKey,
  connectMongo,
  createChangeEventPublisher,
  createLogger,
  createRedisConnection,
  loadConfig,
  readChangeEvents,
  type ChangeEventPublisher,
  type MongoConnection,
  type StoredChangeEvent,
} from "@situation/platform";
import { DEMO_PROVIDERS } from "@situation/services-subgraph";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFeedServer, type FeedServer } from "../test-support/feed-server.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "../test-support/redis-prefix.js";
import type { SyncRunResult } from "./run-sync.js";
import { createSyncWorker, type SyncJobResult, type SyncWorker } from "./sync-worker.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const SOURCE_ID = "event-outages";
const HEADER = "external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson";
const AREA = '"{""type"":""Polygon"",""coordinates"":[[[21.33,43.57],[21.34,43.57],[21.34,43.58],[21.33,43.57]]]}"';
const row = (id: string, status = "active", description = "Замена затварача") =>
  `${id},jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,${status},${description},${AREA}`;
const csv = (...rows: string[]) => [HEADER, ...rows, ""].join("\n");

const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix() }, { warn: () => {} });
const logger = createLogger(config, "sync-events-test");
const suffix = randomUUID().replaceAll("-", "").slice(0, 12);
const databaseNames = { city: `workers_city_${suffix}`, services: `workers_services_${suffix}` };

let mongo: MongoConnection;
let redis: Redis;
let events: ChangeEventPublisher;
let feed: FeedServer;
let worker: SyncWorker;
let cursor = "0-0";

beforeAll(async () => {
  mongo = await connectMongo(config, { logger });
  redis = createRedisConnection(config, { name: "sync-events-test" });
  events = createChangeEventPublisher({ config, logger });
  feed = await startFeedServer({ status: 200, body: csv(row("E-1"), row("E-2", "announced")) });
  worker = createSyncWorker({ config, mongo, logger, databaseNames, events, attempts: 1, hostIntervalMs: 0, lockRetryDelayMs: 200 });
  await worker.start();
  await worker.services.providers.upsertMany(DEMO_PROVIDERS);
  await worker.city.syncSources.create(
    {
      id: SOURCE_ID,
      name: "Outages with events",
      kind: "outage-csv",
      url: feed.url,
      // Far apart, so that only the runs the test queues happen.
      schedule: { pattern: "0 3 1 1 *" },
      options: { timeoutMs: 2_000 },
      target: "services.outages",
      maxAgeMs: 3_600_000,
    },
    "test",
  );
});

afterAll(async () => {
  // The worker first (its jobs may still publish), then the publisher, then the keys it wrote.
  await worker?.close();
  await events?.close();
  await redis?.del(changeStreamKey(config.redisPrefix));
  redis?.disconnect();
  await deleteRedisKeys(REDIS_URL, config.redisPrefix);
  await feed?.close();
  await mongo?.db(databaseNames.city).dropDatabase();
  await mongo?.db(databaseNames.services).dropDatabase();
  await mongo?.close();
});

async function newEvents(): Promise<StoredChangeEvent[]> {
  const found = await readChangeEvents(redis, { prefix: config.redisPrefix, after: cursor, count: 1_000 });
  if (found.length > 0) cursor = found.at(-1)!.streamId;
  return found;
}

async function runNow(): Promise<SyncRunResult> {
  const job: Job = await worker.runNow(SOURCE_ID);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await (await worker.queue.getJob(job.id as string))?.getState();
    if (state === "completed") return (await worker.queue.getJob(job.id as string))!.returnvalue as SyncJobResult as SyncRunResult;
    if (state === "failed") throw new Error((await worker.queue.getJob(job.id as string))?.failedReason);
    if (Date.now() > deadline) throw new Error(`job ${job.id} was still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const idOf = async (externalId: string) => (await worker.services.outages.findByExternalId(`sync:${SOURCE_ID}`, externalId))!._id;

describe("change events of a feed sync", () => {
  it("announces what a run inserts, changes and ends, and nothing for an unchanged feed", async () => {
    expect(await runNow()).toMatchObject({ status: "succeeded", inserted: 2 });
    const [first, second] = [await idOf("E-1"), await idOf("E-2")];
    const inserted = await newEvents();
    expect(inserted.map(({ type, id }) => ({ type, id })).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: "outage.announced", id: second },
      { type: "outage.started", id: first },
    ]);
    expect(inserted[0]).toMatchObject({ providerId: "jkp-vodovod-krusevac", districtIds: expect.arrayContaining([expect.any(String)]) });

    // The same feed, run by hand (no 304 shortcut): every record unchanged, nothing announced.
    expect(await runNow()).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 2, ended: 0 });
    expect(await newEvents()).toEqual([]);

    // E-1 reworded, E-2 dropped from the snapshot: an update and a cancellation.
    feed.reply({ status: 200, body: csv(row("E-1", "active", "Замена затварача и цеви")) });
    expect(await runNow()).toMatchObject({ updated: 1, ended: 1 });
    expect((await newEvents()).map(({ type, id }) => ({ type, id }))).toEqual([
      { type: "outage.updated", id: first },
      { type: "outage.cancelled", id: second },
    ]);
  });
});
