import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutageStatus } from "../outage/outage.model.js";
import { ServiceKind } from "../provider/provider.model.js";
import { DEMO_PROVIDERS, hexagon } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

const HOUR = 3_600_000;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on District { id peopleAffectedNow activeOutages { id kind status planned startsAt description provider { id } } }
  }
}`;

function centreOf(id: string): { longitude: number; latitude: number } {
  const [longitude, latitude] = KRUSEVAC_DISTRICTS.find((district) => district.id === id)!.centre.coordinates as [number, number];
  return { longitude, latitude };
}

interface DistrictAnswer {
  id: string;
  peopleAffectedNow: number;
  activeOutages: { id: string; status: string; startsAt: string; description: string; provider: { id: string } }[];
}

describe("District.activeOutages and District.peopleAffectedNow", () => {
  let stack: ServicesTestStack;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    const { providers, outages } = stack.server.repositories;
    await providers.upsertMany(DEMO_PROVIDERS);
    const base = {
      providerId: "elektrodistribucija-krusevac",
      kind: ServiceKind.ELECTRICITY,
      planned: false,
      startsAt: new Date(TEST_NOW.getTime() - HOUR),
      expectedEndAt: new Date(TEST_NOW.getTime() + HOUR),
    };
    const area = (id: string) => hexagon(centreOf(id), 0.3);
    await outages.upsertFromFeed("test", [
      { ...base, externalId: "centar-active", description: "centar active", status: OutageStatus.ACTIVE, affectedArea: area("centar") },
      { ...base, externalId: "centar-resolved", description: "centar resolved", status: OutageStatus.RESOLVED, affectedArea: area("centar") },
      {
        ...base,
        externalId: "centar-announced",
        description: "centar announced",
        status: OutageStatus.ANNOUNCED,
        startsAt: new Date(TEST_NOW.getTime() + HOUR),
        expectedEndAt: new Date(TEST_NOW.getTime() + 3 * HOUR),
        affectedArea: area("centar"),
      },
      {
        ...base,
        externalId: "centar-over",
        description: "centar over",
        status: OutageStatus.ACTIVE,
        startsAt: new Date(TEST_NOW.getTime() - 3 * HOUR),
        expectedEndAt: new Date(TEST_NOW.getTime() - HOUR),
        affectedArea: area("centar"),
      },
      { ...base, externalId: "bagdala-active", description: "bagdala active", status: OutageStatus.ACTIVE, affectedArea: area("bagdala") },
    ]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers _entities for districts with the outages active in each and the people affected now", async () => {
    const response = await stack.query(ENTITIES, {
      representations: ["centar", "bagdala", "nowhere"].map((id) => ({ __typename: "District", id })),
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const [centar, bagdala, nowhere] = response.body.data?._entities as DistrictAnswer[];
    expect(centar?.activeOutages.map((outage) => outage.description)).toEqual(["centar active", "centar announced"]);
    expect(centar?.activeOutages[0]).toMatchObject({
      kind: "ELECTRICITY",
      status: "ACTIVE",
      planned: false,
      startsAt: new Date(TEST_NOW.getTime() - HOUR).toISOString(),
      provider: { id: "elektrodistribucija-krusevac" },
    });
    expect(bagdala?.activeOutages.map((outage) => outage.description)).toEqual(["bagdala active"]);
    expect(nowhere).toEqual({ id: "nowhere", peopleAffectedNow: 0, activeOutages: [] });

    // Only the active outage counts: the announced one affects nobody yet, the others are over.
    const stored = await stack.server.repositories.outages.findById(centar!.activeOutages[0]!.id);
    const estimate = stored?.affectedDistricts.find((impact) => impact.districtId === "centar")?.people;
    expect(estimate).toBeGreaterThan(0);
    expect(centar?.peopleAffectedNow).toBe(estimate);
  });

  it("reads only what the query asks of each outage, and still answers every field asked correctly", async () => {
    const repository = stack.server.repositories.outages;
    const full = await repository.districtSituations(["centar"], { outages: true });
    const narrow = await repository.districtSituations(["centar"], { outages: true, outageFields: ["id", "provider", "__typename"] });
    const [fullOutage] = full.get("centar")!.outages;
    const [narrowOutage] = narrow.get("centar")!.outages;
    expect(narrowOutage).toMatchObject({ id: fullOutage!.id, providerId: fullOutage!.providerId, status: fullOutage!.status });
    // The area (most of the document) stays in the store.
    expect(fullOutage!.affectedArea).toBeDefined();
    expect(narrowOutage!.affectedArea).toBeUndefined();
    expect(narrow.get("centar")!.peopleAffectedNow).toBe(full.get("centar")!.peopleAffectedNow);

    const response = await stack.query(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) {
        ... on District { ...view } } }
      fragment view on District { activeOutages { ... on Outage { description affectedArea { type } updates { status } } } }`,
      { representations: [{ __typename: "District", id: "centar" }] },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?._entities).toEqual([
      {
        activeOutages: [
          { description: "centar active", affectedArea: { type: "MultiPolygon" }, updates: [] },
          { description: "centar announced", affectedArea: { type: "MultiPolygon" }, updates: [] },
        ],
      },
    ]);
  });

  it("reads every district of a request with one query of the store", async () => {
    const repository = stack.server.repositories.outages;
    const original = repository.districtSituations.bind(repository);
    let calls = 0;
    repository.districtSituations = (...args) => {
      calls += 1;
      return original(...args);
    };
    try {
      const response = await stack.query(ENTITIES, {
        representations: KRUSEVAC_DISTRICTS.map((district) => ({ __typename: "District", id: district.id })),
      });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?._entities).toHaveLength(KRUSEVAC_DISTRICTS.length);
      expect(calls).toBe(1);
    } finally {
      repository.districtSituations = original;
    }
  });
});
