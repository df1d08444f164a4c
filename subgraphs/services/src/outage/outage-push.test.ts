import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
import { OutageStatus } from "./outage.model.js";
import { TEST_NOW, startServicesTestStack, type GraphQLResponse, type ServicesTestStack } from "../test-support/services-test-stack.js";

const HOUR = 3_600_000;
const WATER = "jkp-vodovod-krusevac";
const ELECTRICITY = "elektrodistribucija-krusevac";
const operator: Identity = { subject: "operator-1", roles: ["operator"] };
const water: Identity = { subject: "key-water", roles: ["provider"], providerId: WATER };
const electricity: Identity = { subject: "key-electricity", roles: ["provider"], providerId: ELECTRICITY };

const OUTAGE_FIELDS = `id kind status planned startsAt expectedEndAt endedAt description streets
  estimatedPeopleAffected estimatedHouseholdsAffected affectedDistricts { districtId people }
  updates { at status note } provider { id }`;
const CREATE = `mutation ($input: OutageInput!) { createOutage(input: $input) { ${OUTAGE_FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { ${OUTAGE_FIELDS} } }`;
const UPSERT = `mutation ($items: [OutageInput!]!) {
  upsertOutages(items: $items) { acceptedCount rejectedCount items { index id accepted errors { field message } } }
}`;

// Centar in the city subgraph's seed: 21.3236…21.3436 E, 43.573…43.587 N, 14,000 people.
const CENTAR = {
  type: "Polygon",
  coordinates: [[[21.3236, 43.573], [21.3436, 43.573], [21.3436, 43.587], [21.3236, 43.587], [21.3236, 43.573]]],
};
const BOWTIE = {
  type: "Polygon",
  coordinates: [[[21.33, 43.57], [21.34, 43.58], [21.34, 43.57], [21.33, 43.58], [21.33, 43.57]]],
};
const OUTSIDE = hexagon({ longitude: 20.46, latitude: 44.81 }, 0.5);

function outageInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providerId: WATER,
    planned: true,
    startsAt: new Date(TEST_NOW.getTime() + HOUR).toISOString(),
    expectedEndAt: new Date(TEST_NOW.getTime() + 5 * HOUR).toISOString(),
    affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3),
    streets: ["Видовданска", " Косовска "],
    description: "Замена вентила",
    ...overrides,
  };
}

interface OutageResult {
  id: string;
  status: string;
  endedAt: string | null;
  estimatedPeopleAffected: number;
  estimatedHouseholdsAffected: number;
  affectedDistricts: { districtId: string; people: number }[];
  updates: { at: string; status: string; note: string | null }[];
  streets: string[];
  provider: { id: string };
  kind: string;
}

function errorOf(response: GraphQLResponse): Record<string, unknown> | undefined {
  return response.body.errors?.[0]?.extensions;
}

