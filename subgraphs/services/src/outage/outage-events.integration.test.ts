/**
 * Outage change events against real Redis and the embedded store: each write path (the provider's
 * push, its batch, the feed sync) appends one event per outage it created or changed, after the
 * write, with the outage's districts and provider; a write that changes nothing appends nothing.
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
  type Identity,
  type MongoConnection,
  type StoredChangeEvent,
} from "@situation/platform";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceKind } from "../provider/provider.model.js";
import { openServicesRepositories, type ServicesRepositories } from "../repositories.js";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
import { TEST_NOW, uniqueDatabaseName } from "../test-support/services-test-stack.js";
import { createOutage, updateOutage, upsertOutages, type PushDependencies } from "./outage-push.js";
import type { OutageInput, OutageUpdateInput } from "./outage.input.js";
import { OutageStatus } from "./outage.model.js";
import type { OutageFeedRecord } from "./outage.repository.js";

const HOUR = 3_600_000;
const WATER = "jkp-vodovod-krusevac";
const water: Identity = { subject: "key-water", roles: ["provider"], providerId: WATER };
const prefix = `outage-events-test-${randomUUID()}`;
const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_PREFIX: prefix }, { warn: () => {} });
const logger = createLogger(config, "outage-events-test");

let mongo: MongoConnection;
let redis: Redis;
let events: ChangeEventPublisher;
let repositories: ServicesRepositories;
let databaseName: string;
let push: PushDependencies;
let cursor = "0-0";

beforeAll(async () => {
  mongo = await connectMongo(config, { logger });
  redis = createRedisConnection(config, { name: "outage-events-test" });
  events = createChangeEventPublisher({ config, logger });
  databaseName = uniqueDatabaseName();
  repositories = openServicesRepositories(mongo, { databaseName, now: () => TEST_NOW, events });
  await repositories.ensureIndexes();
  await repositories.providers.upsertMany(DEMO_PROVIDERS);
  push = { identity: water, providers: repositories.providers, outages: repositories.outages, city: repositories.environment.city };
});

afterAll(async () => {
  await events?.close();
  await redis?.del(changeStreamKey(prefix));
  redis?.disconnect();
  await mongo?.db(databaseName).dropDatabase();
  await mongo?.close();
});

/** The events appended since the previous call. Writes publish before they return, so nothing is waited for. */
async function newEvents(): Promise<StoredChangeEvent[]> {
  const found = await readChangeEvents(redis, { prefix, after: cursor, count: 1_000 });
  if (found.length > 0) cursor = found.at(-1)!.streamId;
  return found;
}

const summary = (found: readonly StoredChangeEvent[]) => found.map(({ type, id }) => ({ type, id }));

function feedRecord(externalId: string, overrides: Partial<OutageFeedRecord> = {}): OutageFeedRecord {
  return {
    externalId,
    providerId: WATER,
    kind: ServiceKind.WATER,
    planned: true,
    startsAt: new Date(TEST_NOW.getTime() - HOUR),
    expectedEndAt: new Date(TEST_NOW.getTime() + 3 * HOUR),
    status: OutageStatus.ACTIVE,
    description: `Radovi ${externalId}`,
    affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3),
    ...overrides,
  };
}

function pushInput(overrides: Partial<OutageInput> = {}): OutageInput {
  return {
    providerId: WATER,
    planned: true,
    startsAt: new Date(TEST_NOW.getTime() + HOUR),
    expectedEndAt: new Date(TEST_NOW.getTime() + 5 * HOUR),
    affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3),
    description: "Замена вентила",
    ...overrides,
  } as OutageInput;
}

