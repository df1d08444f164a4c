/**
 * `npm start` for real: the launcher process starts the store, the three subgraphs, the gateway and
 * the worker; the district join and /health answer; Ctrl-C stops every process and the launcher exits
 * 0; started again on the same data directory, the data is all there and the demo seed did not run again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEveryStep } from "../support/cleanup.js";
import { DISTRICT_VIEW_QUERY, expectedDistrictView, type DistrictView } from "../support/district-view.js";
import { postGraphQL } from "../support/graphql.js";
import {
  descendantsOf,
  exitWithin,
  freePorts,
  isRunning,
  startLauncher,
  type LaunchedPlatform,
} from "../support/launcher-process.js";
import { deleteRedisKeys, uniqueRedisPrefix } from "../support/redis.js";

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const redisPrefix = uniqueRedisPrefix("launcher");
let dataDir: string;
// Every launcher this file started, and every process below it, so that afterAll can make sure none is left.
const launched: LaunchedPlatform[] = [];
const seenProcesses = new Set<number>();

/** What the store holds, in a form that changes if any seed writes again (upserts refresh `updatedAt`). */
interface StoreSnapshot {
  collections: Record<string, { count: number; latestUpdatedAt: Date | null }>;
}

const SEEDED_COLLECTIONS = [
  ["city", "districts"],
  ["services", "providers"],
  ["services", "outages"],
  ["business", "businesses"],
] as const;

async function snapshotOf(mongoUri: string): Promise<{ snapshot: StoreSnapshot; centar: DistrictView | null }> {
  const client = new MongoClient(mongoUri);
  try {
    await client.connect();
    const collections: StoreSnapshot["collections"] = {};
    for (const [database, collection] of SEEDED_COLLECTIONS) {
      const documents = client.db(database).collection<{ updatedAt?: Date }>(collection);
      const [count, latest] = await Promise.all([
        documents.countDocuments(),
        documents.find({}, { projection: { updatedAt: 1 } }).sort({ updatedAt: -1 }).limit(1).next(),
      ]);
      collections[`${database}.${collection}`] = { count, latestUpdatedAt: latest?.updatedAt ?? null };
    }
    return { snapshot: { collections }, centar: await expectedDistrictView(client, "centar") };
  } finally {
    await client.close();
  }
}

async function launch(): Promise<LaunchedPlatform> {
  const [gateway, city, services, business] = await freePorts(4);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the test runner's own environment says about where things are, this run picks its own.
  for (const name of ["MONGODB_URI", "OUTAGE_FEED_URL", "CITY_URL", "SERVICES_URL", "BUSINESS_URL", "SUPERGRAPH_PATH", "HOST"]) delete env[name];
  Object.assign(env, {
    GATEWAY_PORT: String(gateway),
    CITY_PORT: String(city),
    SERVICES_PORT: String(services),
    BUSINESS_PORT: String(business),
    MONGO_PORT: "0",
    MONGO_DATA_DIR: dataDir,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: "warn",
  });
  const platform = await startLauncher(env, START_TIMEOUT_MS);
  launched.push(platform);
  return platform;
}

/** Ctrl-C, as a user stops `npm start`; returns the processes that were running below the launcher. */
async function stopWithCtrlC(platform: LaunchedPlatform): Promise<{ code: number | NodeJS.Signals | null; children: number[] }> {
  const children = descendantsOf(platform.pid);
  for (const pid of children) seenProcesses.add(pid);
  platform.child.kill("SIGINT");
  const code = await exitWithin(platform, STOP_TIMEOUT_MS);
  return { code, children };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "situation-e2e-launcher-"));
});

afterAll(async () => {
  await runEveryStep([
    // Only if a test failed half-way: stop what this file started, by pid.
    async () => {
      for (const platform of launched) {
        if (platform.child.exitCode !== null || platform.child.signalCode !== null) continue;
        for (const pid of descendantsOf(platform.pid)) seenProcesses.add(pid);
        platform.child.kill("SIGINT");
        await exitWithin(platform, STOP_TIMEOUT_MS).catch(() => platform.child.kill("SIGKILL"));
      }
      for (const pid of seenProcesses) if (isRunning(pid)) process.kill(pid, "SIGKILL");
    },
    () => rm(dataDir, { recursive: true, force: true }),
    () => deleteRedisKeys(REDIS_URL, redisPrefix),
  ]);
});

describe.sequential("npm start (packages/launcher/dist/main.js)", () => {
  let firstRun: { snapshot: StoreSnapshot; centar: DistrictView | null; answer: DistrictView } | undefined;

  it("serves the district join and a healthy /health, then stops every process and exits 0 on Ctrl-C", async () => {
    const platform = await launch();

    const answer = await postGraphQL<{ district: DistrictView }>(platform.gatewayUrl, { query: DISTRICT_VIEW_QUERY, variables: { id: "centar" } });
    expect(answer.errors).toBeUndefined();
    const { snapshot, centar } = await snapshotOf(platform.mongoUri);
    expect(answer.data?.district).toEqual(centar);
    expect(centar?.activeOutages.length).toBeGreaterThan(0);
    expect(centar?.businesses.totalCount).toBeGreaterThan(0);
    // The comparison after the restart means something only if every seeded collection has data and timestamps.
    for (const [name, collection] of Object.entries(snapshot.collections)) {
      expect(collection.count, name).toBeGreaterThan(0);
      expect(collection.latestUpdatedAt, name).toBeInstanceOf(Date);
    }

    const health = await fetch(platform.healthUrl);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", gateway: "ok", subgraphs: { city: "ok", services: "ok", business: "ok" } });

    const { code, children } = await stopWithCtrlC(platform);
    expect(code).toBe(0);
    // Three subgraphs, the gateway and the worker, each its own process.
    expect(children.length).toBeGreaterThanOrEqual(5);
    expect(children.filter(isRunning)).toEqual([]);
    firstRun = { snapshot, centar, answer: answer.data!.district };
  });

  it("starts again on the same data directory with the data intact, without seeding again", async () => {
    expect(firstRun, "the first run must have passed").toBeDefined();
    const platform = await launch();

    const answer = await postGraphQL<{ district: DistrictView }>(platform.gatewayUrl, { query: DISTRICT_VIEW_QUERY, variables: { id: "centar" } });
    expect(answer.errors).toBeUndefined();
    const { snapshot, centar } = await snapshotOf(platform.mongoUri);
    expect(answer.data?.district).toEqual(centar);
    expect(answer.data?.district.businesses.totalCount).toBe(firstRun!.answer.businesses.totalCount);
    expect(answer.data?.district).toEqual(firstRun!.answer);
    // Same counts and not one `updatedAt` newer: no seed wrote anything on this start.
    expect(snapshot).toEqual(firstRun!.snapshot);

    const { code, children } = await stopWithCtrlC(platform);
    expect(code).toBe(0);
    expect(children.filter(isRunning)).toEqual([]);
  });
});
