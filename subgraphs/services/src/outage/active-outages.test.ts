import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, hexagon } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

const HOUR = 3_600_000;
const operator: Identity = { subject: "operator-1", roles: ["operator"] };
const at = (hours: number) => new Date(TEST_NOW.getTime() + hours * HOUR).toISOString();

// Centres of three seed districts of the city subgraph.
const CENTAR = { longitude: 21.3336, latitude: 43.58 };
const BAGDALA = { longitude: 21.3536, latitude: 43.58 };
const PARUNOVAC = { longitude: 21.3136, latitude: 43.594 };

const ACTIVE = `query ($filter: ActiveOutagesFilter, $first: Int, $after: String) {
  activeOutages(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id description }
  }
}`;

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { id: string; description: string }[];
}

describe("operators' queries for active outages over the subgraph's HTTP server", () => {
  let stack: ServicesTestStack;
  const people: Record<string, number> = {};

  async function create(input: Record<string, unknown>, then: Record<string, unknown>[] = []): Promise<void> {
    const created = await stack.query(
      "mutation ($input: OutageInput!) { createOutage(input: $input) { id affectedDistricts { districtId people } } }",
      { input: { planned: true, ...input } },
      operator,
    );
    expect(created.body.errors).toBeUndefined();
    const outage = created.body.data?.createOutage as { id: string; affectedDistricts: { districtId: string; people: number }[] };
    people[input.description as string] = outage.affectedDistricts[0]?.people ?? 0;
    for (const change of then) {
      const updated = await stack.query(
        "mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { id } }",
        { id: outage.id, input: change },
        operator,
      );
      expect(updated.body.errors).toBeUndefined();
    }
  }

  async function page(variables: Record<string, unknown>): Promise<Page> {
    const response = await stack.query(ACTIVE, variables);
    expect(response.body.errors).toBeUndefined();
    return response.body.data?.activeOutages as Page;
  }

  const descriptions = (result: Page) => result.nodes.map((node) => node.description);

  beforeAll(async () => {
    stack = await startServicesTestStack();
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
    const water = { providerId: "jkp-vodovod-krusevac" };
    await create({ ...water, description: "A", status: "ACTIVE", startsAt: at(-1), expectedEndAt: at(3), affectedArea: hexagon(CENTAR, 0.3) });
    await create({
      providerId: "elektrodistribucija-krusevac",
      description: "B",
      startsAt: at(24),
      expectedEndAt: at(30),
      affectedArea: hexagon(BAGDALA, 0.2),
    });
    await create({ ...water, description: "C", status: "ACTIVE", startsAt: at(-5), affectedArea: hexagon(CENTAR, 0.2) }, [
      { status: "RESOLVED", endedAt: at(-2) },
    ]);
    await create({ ...water, description: "D", startsAt: at(2), affectedArea: hexagon(CENTAR, 0.2) }, [{ status: "CANCELLED" }]);
    await create({ ...water, description: "E", status: "ACTIVE", startsAt: at(-4), affectedArea: hexagon(PARUNOVAC, 0.4) });
    await create({ ...water, description: "F", status: "ACTIVE", startsAt: at(-8), expectedEndAt: at(-6), affectedArea: hexagon(CENTAR, 0.2) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("lists the outages that matter now, newest start first, page by page", async () => {
    expect(descriptions(await page({}))).toEqual(["B", "A", "E"]);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result = await page({ first: 1, after });
      expect(result.totalCount).toBe(3);
      seen.push(...descriptions(result));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual(["B", "A", "E"]);
  });

  it("narrows by district, area, a point's surroundings, kind and provider", async () => {
    expect(descriptions(await page({ filter: { districtId: "centar" } }))).toEqual(["A"]);
    expect(descriptions(await page({ filter: { districtId: "bagdala" } }))).toEqual(["B"]);
    expect(descriptions(await page({ filter: { area: hexagon(PARUNOVAC, 0.1) } }))).toEqual(["E"]);
    expect(descriptions(await page({ filter: { near: { ...CENTAR, radiusMeters: 500 } } }))).toEqual(["A"]);
    // A point 600 m west of Bagdala's centre: B's hexagon (200 m) is 400 m away, A's (300 m around Centar's centre) about 710 m.
    const westOfB = { longitude: BAGDALA.longitude - 0.00745, latitude: BAGDALA.latitude };
    expect(descriptions(await page({ filter: { near: { ...westOfB, radiusMeters: 300 } } }))).toEqual([]);
    expect(descriptions(await page({ filter: { near: { ...westOfB, radiusMeters: 550 } } }))).toEqual(["B"]);
    expect(descriptions(await page({ filter: { near: { ...westOfB, radiusMeters: 800 } } }))).toEqual(["B", "A"]);
    expect(descriptions(await page({ filter: { kind: "ELECTRICITY" } }))).toEqual(["B"]);
    expect(descriptions(await page({ filter: { providerId: "jkp-vodovod-krusevac" } }))).toEqual(["A", "E"]);
  });

  it("finds the outages that overlapped a time window, resolved ones included and cancelled ones not", async () => {
    expect(descriptions(await page({ filter: { from: at(-6), to: at(-3) } }))).toEqual(["E", "C"]);
    expect(descriptions(await page({ filter: { from: at(-7), to: at(-6.5) } }))).toEqual(["F"]);
    expect(descriptions(await page({ filter: { from: at(1), to: at(48), districtId: "centar" } }))).toEqual(["A"]);
  });

  it("reports a bad filter naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ from: at(2), to: at(1) }, "filter.to"],
      [{ near: { ...CENTAR, radiusMeters: 0 } }, "filter.near.radiusMeters"],
      [{ near: { longitude: 200, latitude: 43, radiusMeters: 10 } }, "filter.near.longitude"],
      [
        { area: { type: "Polygon", coordinates: [[[21.33, 43.57], [21.34, 43.58], [21.34, 43.57], [21.33, 43.58], [21.33, 43.57]]] } },
        "filter.area",
      ],
    ];
    for (const [filter, field] of cases) {
      const response = await stack.query(ACTIVE, { filter });
      expect(response.body.errors?.[0]?.extensions, field).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });

  it("answers District.peopleAffectedNow from the active outages' estimates", async () => {
    const response = await stack.query(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on District { id peopleAffectedNow } } }`,
      {
        representations: ["centar", "bagdala", "parunovac", "nowhere"].map((id) => ({ __typename: "District", id })),
      },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?._entities).toEqual([
      // C is resolved, D cancelled, F over; B in Bagdala is only announced.
      { id: "centar", peopleAffectedNow: people.A },
      { id: "bagdala", peopleAffectedNow: 0 },
      { id: "parunovac", peopleAffectedNow: people.E },
      { id: "nowhere", peopleAffectedNow: 0 },
    ]);
    expect(people.A).toBeGreaterThan(0);
    expect(people.E).toBeGreaterThan(0);
  });
});
