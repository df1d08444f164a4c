/**
 * Request change events against real Redis and the embedded store: intake, each transition and an
 * escalation append one event each, after the write, with the request's district and its assignee
 * as owner (the gateway decides who may receive it on those); a refused change or an import that
 * brings nothing new appends nothing.
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
import { seedDistrictsIfEmpty } from "../district/district.seed.js";
import { openCityRepositories, type CityRepositories } from "../repositories.js";
import { AssigneeKind } from "../service-catalog/service-catalog.model.js";
import { seedServiceCatalogIfEmpty } from "../service-catalog/service-catalog.seed.js";
import { centreOf, OPERATOR, point } from "../test-support/contact-center.js";
import type { ExternalRequestImport } from "./service-request.repository.js";

const HOUR = 3_600_000;
const prefix = `request-events-test-${randomUUID()}`;
const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_PREFIX: prefix }, { warn: () => {} });
const logger = createLogger(config, "request-events-test");
const databaseName = `city_test_${randomUUID().slice(0, 8)}`;

let mongo: MongoConnection;
let redis: Redis;
let events: ChangeEventPublisher;
let repositories: CityRepositories;
let cursor = "0-0";

beforeAll(async () => {
  mongo = await connectMongo(config, { logger });
  redis = createRedisConnection(config, { name: "request-events-test" });
  events = createChangeEventPublisher({ config, logger });
  repositories = openCityRepositories(mongo, { databaseName, events });
  await repositories.ensureIndexes();
  await seedDistrictsIfEmpty(repositories.districts);
  await seedServiceCatalogIfEmpty(repositories.serviceCategories);
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

const shape = (found: readonly StoredChangeEvent[]) =>
  found.map(({ type, id, districtIds, providerId, departmentId }) => ({ type, id, districtIds, providerId, departmentId }));

describe("service request change events", () => {
  it("announces intake, each transition and the escalation, owned by the assignee", async () => {
    const receivedAt = new Date(Date.UTC(2026, 0, 5, 8));
    const { request } = await repositories.serviceRequests.submit(
      { categoryCode: "water", description: "Water is leaking from the street", location: point(centreOf("centar")), channel: "web" },
      OPERATOR,
      receivedAt,
    );
    expect(shape(await newEvents())).toEqual([
      { type: "request.received", id: request._id, districtIds: ["centar"], providerId: "jkp-vodovod-krusevac", departmentId: undefined },
    ]);

    await repositories.serviceRequests.transition(request._id, "assigned", OPERATOR, {}, new Date(receivedAt.getTime() + HOUR));
    await repositories.serviceRequests.transition(request._id, "in-progress", OPERATOR, {}, new Date(receivedAt.getTime() + 2 * HOUR));
    expect((await newEvents()).map(({ type, id }) => ({ type, id }))).toEqual([
      { type: "request.status-changed", id: request._id },
      { type: "request.status-changed", id: request._id },
    ]);

    // Not allowed from in-progress: refused before anything is written, so nothing is announced.
    await expect(repositories.serviceRequests.transition(request._id, "received", OPERATOR)).rejects.toMatchObject({ field: "to" });
    // Not due yet, then due: only the escalation that happens is announced, once.
    expect(await repositories.serviceRequests.escalateIfOverdue(request._id, new Date(receivedAt.getTime() + 3 * HOUR))).toBe("not-due");
    expect(await newEvents()).toEqual([]);
    const late = new Date(receivedAt.getTime() + 25 * HOUR);
    expect(await repositories.serviceRequests.escalateIfOverdue(request._id, late)).toBe("escalated");
    expect(await repositories.serviceRequests.escalateIfOverdue(request._id, late)).toBe("already-escalated");
    expect(shape(await newEvents())).toEqual([
      { type: "request.escalated", id: request._id, districtIds: ["centar"], providerId: "jkp-vodovod-krusevac", departmentId: undefined },
    ]);

    // Reassigned to a department: announced under the new owner, so city staff now receive it.
    await repositories.serviceRequests.reassign(request._id, { kind: AssigneeKind.DEPARTMENT, id: "roads" }, OPERATOR, "not a water leak");
    expect(shape(await newEvents())).toEqual([
      { type: "request.reassigned", id: request._id, districtIds: ["centar"], providerId: undefined, departmentId: "roads" },
    ]);
  });

  it("names the department of a request routed to one, and no district for a request with an address only", async () => {
    const { request } = await repositories.serviceRequests.submit(
      { categoryCode: "administrative-information", description: "How do I register a business?", address: "Trg kosovskih junaka 1", channel: "phone" },
      OPERATOR,
      new Date(Date.UTC(2026, 0, 12, 8)),
    );
    const [event] = await newEvents();
    expect(event).toMatchObject({ type: "request.received", id: request._id, districtIds: [], departmentId: "city-administration" });
    expect(event).not.toHaveProperty("providerId");
  });

  it("an import announces what it takes in and each status step, and nothing when the same records come again", async () => {
    const source = `open311-${randomUUID()}`;
    const record: ExternalRequestImport = {
      externalId: "ext-1",
      contentHash: "hash-1",
      categoryCode: "water",
      description: "Broken hydrant near the square",
      location: point(centreOf("centar")),
      status: "resolved",
      receivedAt: new Date(Date.now() - 48 * HOUR),
    };
    expect(await repositories.serviceRequests.importExternal(source, [record], OPERATOR)).toMatchObject({ inserted: 1 });
    const found = await newEvents();
    expect(found.map((event) => event.type)).toEqual(["request.received", "request.status-changed", "request.status-changed", "request.status-changed"]);
    expect(new Set(found.map((event) => event.id)).size).toBe(1);

    expect(await repositories.serviceRequests.importExternal(source, [record], OPERATOR)).toMatchObject({ unchanged: 1 });
    expect(await newEvents()).toEqual([]);
  });
});
