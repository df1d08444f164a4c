/**
 * A sync worker on real Redis and the embedded store, with databases and a key prefix of its own,
 * for the connectors' integration tests: it counts the write commands that reach each database, so
 * a test can show that an unchanged feed writes nothing.
 */
import { SyncTrigger, type SyncSourceInput } from "@situation/city-subgraph";
import { connectMongo, createLogger, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { MongoClient } from "mongodb";
import { randomUUID } from "node:crypto";
import type { SyncRunResult } from "../sync/run-sync.js";
import { createSyncWorker, type SyncWorker, type SyncWorkerOptions } from "../sync/sync-worker.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "./redis-prefix.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const WRITE_COMMANDS = ["insert", "update", "delete", "findAndModify"];

export interface ConnectorHarness {
  worker: SyncWorker;
  monitoredClient: MongoClient;
  databases: { city: string; services: string; business: string };
  /** Write commands (`<command>:<collection>`) sent to each database since the last `resetWrites`. */
  writes: Record<"city" | "services" | "business", string[]>;
  resetWrites(): void;
  createSource(input: Omit<SyncSourceInput, "schedule" | "maxAgeMs" | "name"> & Partial<SyncSourceInput>): Promise<void>;
  runNow(sourceId: string, timeoutMs?: number): Promise<SyncRunResult>;
  runScheduled(sourceId: string): Promise<SyncRunResult>;
  backfill(sourceId: string, from: Date, to: Date): Promise<SyncRunResult>;
  close(): Promise<void>;
}

/** `mongoUri`: a store of another process (memory tests keep the store's own data out of this heap); default the embedded one in-process. */
export async function startConnectorHarness(options: Partial<SyncWorkerOptions> & { mongoUri?: string } = {}): Promise<ConnectorHarness> {
  const { mongoUri, ...workerOptions } = options;
  const config: PlatformConfig = loadConfig(
    { NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix(), ...(mongoUri ? { MONGODB_URI: mongoUri } : {}) },
    { warn: () => {} },
  );
  const mongo: MongoConnection = await connectMongo(config, { logger: createLogger(config, "connector-test") });
  const suffix = randomUUID().replaceAll("-", "").slice(0, 12);
  const databases = { city: `workers_city_${suffix}`, services: `workers_services_${suffix}`, business: `workers_business_${suffix}` };
  const writes: ConnectorHarness["writes"] = { city: [], services: [], business: [] };
  const monitoredClient = new MongoClient(mongo.uri, { monitorCommands: true });
  monitoredClient.on("commandStarted", (event) => {
    if (!WRITE_COMMANDS.includes(event.commandName)) return;
    for (const name of ["city", "services", "business"] as const) {
      if (event.databaseName === databases[name]) writes[name].push(`${event.commandName}:${String(event.command[event.commandName])}`);
    }
  });
  await monitoredClient.connect();
  const worker = createSyncWorker({
    config,
    mongo: { db: (name) => monitoredClient.db(name) },
    logger: createLogger(config, "connector-test"),
    databaseNames: databases,
    attempts: 1,
    backoffDelayMs: 100,
    lockRetryDelayMs: 200,
    hostIntervalMs: 0,
    ...workerOptions,
  });
  await worker.start();

  async function finished(jobId: string, timeoutMs = 120_000): Promise<SyncRunResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await worker.queue.getJob(jobId);
      const state = await job?.getState();
      if (state === "completed") return (await worker.queue.getJob(jobId))!.returnvalue as SyncRunResult;
      if (state === "failed") throw new Error(job?.failedReason);
      if (Date.now() > deadline) throw new Error(`job ${jobId} was still ${state} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  let closed = false;
  return {
    worker,
    monitoredClient,
    databases,
    writes,
    resetWrites() {
      for (const list of Object.values(writes)) list.length = 0;
    },
    async createSource(input) {
      await worker.city.syncSources.create(
        // A schedule far apart, so that only the runs a test queues happen.
        { name: input.id, schedule: { pattern: "0 3 1 1 *" }, maxAgeMs: 3_600_000, ...input },
        "test",
      );
    },
    runNow: async (sourceId, timeoutMs) => finished((await worker.runNow(sourceId)).id as string, timeoutMs),
    runScheduled: async (sourceId) => finished(await worker.scheduler.enqueue({ sourceId, trigger: SyncTrigger.SCHEDULED })),
    backfill: async (sourceId, from, to) =>
      finished(await worker.scheduler.enqueue({ sourceId, trigger: SyncTrigger.BACKFILL, from: from.toISOString(), to: to.toISOString() })),
    async close() {
      if (closed) return;
      closed = true;
      await worker.close();
      await deleteRedisKeys(REDIS_URL, config.redisPrefix);
      for (const name of Object.values(databases)) await monitoredClient.db(name).dropDatabase();
      await monitoredClient.close();
      await mongo.close();
    },
  };
}
