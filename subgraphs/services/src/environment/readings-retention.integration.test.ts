/**
 * Retention: the TTL index on `readings.at` removes readings older than READINGS_RETENTION_DAYS. The
 * embedded store (like mongod) runs its TTL monitor once a minute, so this test waits for one pass;
 * it has a file of its own so that the wait overlaps the other files' tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import { openEnvironmentRepositories } from "./environment.repositories.js";

const DAY = 86_400_000;

describe("readings retention", () => {
  let stack: ServicesTestStack;
  beforeAll(async () => {
    // The TTL monitor compares with the real clock, so this stack runs on it too.
    stack = await startServicesTestStack({ now: () => new Date() });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("creates the TTL index from the configured retention, re-creates it when that changes, and keeps it for a process without one", async () => {
    const db = stack.mongo.client.db(stack.databaseName);
    const ttl = async () => (await db.collection("readings").indexes()).find((index) => index.name === "readings_retention");
    expect(await ttl()).toMatchObject({ key: { at: 1 }, expireAfterSeconds: 400 * 86_400 });
    await openEnvironmentRepositories(db, { retentionDays: 30 }).ensureIndexes();
    expect(await ttl()).toMatchObject({ key: { at: 1 }, expireAfterSeconds: 30 * 86_400 });
    await openEnvironmentRepositories(db).ensureIndexes();
    expect(await ttl()).toMatchObject({ expireAfterSeconds: 30 * 86_400 });
    await openEnvironmentRepositories(db, { retentionDays: 400 }).ensureIndexes();
    expect(await ttl()).toMatchObject({ expireAfterSeconds: 400 * 86_400 });
  });

  it("lets the store remove readings past the retention and keeps the rest", { timeout: 150_000 }, async () => {
    const readings = stack.server.repositories.environment.readings.collection;
    const now = Date.now();
    const base = { stationId: "retention-station", parameter: EnvironmentParameter.PM10, unit: "µg/m³", source: "test", receivedAt: new Date(now) };
    // Written straight to the collection: ingest refuses readings already past the retention.
    await readings.insertMany([
      { ...base, at: new Date(now - 401 * DAY), value: 1 },
      { ...base, at: new Date(now - 500 * DAY), value: 2 },
      { ...base, at: new Date(now - 399 * DAY), value: 3 },
      { ...base, at: new Date(now - DAY), value: 4 },
    ]);
    const deadline = Date.now() + 130_000;
    while ((await readings.countDocuments({ stationId: base.stationId })) > 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const left = await readings.find({ stationId: base.stationId }).sort({ at: 1 }).toArray();
    expect(left.map((reading) => reading.value)).toEqual([3, 4]);
  });
});
