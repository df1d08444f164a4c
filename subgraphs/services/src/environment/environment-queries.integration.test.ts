/**
 * The operators' queries over GraphQL (cursor pagination, bad filters naming the field) and the
 * District extension answered for many districts with one query per field.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEMO_PROVIDERS } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import type { StationDocument } from "./station.model.js";

const MINUTE = 60_000;
const OPERATOR = { subject: "operator-1", roles: ["operator" as const] };

let stack: ServicesTestStack;
const stations: StationDocument[] = [];

beforeAll(async () => {
  stack = await startServicesTestStack();
  await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
  const { city, stations: repository, readings } = stack.server.repositories.environment;
  // One station in the middle of each of the first three districts.
  for (const [index, district] of city.districts.slice(0, 3).entries()) {
    const document: StationDocument = {
      _id: `q-station-${index}`,
      providerId: "jkp-vodovod-krusevac",
      name: `Станица ${index}`,
      location: { type: "Point", coordinates: [(district.box.west + district.box.east) / 2, (district.box.south + district.box.north) / 2] },
      districtId: district.id,
      parameters: [EnvironmentParameter.NO2, EnvironmentParameter.TEMPERATURE],
      active: true,
      externalId: null,
      createdAt: TEST_NOW,
      updatedAt: TEST_NOW,
    };
    await repository.insert(document);
    stations.push(document);
  }
  // Ten minutes of readings each; the first two stations' NO2 is over the hourly 200 µg/m³.
  await readings.ingestReadings(
    stations.flatMap((station, index) =>
      Array.from({ length: 10 }, (_, minute) => [
        { stationId: station._id, parameter: "NO2", at: new Date(TEST_NOW.getTime() - (minute + 1) * MINUTE), value: index < 2 ? 250 + minute : 40 },
        { stationId: station._id, parameter: "TEMPERATURE", at: new Date(TEST_NOW.getTime() - (minute + 1) * MINUTE), value: 10 + minute / 10 },
      ]).flat(),
    ),
    { source: "test-feed" },
  );
});
afterAll(async () => {
  await stack?.close();
});

describe("environment queries", () => {
  it("pages through a station's readings newest first, in a time window", async () => {
    const query = `query ($stationId: ID!, $after: String) {
      environmentReadings(stationId: $stationId, parameter: NO2, from: "${new Date(TEST_NOW.getTime() - 8 * MINUTE).toISOString()}", first: 3, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { at value unit station { id name } }
      }
    }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response = await stack.query(query, { stationId: stations[0]!._id, after });
      expect(response.body.errors).toBeUndefined();
      const page = response.body.data?.environmentReadings as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { at: string; unit: string; station: { id: string } }[] };
      expect(page.totalCount).toBe(8);
      expect(page.nodes.every((node) => node.unit === "µg/m³" && node.station.id === stations[0]!._id)).toBe(true);
      seen.push(...page.nodes.map((node) => node.at));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 8 }, (_, minute) => new Date(TEST_NOW.getTime() - (minute + 1) * MINUTE).toISOString()));
  });

  it("lists latest readings, open alerts and stations by district with cursors", async () => {
    const latest = await stack.query(`{ latestEnvironmentReadings(districtId: "${stations[0]!.districtId}") { totalCount nodes { parameter value at } } }`);
    expect(latest.body.data?.latestEnvironmentReadings).toMatchObject({
      totalCount: 2,
      nodes: [
        { parameter: "NO2", value: 250, at: new Date(TEST_NOW.getTime() - MINUTE).toISOString() },
        { parameter: "TEMPERATURE", value: 10 },
      ],
    });
    const alerts = await stack.query(`{ openEnvironmentAlerts(parameter: NO2, first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { stationId districtId lastMean threshold } } }`);
    const page = alerts.body.data?.openEnvironmentAlerts as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { stationId: string }[] };
    expect(page.totalCount).toBe(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await stack.query(`query ($after: String) { openEnvironmentAlerts(parameter: NO2, first: 1, after: $after) { pageInfo { hasNextPage } nodes { stationId } } }`, { after: page.pageInfo.endCursor });
    const both = [page.nodes[0]!.stationId, (next.body.data?.openEnvironmentAlerts as { nodes: { stationId: string }[] }).nodes[0]!.stationId];
    expect(both.sort()).toEqual([stations[0]!._id, stations[1]!._id]);
    const list = await stack.query(`{ environmentStations(districtId: "${stations[2]!.districtId}") { totalCount nodes { id name latestReadings { parameter } } } }`);
    expect(list.body.data?.environmentStations).toMatchObject({ totalCount: 1, nodes: [{ id: stations[2]!._id, latestReadings: [{ parameter: "NO2" }, { parameter: "TEMPERATURE" }] }] });
    const thresholds = await stack.query(`{ environmentThresholds { parameter value unit averaging enabled basis } }`);
    expect((thresholds.body.data?.environmentThresholds as unknown[]).slice(0, 4)).toEqual([
      { parameter: "PM10", value: 50, unit: "µg/m³", averaging: "DAY", enabled: true, basis: expect.stringContaining("2008/50/EC") },
      { parameter: "PM2_5", value: 25, unit: "µg/m³", averaging: "DAY", enabled: true, basis: expect.stringContaining("2024/2881") },
      { parameter: "NO2", value: 200, unit: "µg/m³", averaging: "HOUR", enabled: true, basis: expect.stringContaining("2008/50/EC") },
      { parameter: "O3", value: 180, unit: "µg/m³", averaging: "HOUR", enabled: true, basis: expect.stringContaining("information threshold") },
    ]);
  });

  it.each([
    ["an end before the start", `{ environmentReadings(stationId: "x", from: "2025-03-10T10:00:00Z", to: "2025-03-10T09:00:00Z") { totalCount } }`, "to"],
    ["a cursor from nowhere", `{ openEnvironmentAlerts(after: "bm9wZQ") { totalCount } }`, "after"],
    ["a page too large", `{ environmentStations(first: 100000) { totalCount } }`, "first"],
    ["an empty station id", `{ environmentReadings(stationId: " ") { totalCount } }`, "stationId"],
  ])("refuses %s naming the field", async (_name, query, field) => {
    const response = await stack.query(query);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });

  it("refuses a threshold out of the parameter's range, or enabled without a value", async () => {
    const admin = { subject: "admin-1", roles: ["admin" as const] };
    const set = `mutation ($value: Float, $enabled: Boolean!) { setEnvironmentThreshold(parameter: PM10, value: $value, averaging: DAY, enabled: $enabled) { value } }`;
    expect((await stack.query(set, { value: -1, enabled: true }, admin)).body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "value" });
    expect((await stack.query(set, { value: null, enabled: true }, admin)).body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "value" });
    expect(await stack.server.repositories.environment.thresholds.collection.countDocuments()).toBe(0);
  });
});

describe("District.latestReadings and District.openAlerts", () => {
  it("answers all the districts of one _entities call with one query per field", async () => {
    const { latestReadings, alerts } = stack.server.repositories.environment;
    const byDistricts = vi.spyOn(latestReadings, "byDistricts");
    const openByDistricts = vi.spyOn(alerts, "openByDistricts");
    try {
      const districts = stack.server.repositories.environment.city.districts;
      const response = await stack.query(
        `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on District { id latestReadings { stationId parameter value } openAlerts { stationId parameter status } } } }`,
        { representations: districts.map((district) => ({ __typename: "District", id: district.id })) },
        OPERATOR,
      );
      expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
      const answered = response.body.data?._entities as { id: string; latestReadings: { stationId: string }[]; openAlerts: { stationId: string; status: string }[] }[];
      expect(answered).toHaveLength(districts.length);
      expect(byDistricts).toHaveBeenCalledTimes(1);
      expect(openByDistricts).toHaveBeenCalledTimes(1);
      expect(answered[0]).toMatchObject({ latestReadings: [{ stationId: stations[0]!._id }, { stationId: stations[0]!._id }], openAlerts: [{ stationId: stations[0]!._id, status: "OPEN" }] });
      expect(answered[2]).toMatchObject({ openAlerts: [] });
      expect(answered.slice(3).every((district) => district.latestReadings.length === 0 && district.openAlerts.length === 0)).toBe(true);
    } finally {
      byDistricts.mockRestore();
      openByDistricts.mockRestore();
    }
  });
});