describe("providers pushing outages over the subgraph's HTTP server", () => {
  let stack: ServicesTestStack;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const count = () => stack.server.repositories.outages.count();

  async function create(input: Record<string, unknown>, identity: Identity = water): Promise<OutageResult> {
    const response = await stack.query(CREATE, { input }, identity);
    expect(response.body.errors).toBeUndefined();
    return response.body.data?.createOutage as OutageResult;
  }

  describe("createOutage", () => {
    it("creates a provider's own outage, announced, with a timeline and the people it affects", async () => {
      const outage = await create(outageInput({ note: "најављено" }));
      expect(outage).toMatchObject({
        kind: "WATER",
        status: "ANNOUNCED",
        endedAt: null,
        streets: ["Видовданска", "Косовска"],
        provider: { id: WATER },
        updates: [{ at: TEST_NOW.toISOString(), status: "ANNOUNCED", note: "најављено" }],
      });
      // A hexagon of 0.3 km radius in the middle of Centar: about 0.23 km² of its 2.5 km².
      expect(outage.estimatedPeopleAffected).toBeGreaterThan(800);
      expect(outage.estimatedPeopleAffected).toBeLessThan(2_000);
      expect(outage.affectedDistricts.map((district) => district.districtId)).toEqual(["centar"]);
      expect(outage.estimatedHouseholdsAffected).toBeLessThan(outage.estimatedPeopleAffected);
    });

    it("estimates a whole district's population for an outage covering it", async () => {
      const outage = await create(outageInput({ affectedArea: CENTAR, providerId: ELECTRICITY, status: "ACTIVE" }), operator);
      expect(outage.estimatedPeopleAffected).toBe(14_000);
      expect(outage.kind).toBe("ELECTRICITY");
      expect(outage.status).toBe("ACTIVE");
    });

    it.each([
      ["not GeoJSON", { affectedArea: { type: "Point", coordinates: [21.33, 43.58] } }, "affectedArea", /not valid GeoJSON/],
      ["an open ring", { affectedArea: { type: "Polygon", coordinates: [[[21.33, 43.57], [21.34, 43.57], [21.34, 43.58], [21.33, 43.58]]] } }, "affectedArea", /not closed/],
      ["self-intersecting", { affectedArea: BOWTIE }, "affectedArea", /intersects itself/],
      ["outside the city", { affectedArea: OUTSIDE }, "affectedArea", /outside the city/],
      ["ending before it starts", { expectedEndAt: new Date(TEST_NOW.getTime()).toISOString() }, "expectedEndAt", /after startsAt/],
      ["an empty description", { description: "  " }, "description", /empty/],
      ["created resolved", { status: "RESOLVED" }, "status", /ANNOUNCED or ACTIVE/],
    ])("rejects an outage %s, naming the field, and writes nothing", async (_name, overrides, field, message) => {
      const before = await count();
      const response = await stack.query(CREATE, { input: outageInput(overrides) }, water);
      expect(errorOf(response)).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(response.body.errors?.[0]?.message).toMatch(message);
      expect(response.body.data).toBeNull();
      expect(await count()).toBe(before);
    });

    it("rejects an unknown provider for an operator, and another provider's for a provider", async () => {
      const before = await count();
      const unknown = await stack.query(CREATE, { input: outageInput({ providerId: "no-such-provider" }) }, operator);
      expect(errorOf(unknown)).toMatchObject({ code: "BAD_USER_INPUT", field: "providerId" });
      const other = await stack.query(CREATE, { input: outageInput({ providerId: ELECTRICITY }) }, water);
      expect(errorOf(other)).toMatchObject({ code: "FORBIDDEN" });
      expect(await count()).toBe(before);
    });

    it("rejects a second outage with the same externalId of the same provider", async () => {
      await create(outageInput({ externalId: "W-1" }));
      const again = await stack.query(CREATE, { input: outageInput({ externalId: "W-1" }) }, water);
      expect(errorOf(again)).toMatchObject({ code: "BAD_USER_INPUT", field: "externalId" });
      // Another provider's W-1 is another outage.
      await create(outageInput({ externalId: "W-1", providerId: ELECTRICITY }), electricity);
    });
  });

  describe("updateOutage", () => {
    it("moves an outage announced → active → resolved, keeping each step in the timeline", async () => {
      const { id } = await create(outageInput());
      const active = await stack.query(UPDATE, { id, input: { status: "ACTIVE", note: "почели радови" } }, water);
      expect(active.body.errors).toBeUndefined();
      expect(active.body.data?.updateOutage).toMatchObject({ status: "ACTIVE", endedAt: null });
      const endedAt = new Date(TEST_NOW.getTime() + 4 * HOUR).toISOString();
      const resolved = await stack.query(UPDATE, { id, input: { status: "RESOLVED", endedAt } }, water);
      expect(resolved.body.errors).toBeUndefined();
      const outage = resolved.body.data?.updateOutage as OutageResult;
      expect(outage).toMatchObject({ status: "RESOLVED", endedAt });
      expect(outage.updates.map(({ status, note }) => [status, note])).toEqual([
        ["ANNOUNCED", null],
        ["ACTIVE", "почели радови"],
        ["RESOLVED", null],
      ]);
    });

    it("rejects transitions the lifecycle does not allow, naming the status", async () => {
      const { id } = await create(outageInput());
      const skip = await stack.query(UPDATE, { id, input: { status: "RESOLVED" } }, water);
      expect(errorOf(skip)).toMatchObject({ code: "BAD_USER_INPUT", field: "status" });
      expect(skip.body.errors?.[0]?.message).toMatch(/cannot go from ANNOUNCED to RESOLVED; allowed: ACTIVE, CANCELLED/);
      const cancelled = await stack.query(UPDATE, { id, input: { status: "CANCELLED", note: "одложено" } }, water);
      expect(cancelled.body.data?.updateOutage).toMatchObject({ status: "CANCELLED" });
      const reopened = await stack.query(UPDATE, { id, input: { status: "ACTIVE" } }, water);
      expect(errorOf(reopened)).toMatchObject({ code: "BAD_USER_INPUT", field: "status" });
      expect(reopened.body.errors?.[0]?.message).toMatch(/cancelled and can no longer change/);
    });

    it("re-estimates the people affected when the area changes, and rejects a bad change whole", async () => {
      const { id, estimatedPeopleAffected } = await create(outageInput());
      const bigger = await stack.query(UPDATE, { id, input: { affectedArea: CENTAR } }, water);
      expect((bigger.body.data?.updateOutage as OutageResult).estimatedPeopleAffected).toBe(14_000);
      expect(estimatedPeopleAffected).toBeLessThan(14_000);

      const stored = await stack.server.repositories.outages.findDocument(id);
      const bad = await stack.query(
        UPDATE,
        { id, input: { status: "ACTIVE", description: "ново", expectedEndAt: new Date(TEST_NOW.getTime() - HOUR).toISOString() } },
        water,
      );
      expect(errorOf(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "expectedEndAt" });
      expect(await stack.server.repositories.outages.findDocument(id)).toEqual(stored);
    });

    it("lets a provider change only its own outages; answers NOT_FOUND for an unknown id", async () => {
      const { id } = await create(outageInput());
      const other = await stack.query(UPDATE, { id, input: { status: "ACTIVE" } }, electricity);
      expect(errorOf(other)).toMatchObject({ code: "FORBIDDEN" });
      const byOperator = await stack.query(UPDATE, { id, input: { status: "ACTIVE" } }, operator);
      expect(byOperator.body.data?.updateOutage).toMatchObject({ status: "ACTIVE" });
      const missing = await stack.query(UPDATE, { id: "no-such-outage", input: { note: "?" } }, operator);
      expect(errorOf(missing)).toMatchObject({ code: "NOT_FOUND" });
    });
  });

  describe("upsertOutages", () => {
    interface BatchResult {
      acceptedCount: number;
      rejectedCount: number;
      items: { index: number; id: string | null; accepted: boolean; errors: { field: string; message: string }[] }[];
    }

    async function upsert(items: Record<string, unknown>[], identity: Identity = water): Promise<BatchResult> {
      const response = await stack.query(UPSERT, { items }, identity);
      expect(response.body.errors).toBeUndefined();
      return response.body.data?.upsertOutages as BatchResult;
    }

    it("writes the accepted items and reports why each rejected one was not", async () => {
      const before = await count();
      const result = await upsert([
        outageInput({ externalId: "B-1" }),
        outageInput({ externalId: "B-2", providerId: ELECTRICITY }),
        outageInput({ externalId: "B-3", affectedArea: BOWTIE, expectedEndAt: TEST_NOW.toISOString() }),
        outageInput({ externalId: "B-1" }),
        outageInput({ providerId: WATER }),
      ]);
      expect(result.acceptedCount).toBe(2);
      expect(result.rejectedCount).toBe(3);
      expect(result.items.map((item) => [item.index, item.accepted])).toEqual([
        [0, true],
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ]);
      expect(result.items[1]?.errors).toEqual([{ field: "providerId", message: `not allowed to write outages of provider ${ELECTRICITY}` }]);
      expect(result.items[2]?.errors.map((error) => error.field).sort()).toEqual(["affectedArea", "expectedEndAt"]);
      expect(result.items[3]?.errors).toEqual([{ field: "externalId", message: "appears earlier in this batch" }]);
      expect(await count()).toBe(before + 2);
      const written = await stack.query(`query ($id: ID!) { outage(id: $id) { id status provider { id } } }`, { id: result.items[0]?.id });
      expect(written.body.data?.outage).toMatchObject({ status: "ANNOUNCED", provider: { id: WATER } });
    });

    it("updates an outage named by its externalId, checking the status change", async () => {
      const [first] = (await upsert([outageInput({ externalId: "U-1" })])).items;
      const before = await count();
      const second = await upsert([
        outageInput({ externalId: "U-1", status: "ACTIVE", note: "у току", description: "Замена вентила, друга фаза" }),
      ]);
      expect(second.items[0]).toMatchObject({ accepted: true, id: first?.id });
      expect(await count()).toBe(before);
      const stored = await stack.server.repositories.outages.findDocument(first!.id!);
      expect(stored).toMatchObject({ status: "active", description: "Замена вентила, друга фаза" });
      expect(stored?.updates?.map((entry) => entry.status)).toEqual(["announced", "active"]);

      const back = await upsert([outageInput({ externalId: "U-1", status: "ANNOUNCED" })]);
      expect(back.items[0]).toMatchObject({ accepted: false, errors: [{ field: "status" }] });
    });

    it("reports an update whose outage changed status meanwhile instead of applying it", async () => {
      const [item] = (await upsert([outageInput({ externalId: "R-1" })])).items;
      const outages = stack.server.repositories.outages;
      const stale = (await outages.findDocument(item!.id!))!;
      // Someone moves it on between the batch's check and its write.
      await stack.query(UPDATE, { id: stale._id, input: { status: "ACTIVE" } }, water);
      const before = await outages.findDocument(stale._id);
      const failures = await outages.writeBatch([
        { index: 7, kind: "update", existing: stale, set: { status: OutageStatus.CANCELLED }, entry: { at: TEST_NOW, status: OutageStatus.CANCELLED, note: null } },
      ]);
      expect(failures).toEqual([{ index: 7, reason: "changed" }]);
      expect(await outages.findDocument(stale._id)).toEqual(before);
    });

    it("accepts 1,000 items in one batch and refuses more", async () => {
      const before = await count();
      const items = Array.from({ length: 1_000 }, (_, index) =>
        outageInput({
          externalId: `bulk-${index}`,
          affectedArea: hexagon(
            { longitude: KRUSEVAC_CENTRE.longitude + ((index % 40) - 20) * 0.002, latitude: KRUSEVAC_CENTRE.latitude + (Math.floor(index / 40) - 12) * 0.002 },
            0.05,
          ),
        }),
      );
      const result = await upsert(items, operator);
      expect(result.rejectedCount).toBe(0);
      expect(result.acceptedCount).toBe(1_000);
      expect(await count()).toBe(before + 1_000);

      const tooMany = await stack.query(UPSERT, { items: [...items, outageInput()] }, operator);
      expect(errorOf(tooMany)).toMatchObject({ code: "BAD_USER_INPUT", field: "items" });
      expect(await count()).toBe(before + 1_000);
    });
  });
});
