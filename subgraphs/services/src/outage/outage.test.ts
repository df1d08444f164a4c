import { createLogger, connectMongo, type Identity, type MongoConnection } from "@situation/platform";
import { MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
import { ServiceKind } from "../provider/provider.model.js";
import {
  TEST_NOW,
  startServicesTestStack,
  testConfig,
  uniqueDatabaseName,
  type ServicesTestStack,
} from "../test-support/services-test-stack.js";
import { ESTIMATE_VERSION } from "./city-area.js";
import { OutageStatus } from "./outage.model.js";
import { OutageRepository, type OutageFeedRecord } from "./outage.repository.js";

const HOUR = 3_600_000;

function feedRecord(externalId: string, overrides: Partial<OutageFeedRecord> = {}): OutageFeedRecord {
  return {
    externalId,
    providerId: "jkp-vodovod-krusevac",
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

/** A district-sized square around a point, as the city subgraph would send its boundary. */
function square(centre: { longitude: number; latitude: number }, halfSideDegrees: number) {
  const { longitude: x, latitude: y } = centre;
  const d = halfSideDegrees;
  return {
    type: "MultiPolygon" as const,
    coordinates: [[[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]],
  };
}

describe("OutageRepository", () => {
  let mongo: MongoConnection;
  // A second client on the same server with command monitoring, to count the writes that really happen.
  let monitoredClient: MongoClient;
  const writeCommands: string[] = [];
  let db: Db;
  let repository: OutageRepository;
  let now = TEST_NOW;

  beforeAll(async () => {
    const config = testConfig();
    mongo = await connectMongo(config, { logger: createLogger(config, "outage-test") });
    monitoredClient = new MongoClient(mongo.uri, { monitorCommands: true });
    monitoredClient.on("commandStarted", (event) => {
      if (["insert", "update", "delete", "findAndModify"].includes(event.commandName)) writeCommands.push(event.commandName);
    });
    await monitoredClient.connect();
  });

  afterAll(async () => {
    await monitoredClient?.close();
    await mongo?.close();
  });

  beforeEach(async () => {
    db = monitoredClient.db(uniqueDatabaseName());
    now = TEST_NOW;
    repository = new OutageRepository(db, () => now);
    await repository.ensureIndexes();
    writeCommands.length = 0;
    return async () => {
      await db.dropDatabase();
    };
  });

  describe("upsertFromFeed", () => {
    it("stores each outage once, with provenance and a content hash", async () => {
      const result = await repository.upsertFromFeed("csv:feed.example/outages.csv", [feedRecord("a"), feedRecord("b")]);
      expect(result).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      const stored = await repository.collection.find({}).sort({ externalId: 1 }).toArray();
      expect(stored).toHaveLength(2);
      expect(stored[0]).toMatchObject({
        source: "csv:feed.example/outages.csv",
        externalId: "a",
        fetchedAt: TEST_NOW,
        updatedAt: TEST_NOW,
        createdAt: TEST_NOW,
        affectedArea: { type: "MultiPolygon" },
      });
      expect(stored[0]?.contentHash).toMatch(/^[0-9a-f]{64}$/);
      // Estimated from the city's districts, outside the content hash.
      expect(stored[0]?.estimatedPeopleAffected).toBeGreaterThan(0);
      expect(stored[0]?.affectedDistricts?.[0]?.districtId).toBe("centar");
      expect(typeof stored[0]?._id).toBe("string");
    });

    it("writes nothing when the same feed comes again", async () => {
      const records = [feedRecord("a"), feedRecord("b"), feedRecord("c")];
      await repository.upsertFromFeed("feed", records);
      const before = await repository.collection.find({}).sort({ externalId: 1 }).toArray();
      writeCommands.length = 0;

      now = new Date(TEST_NOW.getTime() + HOUR);
      const second = await repository.upsertFromFeed("feed", records.map((record) => ({ ...record })));

      expect(second).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
      expect(writeCommands).toEqual([]);
      const after = await repository.collection.find({}).sort({ externalId: 1 }).toArray();
      expect(after).toEqual(before);
      expect(after.map((document) => document.updatedAt)).toEqual([TEST_NOW, TEST_NOW, TEST_NOW]);
    });

    it("treats whitespace-only differences as the same content", async () => {
      await repository.upsertFromFeed("feed", [feedRecord("a", { description: "Radovi  na mreži" })]);
      const second = await repository.upsertFromFeed("feed", [feedRecord("a", { description: " Radovi na mreži " })]);
      expect(second).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    });

    it("updates only the outages whose content changed", async () => {
      await repository.upsertFromFeed("feed", [feedRecord("a"), feedRecord("b")]);
      now = new Date(TEST_NOW.getTime() + HOUR);
      const result = await repository.upsertFromFeed("feed", [
        feedRecord("a", { status: OutageStatus.RESOLVED }),
        feedRecord("b"),
        feedRecord("c"),
      ]);
      expect(result).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
      const a = await repository.collection.findOne({ externalId: "a" });
      const b = await repository.collection.findOne({ externalId: "b" });
      expect(a).toMatchObject({ status: "resolved", updatedAt: now, createdAt: TEST_NOW });
      expect(b?.updatedAt).toEqual(TEST_NOW);
      expect(await repository.count({ source: "feed" })).toBe(3);
    });

    it("keeps the same external id from two feeds apart", async () => {
      await repository.upsertFromFeed("feed-1", [feedRecord("a")]);
      await repository.upsertFromFeed("feed-2", [feedRecord("a")]);
      expect(await repository.count()).toBe(2);
    });

    it("stores an outage once when two imports of it race", async () => {
      const other = new OutageRepository(db, () => now);
      const records = Array.from({ length: 20 }, (_, index) => feedRecord(`race-${index}`));
      const results = await Promise.all([repository.upsertFromFeed("feed", records), other.upsertFromFeed("feed", records)]);
      expect(await repository.count({ source: "feed" })).toBe(20);
      const inserted = results.reduce((sum, result) => sum + result.inserted, 0);
      expect(inserted).toBe(20);
      for (const result of results) expect(result.inserted + result.updated + result.unchanged).toBe(20);
    });

    it("takes the last version when a feed lists an outage twice", async () => {
      const result = await repository.upsertFromFeed("feed", [feedRecord("a"), feedRecord("a", { description: "later" })]);
      expect(result).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect((await repository.collection.findOne({ externalId: "a" }))?.description).toBe("later");
    });

    it("refuses a record it cannot store, naming the field", async () => {
      await expect(
        repository.upsertFromFeed("feed", [feedRecord("a", { affectedArea: { type: "Polygon", coordinates: [[[21, 43]]] } })]),
      ).rejects.toMatchObject({ name: "InvalidOutageRecordError", field: "affectedArea" });
      await expect(
        repository.upsertFromFeed("feed", [feedRecord("a", { expectedEndAt: new Date(TEST_NOW.getTime() - 5 * HOUR) })]),
      ).rejects.toMatchObject({ field: "expectedEndAt" });
    });
  });

  describe("backfillEstimates", () => {
    it("stores the estimates on outages written before they existed, once", async () => {
      await repository.upsertFromFeed("feed", [feedRecord("old")]);
      await repository.collection.updateMany(
        {},
        { $unset: { estimatedPeopleAffected: "", estimatedHouseholdsAffected: "", affectedDistricts: "", estimateVersion: "" } },
      );
      expect(await repository.backfillEstimates()).toBe(1);
      const stored = await repository.collection.findOne({ externalId: "old" });
      expect(stored?.estimatedPeopleAffected).toBeGreaterThan(0);
      expect(stored?.affectedDistricts?.[0]?.districtId).toBe("centar");
      expect(await repository.backfillEstimates()).toBe(0);
    });

    it("re-estimates outages stored under an older rule, and leaves current ones alone", async () => {
      await repository.upsertFromFeed("feed", [feedRecord("older-rule")]);
      const current = await repository.collection.findOne({ externalId: "older-rule" });
      expect(current?.estimateVersion).toBe(ESTIMATE_VERSION);
      await repository.collection.updateOne(
        { externalId: "older-rule" },
        { $set: { affectedDistricts: [], estimatedPeopleAffected: 0 }, $unset: { estimateVersion: "" } },
      );
      expect(await repository.backfillEstimates()).toBe(1);
      const restored = await repository.collection.findOne({ externalId: "older-rule" });
      expect(restored?.affectedDistricts).toEqual(current?.affectedDistricts);
      expect(restored?.estimatedPeopleAffected).toBe(current?.estimatedPeopleAffected);
      expect(await repository.backfillEstimates()).toBe(0);
    });
  });

  describe("findActiveIntersecting", () => {
    it("finds announced and currently active outages whose area meets the boundary", async () => {
      const centre = KRUSEVAC_CENTRE;
      const far = { longitude: centre.longitude + 0.05, latitude: centre.latitude };
      await repository.upsertFromFeed("feed", [
        feedRecord("active-inside"),
        feedRecord("announced-inside", {
          status: OutageStatus.ANNOUNCED,
          startsAt: new Date(TEST_NOW.getTime() + 24 * HOUR),
          expectedEndAt: new Date(TEST_NOW.getTime() + 30 * HOUR),
        }),
        feedRecord("active-open-ended", { expectedEndAt: null }),
        feedRecord("active-outside", { affectedArea: hexagon(far, 0.3) }),
        feedRecord("resolved-inside", { status: OutageStatus.RESOLVED }),
        feedRecord("cancelled-inside", { status: OutageStatus.CANCELLED }),
        feedRecord("active-but-over", {
          startsAt: new Date(TEST_NOW.getTime() - 5 * HOUR),
          expectedEndAt: new Date(TEST_NOW.getTime() - HOUR),
        }),
        feedRecord("active-not-yet-started", {
          startsAt: new Date(TEST_NOW.getTime() + HOUR),
          expectedEndAt: new Date(TEST_NOW.getTime() + 2 * HOUR),
        }),
      ]);
      const found = await repository.findActiveIntersecting(square(centre, 0.01));
      expect(found.map((outage) => outage.externalId).sort()).toEqual(["active-inside", "active-open-ended", "announced-inside"]);
    });
  });

  describe("findPage", () => {
    it("pages through every outage once, newest start first, filtered by status", async () => {
      const records = Array.from({ length: 7 }, (_, index) =>
        feedRecord(`p${index}`, {
          // Two share a start, so the id must break the tie.
          startsAt: new Date(TEST_NOW.getTime() - Math.min(index, 5) * HOUR),
          expectedEndAt: new Date(TEST_NOW.getTime() + 10 * HOUR),
          status: index % 2 === 0 ? OutageStatus.ACTIVE : OutageStatus.RESOLVED,
        }),
      );
      await repository.upsertFromFeed("feed", records);

      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page = await repository.findPage({ first: 3, after });
        pages += 1;
        expect(page.totalCount).toBe(7);
        seen.push(...page.outages.map((outage) => outage.externalId as string));
        if (!page.hasNextPage) break;
        after = page.cursors.at(-1) ?? null;
      }
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(7);
      const starts = await Promise.all(seen.map(async (id) => (await repository.collection.findOne({ externalId: id }))!.startsAt.getTime()));
      expect(starts).toEqual([...starts].sort((left, right) => right - left));

      const active = await repository.findPage({ first: 10, status: OutageStatus.ACTIVE });
      expect(active.totalCount).toBe(4);
      expect(active.outages.every((outage) => outage.status === OutageStatus.ACTIVE)).toBe(true);
    });

    it("rejects a cursor it did not make", async () => {
      await expect(repository.findPage({ first: 3, after: "not-a-cursor" })).rejects.toMatchObject({ name: "InvalidCursorError" });
    });
  });
});

describe("outage queries over the subgraph's HTTP server", () => {
  let stack: ServicesTestStack;
  const operator: Identity = { subject: "operator-1", roles: ["operator"] };

  beforeAll(async () => {
    stack = await startServicesTestStack();
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
    await stack.server.repositories.outages.upsertFromFeed(
      "csv:feed.example/outages.csv",
      Array.from({ length: 5 }, (_, index) =>
        feedRecord(`q${index}`, {
          startsAt: new Date(TEST_NOW.getTime() - index * HOUR),
          status: index < 3 ? OutageStatus.ACTIVE : OutageStatus.RESOLVED,
        }),
      ),
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  const PAGE = `query ($status: OutageStatus, $first: Int, $after: String) {
    outages(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id status description provider { id name } } }
    }
  }`;

  it("pages through outages by cursor", async () => {
    const first = await stack.query(PAGE, { first: 2 });
    expect(first.body.errors).toBeUndefined();
    const firstPage = first.body.data?.outages as {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      edges: { node: { id: string; provider: { id: string } } }[];
    };
    expect(firstPage.totalCount).toBe(5);
    expect(firstPage.edges).toHaveLength(2);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    expect(firstPage.edges[0]?.node.provider.id).toBe("jkp-vodovod-krusevac");

    const rest = await stack.query(PAGE, { first: 10, after: firstPage.pageInfo.endCursor });
    const restPage = rest.body.data?.outages as typeof firstPage;
    expect(restPage.edges).toHaveLength(3);
    expect(restPage.pageInfo.hasNextPage).toBe(false);
    const ids = [...firstPage.edges, ...restPage.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(5);

    const resolved = await stack.query(PAGE, { status: "RESOLVED" });
    expect((resolved.body.data?.outages as typeof firstPage).totalCount).toBe(2);
  });

  it("finds one outage by id", async () => {
    const page = await stack.query(PAGE, { first: 1 });
    const id = (page.body.data?.outages as { edges: { node: { id: string } }[] }).edges[0]?.node.id;
    const response = await stack.query("query ($id: ID!) { outage(id: $id) { id kind affectedArea { type coordinates } } }", { id });
    expect(response.body.data?.outage).toMatchObject({ id, kind: "WATER", affectedArea: { type: "MultiPolygon" } });
  });

  it("reports a bad page size or cursor as bad input naming the field", async () => {
    const tooMany = await stack.query(PAGE, { first: 1000 });
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    const badCursor = await stack.query(PAGE, { after: "garbage" });
    expect(badCursor.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  it("shows the feed provenance to operators only", async () => {
    const query = "{ outages(first: 1) { nodes { id source externalId } } }";
    const anonymous = await stack.query(query);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((anonymous.body.data?.outages as { nodes: { source: string | null }[] }).nodes[0]?.source).toBeNull();

    const asOperator = await stack.query(query, {}, operator);
    expect(asOperator.body.errors).toBeUndefined();
    expect((asOperator.body.data?.outages as { nodes: { source: string }[] }).nodes[0]).toMatchObject({
      source: "csv:feed.example/outages.csv",
      externalId: "q0",
    });
  });
});