describe("outage change events", () => {
  it("a feed announces what it inserts and changes, nothing when it comes again unchanged, and ends what it drops", async () => {
    const source = `feed-${randomUUID()}`;
    const first = await repositories.outages.upsertFromFeed(source, [
      feedRecord("a"),
      feedRecord("b", { status: OutageStatus.ANNOUNCED, startsAt: new Date(TEST_NOW.getTime() + HOUR) }),
    ]);
    expect(first).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    const a = (await repositories.outages.findByExternalId(source, "a"))!;
    const b = (await repositories.outages.findByExternalId(source, "b"))!;
    const inserted = await newEvents();
    expect(inserted.map(({ type, id }) => ({ type, id })).sort((x, y) => x.type.localeCompare(y.type))).toEqual([
      { type: "outage.announced", id: b._id },
      { type: "outage.started", id: a._id },
    ]);
    expect(inserted[0]).toMatchObject({ districtIds: ["centar"], providerId: WATER });
    expect(inserted[0]?.at).toBeInstanceOf(Date);

    // The same feed again: nothing written, nothing announced.
    expect(await repositories.outages.upsertFromFeed(source, [feedRecord("a"), feedRecord("b", { status: OutageStatus.ANNOUNCED, startsAt: new Date(TEST_NOW.getTime() + HOUR) })])).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 2,
    });
    expect(await newEvents()).toEqual([]);

    // One resolved, one only reworded: a status event and an update.
    await repositories.outages.upsertFromFeed(source, [
      feedRecord("a", { status: OutageStatus.RESOLVED }),
      feedRecord("b", { status: OutageStatus.ANNOUNCED, startsAt: new Date(TEST_NOW.getTime() + HOUR), description: "Radovi b, produženo" }),
    ]);
    expect(summary(await newEvents()).sort((x, y) => x.type.localeCompare(y.type))).toEqual([
      { type: "outage.resolved", id: a._id },
      { type: "outage.updated", id: b._id },
    ]);

    // A full snapshot without b: the announced outage is cancelled, once.
    expect(await repositories.outages.endMissingFromFeed(source, new Set(["a"]))).toBe(1);
    expect(summary(await newEvents())).toEqual([{ type: "outage.cancelled", id: b._id }]);
    expect(await repositories.outages.endMissingFromFeed(source, new Set(["a"]))).toBe(0);
    expect(await newEvents()).toEqual([]);
  });

  it("a provider's push announces the new status, status changes, and other edits; a refused write announces nothing", async () => {
    const created = await createOutage(push, pushInput());
    expect(await newEvents()).toMatchObject([{ type: "outage.announced", id: created.id, districtIds: ["centar"], providerId: WATER }]);

    await updateOutage(push, created.id, { description: "Замена вентила и цеви" } as OutageUpdateInput);
    await updateOutage(push, created.id, { status: OutageStatus.ACTIVE } as OutageUpdateInput);
    expect(summary(await newEvents())).toEqual([
      { type: "outage.updated", id: created.id },
      { type: "outage.started", id: created.id },
    ]);

    // ACTIVE cannot go back to ANNOUNCED: refused before any write, so no event.
    await expect(updateOutage(push, created.id, { status: OutageStatus.ANNOUNCED } as OutageUpdateInput)).rejects.toMatchObject({ field: "status" });
    await expect(createOutage(push, pushInput({ description: " " }))).rejects.toMatchObject({ field: "description" });
    expect(await newEvents()).toEqual([]);

    const started = await createOutage(push, pushInput({ status: OutageStatus.ACTIVE, startsAt: new Date(TEST_NOW.getTime() - HOUR) }));
    expect(summary(await newEvents())).toEqual([{ type: "outage.started", id: started.id }]);
  });

  it("a batch announces each accepted item and none of the refused ones", async () => {
    const outcomes = await upsertOutages(push, [
      pushInput({ externalId: "batch-1" }),
      pushInput({ externalId: "batch-2", status: OutageStatus.ACTIVE, startsAt: new Date(TEST_NOW.getTime() - HOUR) }),
      pushInput({ externalId: "batch-3", providerId: "elektrodistribucija-krusevac" }),
    ]);
    expect(outcomes.map((outcome) => outcome.accepted)).toEqual([true, true, false]);
    expect(summary(await newEvents())).toEqual([
      { type: "outage.announced", id: outcomes[0]!.id },
      { type: "outage.started", id: outcomes[1]!.id },
    ]);

    // batch-1 starts, batch-2 is sent again as it is: it is rewritten (a batch item is the outage's
    // whole state), but its status stays, so it is an update.
    const again = await upsertOutages(push, [
      pushInput({ externalId: "batch-1", status: OutageStatus.ACTIVE }),
      pushInput({ externalId: "batch-2", status: OutageStatus.ACTIVE, startsAt: new Date(TEST_NOW.getTime() - HOUR) }),
    ]);
    expect(again.every((outcome) => outcome.accepted)).toBe(true);
    expect(summary(await newEvents())).toEqual([
      { type: "outage.started", id: outcomes[0]!.id },
      { type: "outage.updated", id: outcomes[1]!.id },
    ]);
  });
});
