/**
 * Business report change events against real Redis and the embedded store: filing an incident, an
 * event or a status appends one event with the business and the district the report lies in; other
 * kinds, and refused reports, append nothing.
 */
import "reflect-metadata";
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
import { openBusinessRepositories, type BusinessRepositories } from "../repositories.js";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { BusinessOperatingStatus, BusinessReportKind, IncidentSeverity } from "./report.model.js";

const HOUR = 3_600_000;
const clock = new Date("2026-11-25T08:00:00Z");
const prefix = `report-events-test-${randomUUID()}`;
const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_PREFIX: prefix }, { warn: () => {} });
const logger = createLogger(config, "report-events-test");
const databaseName = `business_test_${randomUUID().slice(0, 8)}`;
const business = demoBusinesses().find((candidate) => candidate.districtId === "centar")!;
const suburban = demoBusinesses().find((candidate) => candidate.districtId === "jasika")!;

let mongo: MongoConnection;
let redis: Redis;
let events: ChangeEventPublisher;
let repositories: BusinessRepositories;
let cursor = "0-0";

beforeAll(async () => {
  mongo = await connectMongo(config, { logger });
  redis = createRedisConnection(config, { name: "report-events-test" });
  events = createChangeEventPublisher({ config, logger });
  repositories = openBusinessRepositories(mongo, { databaseName, now: () => clock, events });
  await repositories.reports.ensureIndexes();
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

const until = (hours: number) => new Date(clock.getTime() + hours * HOUR);

describe("business report change events", () => {
  it("announces incidents, events and statuses with the business and its district, and nothing else", async () => {
    const incident = await repositories.reports.file(
      business,
      { kind: BusinessReportKind.INCIDENT, validUntil: until(4), incident: { kind: "flooding", severity: IncidentSeverity.HIGH, description: "Water in the basement" } },
      "test",
    );
    const hosted = await repositories.reports.file(
      suburban,
      {
        kind: BusinessReportKind.EVENT,
        validUntil: until(8),
        event: { title: "Fair", startsAt: until(1), endsAt: until(6), expectedAttendance: 300 },
      },
      "test",
    );
    const status = await repositories.reports.file(business, { kind: BusinessReportKind.STATUS, status: BusinessOperatingStatus.CLOSED, validUntil: until(2) }, "test");
    expect((await newEvents()).map(({ type, id, districtIds, businessId, providerId, departmentId }) => ({ type, id, districtIds, businessId, providerId, departmentId }))).toEqual([
      { type: "business.incident", id: incident.id, districtIds: ["centar"], businessId: business.id, providerId: undefined, departmentId: undefined },
      { type: "business.event", id: hosted.id, districtIds: ["jasika"], businessId: suburban.id, providerId: undefined, departmentId: undefined },
      { type: "business.status-changed", id: status.id, districtIds: ["centar"], businessId: business.id, providerId: undefined, departmentId: undefined },
    ]);

    // Occupancy is read when shown, not announced; a refused report is not written, so not announced either.
    await repositories.reports.file(business, { kind: BusinessReportKind.OCCUPANCY, capacity: 40, occupancy: 12, validUntil: until(1) }, "test");
    await expect(
      repositories.reports.file(business, { kind: BusinessReportKind.STATUS, status: BusinessOperatingStatus.OPEN, validUntil: until(-1) }, "test"),
    ).rejects.toMatchObject({ field: "validUntil" });
    expect(await newEvents()).toEqual([]);
  });

  it("places an incident by where it is reported, not where the business stands", async () => {
    const outside = { id: business.id, location: { type: "Point" as const, coordinates: [20.0, 44.0] as [number, number] } };
    const report = await repositories.reports.file(
      outside,
      { kind: BusinessReportKind.INCIDENT, validUntil: until(1), incident: { kind: "power", severity: IncidentSeverity.LOW, description: "Flickering lights" } },
      "test",
    );
    // Outside every district of the city: no district, still the business's event.
    expect(await newEvents()).toMatchObject([{ type: "business.incident", id: report.id, districtIds: [], businessId: business.id }]);
  });
});
