/**
 * Environment alert events against real Redis and the embedded store: an ingest that raises or
 * clears an alert appends `alert.raised`/`alert.cleared` with the alert's district and its station's
 * provider; readings that raise nothing, or come again unchanged, append nothing.
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
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServicesRepositories, type ServicesRepositories } from "../repositories.js";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE } from "../seed/demo-data.js";
import { TEST_NOW, uniqueDatabaseName } from "../test-support/services-test-stack.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import type { IngestReading } from "./reading.repository.js";
import type { StationDocument } from "./station.model.js";

const HOUR = 3_600_000;
const OWN = "jkp-vodovod-krusevac";
const prefix = `alert-events-test-${randomUUID()}`;
const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_PREFIX: prefix }, { warn: () => {} });
const logger = createLogger(config, "alert-events-test");

let mongo: MongoConnection;
let redis: Redis;
let events: ChangeEventPublisher;
let repositories: ServicesRepositories;
let databaseName: string;
let now = TEST_NOW;
let cursor = "0-0";

beforeAll(async () => {
  mongo = await connectMongo(config, { logger });
  redis = createRedisConnection(config, { name: "alert-events-test" });
  events = createChangeEventPublisher({ config, logger });
  databaseName = uniqueDatabaseName();
  repositories = openServicesRepositories(mongo, { databaseName, now: () => now, events });
  await repositories.ensureIndexes();
  await repositories.providers.upsertMany(DEMO_PROVIDERS);
});

afterAll(async () => {
  await events?.close();
  await redis?.del(changeStreamKey(prefix));
  redis?.disconnect();
  await mongo?.db(databaseName).dropDatabase();
  await mongo?.close();
});

async function newEvents(): Promise<StoredChangeEvent[]> {
  const found = await readChangeEvents(redis, { prefix, after: cursor, count: 1_000 });
  if (found.length > 0) cursor = found.at(-1)!.streamId;
  return found;
}

async function station(id: string, providerId: string | null): Promise<StationDocument> {
  const document: StationDocument = {
    _id: id,
    providerId,
    name: id,
    location: { type: "Point", coordinates: [KRUSEVAC_CENTRE.longitude, KRUSEVAC_CENTRE.latitude] },
    districtId: "centar",
    parameters: [EnvironmentParameter.PM10],
    active: true,
    externalId: null,
    createdAt: TEST_NOW,
    updatedAt: TEST_NOW,
  };
  await repositories.environment.stations.insert(document);
  return document;
}

const ingest = (readings: IngestReading[]) => repositories.environment.readings.ingestReadings(readings, { source: "test-feed" });

describe("environment alert change events", () => {
  it("announces an alert raised and cleared, with its district and the station's provider, and nothing in between", async () => {
    const own = await station(`station-${randomUUID()}`, OWN);
    const city = await station(`station-${randomUUID()}`, null);
    const low = await ingest([{ stationId: own._id, parameter: "PM10", at: new Date(TEST_NOW.getTime() - 3 * HOUR), value: 20 }]);
    expect(low.alertsRaised).toEqual([]);
    expect(await newEvents()).toEqual([]);

    // PM10's daily mean above 50 at both stations.
    const high = [
      { stationId: own._id, parameter: "PM10", at: new Date(TEST_NOW.getTime() - 2 * HOUR), value: 150 },
      { stationId: city._id, parameter: "PM10", at: new Date(TEST_NOW.getTime() - 2 * HOUR), value: 90 },
    ];
    const raised = await ingest(high);
    expect(raised.alertsRaised).toHaveLength(2);
    const byStation = new Map(raised.alertsRaised.map((alert) => [alert.stationId, alert.id]));
    const found = await newEvents();
    expect(found.map(({ type, id, districtIds, providerId }) => ({ type, id, districtIds, providerId }))).toEqual(
      expect.arrayContaining([
        { type: "alert.raised", id: byStation.get(own._id), districtIds: ["centar"], providerId: OWN },
        { type: "alert.raised", id: byStation.get(city._id), districtIds: ["centar"], providerId: undefined },
      ]),
    );
    expect(found).toHaveLength(2);
    expect(found.find((event) => event.id === byStation.get(city._id))).not.toHaveProperty("providerId");

    // Sent again: nothing written, the alerts stay open, nothing announced.
    expect(await ingest(high)).toMatchObject({ unchanged: 2, alertsRaised: [], alertsCleared: [] });
    expect(await newEvents()).toEqual([]);

    // The next Belgrade day starts low at the provider's station: its alert clears.
    now = new Date("2025-03-11T06:00:00Z");
    const cleared = await ingest([{ stationId: own._id, parameter: "PM10", at: new Date("2025-03-11T05:00:00Z"), value: 10 }]);
    expect(cleared.alertsCleared).toHaveLength(1);
    expect(await newEvents()).toMatchObject([{ type: "alert.cleared", id: byStation.get(own._id), districtIds: ["centar"], providerId: OWN }]);
  });
});
