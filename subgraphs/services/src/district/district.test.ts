import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutageStatus } from "../outage/outage.model.js";
import { ServiceKind } from "../provider/provider.model.js";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

const HOUR = 3_600_000;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on District { id activeOutages { id kind status planned startsAt provider { id } } }
  }
}`;

function districtBoundary(centre: { longitude: number; latitude: number }, halfSide: number) {
  const { longitude: x, latitude: y } = centre;
  return {
    type: "MultiPolygon",
    coordinates: [[[[x - halfSide, y - halfSide], [x + halfSide, y - halfSide], [x + halfSide, y + halfSide], [x - halfSide, y + halfSide], [x - halfSide, y - halfSide]]]],
  };
}

describe("District.activeOutages", () => {
  let stack: ServicesTestStack;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    const { providers, outages } = stack.server.repositories;
    await providers.upsertMany(DEMO_PROVIDERS);
    const base = {
      providerId: "elektrodistribucija-krusevac",
      kind: ServiceKind.ELECTRICITY,
      planned: false,
      description: "Прекид напајања",
      startsAt: new Date(TEST_NOW.getTime() - HOUR),
      expectedEndAt: new Date(TEST_NOW.getTime() + HOUR),
    };
    await outages.upsertFromFeed("test", [
      { ...base, externalId: "centre-active", status: OutageStatus.ACTIVE, affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3) },
      { ...base, externalId: "centre-resolved", status: OutageStatus.RESOLVED, affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3) },
      {
        ...base,
        externalId: "east-active",
        status: OutageStatus.ACTIVE,
        affectedArea: hexagon({ longitude: KRUSEVAC_CENTRE.longitude + 0.04, latitude: KRUSEVAC_CENTRE.latitude }, 0.3),
      },
    ]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers _entities for districts with the outages active in each", async () => {
    const response = await stack.query(ENTITIES, {
      representations: [
        { __typename: "District", id: "centre", boundary: districtBoundary(KRUSEVAC_CENTRE, 0.01) },
        {
          __typename: "District",
          id: "east",
          boundary: districtBoundary({ longitude: KRUSEVAC_CENTRE.longitude + 0.04, latitude: KRUSEVAC_CENTRE.latitude }, 0.01),
        },
        { __typename: "District", id: "nowhere", boundary: districtBoundary({ longitude: 20, latitude: 45 }, 0.01) },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const districts = response.body.data?._entities as { id: string; activeOutages: { id: string; status: string; provider: { id: string } }[] }[];
    expect(districts.map((district) => district.id)).toEqual(["centre", "east", "nowhere"]);
    expect(districts[0]?.activeOutages).toHaveLength(1);
    expect(districts[0]?.activeOutages[0]).toMatchObject({
      kind: "ELECTRICITY",
      status: "ACTIVE",
      planned: false,
      startsAt: new Date(TEST_NOW.getTime() - HOUR).toISOString(),
      provider: { id: "elektrodistribucija-krusevac" },
    });
    expect(districts[1]?.activeOutages).toHaveLength(1);
    expect(districts[2]?.activeOutages).toEqual([]);
  });

  it("reports a district representation without a usable boundary as bad input", async () => {
    const response = await stack.query(ENTITIES, {
      representations: [{ __typename: "District", id: "broken", boundary: { type: "MultiPolygon", coordinates: [[[[21, 43]]]] } }],
    });
    expect(response.status).toBe(200);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "boundary" });
  });
});
