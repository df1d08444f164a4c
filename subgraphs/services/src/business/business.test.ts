import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutageStatus } from "../outage/outage.model.js";
import { ServiceKind } from "../provider/provider.model.js";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

const HOUR = 3_600_000;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Business { id affectingOutages { kind status provider { id } } }
  }
}`;

function point(longitude: number, latitude: number) {
  return { type: "Point", coordinates: [longitude, latitude] };
}

describe("Business.affectingOutages", () => {
  let stack: ServicesTestStack;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    const { providers, outages } = stack.server.repositories;
    await providers.upsertMany(DEMO_PROVIDERS);
    const base = {
      providerId: "jkp-vodovod-krusevac",
      kind: ServiceKind.WATER,
      planned: true,
      description: "Радови",
      startsAt: new Date(TEST_NOW.getTime() - HOUR),
      expectedEndAt: new Date(TEST_NOW.getTime() + HOUR),
      affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3),
    };
    await outages.upsertFromFeed("test", [
      { ...base, externalId: "active", status: OutageStatus.ACTIVE },
      { ...base, externalId: "resolved", status: OutageStatus.RESOLVED },
    ]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers _entities for businesses with the outages active at their location", async () => {
    const response = await stack.query(ENTITIES, {
      representations: [
        { __typename: "Business", id: "inside", location: point(KRUSEVAC_CENTRE.longitude, KRUSEVAC_CENTRE.latitude) },
        { __typename: "Business", id: "outside", location: point(KRUSEVAC_CENTRE.longitude + 0.03, KRUSEVAC_CENTRE.latitude) },
      ],
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?._entities).toEqual([
      { id: "inside", affectingOutages: [{ kind: "WATER", status: "ACTIVE", provider: { id: "jkp-vodovod-krusevac" } }] },
      { id: "outside", affectingOutages: [] },
    ]);
  });

  it("reports a representation without a usable location as bad input", async () => {
    const response = await stack.query(ENTITIES, {
      representations: [{ __typename: "Business", id: "broken", location: { type: "Point", coordinates: [500, 43] } }],
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "location" });
  });
});
