/**
 * Stations through the subgraph's GraphQL with signed identities: checks that name the field, and the
 * authorization matrix of every environment mutation × role × own/other provider, where a denied call
 * must leave the database as it was.
 */
import { ANONYMOUS, type Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type GraphQLResponse, type ServicesTestStack } from "../test-support/services-test-stack.js";

const OWN = "jkp-vodovod-krusevac";
const OTHER = "elektrodistribucija-krusevac";
const ROLES = {
  anonymous: ANONYMOUS,
  operator: { subject: "operator-1", roles: ["operator"] },
  "city-staff": { subject: "staff-1", roles: ["city-staff"] },
  "provider (own)": { subject: "key-water", roles: ["provider"], providerId: OWN },
  "provider (other)": { subject: "key-electricity", roles: ["provider"], providerId: OTHER },
  business: { subject: "key-business", roles: ["business"], businessId: "business-1" },
  admin: { subject: "admin-1", roles: ["admin"] },
} satisfies Record<string, Identity>;
type RoleName = keyof typeof ROLES;
type Outcome = "written" | "UNAUTHENTICATED" | "FORBIDDEN" | "item rejected";

const CENTRE = [KRUSEVAC_CENTRE.longitude, KRUSEVAC_CENTRE.latitude];
const CREATE = "mutation ($input: StationInput!) { createStation(input: $input) { id name districtId parameters active provider { id } location { type coordinates } } }";
const UPDATE = "mutation ($id: ID!, $input: StationUpdateInput!) { updateStation(id: $id, input: $input) { id name districtId active } }";
const PUSH = "mutation ($items: [ReadingInput!]!) { pushReadings(items: $items) { acceptedCount rejectedCount items { index accepted write errors { field message } } } }";
const SET_THRESHOLD =
  "mutation ($parameter: EnvironmentParameter!, $value: Float, $averaging: AveragingPeriod!, $enabled: Boolean!) { setEnvironmentThreshold(parameter: $parameter, value: $value, averaging: $averaging, enabled: $enabled) { parameter value enabled } }";

const stationInput = (overrides: Record<string, unknown> = {}) => ({
  providerId: OWN,
  name: "Мерна станица Центар",
  location: { type: "Point", coordinates: CENTRE },
  parameters: ["PM10", "NO2"],
  ...overrides,
});

let stack: ServicesTestStack;
beforeAll(async () => {
  stack = await startServicesTestStack();
  await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
});
afterAll(async () => {
  await stack?.close();
});

async function snapshot(): Promise<unknown> {
  const db = stack.mongo.client.db(stack.databaseName);
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const contents: Record<string, unknown> = {};
  for (const { name } of collections.sort((left, right) => left.name.localeCompare(right.name))) {
    contents[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
  }
  return contents;
}

async function createAs(identity: Identity, input: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
  const response = await stack.query(CREATE, { input }, identity);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  return response.body.data?.createStation as { id: string };
}

describe("createStation and updateStation", () => {
  it("registers a station with its district derived from the point, and changes it", async () => {
    const created = await createAs(ROLES["provider (own)"], stationInput({ externalId: "AQ-1" }));
    expect(created).toMatchObject({ districtId: "centar", parameters: ["PM10", "NO2"], active: true, provider: { id: OWN }, location: { type: "Point", coordinates: CENTRE } });
    const updated = await stack.query(UPDATE, { id: created.id, input: { name: "  Центар   2 ", active: false } }, ROLES["provider (own)"]);
    expect(updated.body.data?.updateStation).toMatchObject({ name: "Центар 2", active: false });
    const duplicate = await stack.query(CREATE, { input: stationInput({ externalId: "AQ-1" }) }, ROLES["provider (own)"]);
    expect(duplicate.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "externalId" });
  });

  it("lets operators register a station of no provider, and refuses that to a provider", async () => {
    const community = await createAs(ROLES.operator, stationInput({ providerId: null, name: "Сензор заједнице" }));
    expect(community).toMatchObject({ provider: null });
    const before = await snapshot();
    const byProvider = await stack.query(CREATE, { input: stationInput({ providerId: null }) }, ROLES["provider (own)"]);
    expect(byProvider.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const update = await stack.query(UPDATE, { id: community.id, input: { name: "x" } }, ROLES["provider (own)"]);
    expect(update.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const push = await stack.query(PUSH, { items: [{ stationId: community.id, parameter: "PM10", at: TEST_NOW.toISOString(), value: 5 }] }, ROLES["provider (own)"]);
    expect(push.body.data?.pushReadings).toMatchObject({ acceptedCount: 0, items: [{ accepted: false, errors: [{ field: "stationId" }] }] });
    expect(await snapshot()).toEqual(before);
    const byOperator = await stack.query(PUSH, { items: [{ stationId: community.id, parameter: "PM10", at: TEST_NOW.toISOString(), value: 5 }] }, ROLES.operator);
    expect(byOperator.body.data?.pushReadings).toMatchObject({ acceptedCount: 1, items: [{ accepted: true, write: "INSERTED" }] });
  });

  it.each([
    ["a Polygon instead of a Point", { location: { type: "Polygon", coordinates: [[CENTRE, CENTRE, CENTRE, CENTRE]] } }, "location"],
    ["a Point with three numbers", { location: { type: "Point", coordinates: [21.33, 43.58, 1] } }, "location"],
    ["a Point outside the city (Belgrade)", { location: { type: "Point", coordinates: [20.46, 44.81] } }, "location"],
    ["a latitude out of range", { location: { type: "Point", coordinates: [21.33, 143.58] } }, "location"],
    ["no parameters", { parameters: [] }, "parameters"],
    ["an empty name", { name: "   " }, "name"],
    ["an unknown provider", { providerId: "no-such-provider" }, "providerId"],
  ])("refuses %s naming the field, and stores nothing", async (_name, change, field) => {
    const before = await snapshot();
    const response = await stack.query(CREATE, { input: stationInput(change) }, ROLES.operator);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await snapshot()).toEqual(before);
  });

  it("moves a station's latest readings and open alerts to its new district", async () => {
    const created = await createAs(ROLES.operator, stationInput({ name: "Покретна станица" }));
    const push = await stack.query(PUSH, { items: [{ stationId: created.id, parameter: "NO2", at: new Date(TEST_NOW.getTime() - 60_000).toISOString(), value: 350 }] }, ROLES.operator);
    expect(push.body.data?.pushReadings).toMatchObject({ acceptedCount: 1 });
    const { city, latestReadings, alerts } = stack.server.repositories.environment;
    const elsewhere = city.districts.find((district) => district.id !== "centar")!;
    const point = [(elsewhere.box.west + elsewhere.box.east) / 2, (elsewhere.box.south + elsewhere.box.north) / 2];
    const moved = await stack.query(UPDATE, { id: created.id, input: { location: { type: "Point", coordinates: point } } }, ROLES.operator);
    expect(moved.body.data?.updateStation).toMatchObject({ districtId: elsewhere.id });
    expect(await latestReadings.collection.distinct("districtId", { stationId: created.id })).toEqual([elsewhere.id]);
    expect(await alerts.collection.distinct("districtId", { stationId: created.id })).toEqual([elsewhere.id]);
  });

  it("answers NOT_FOUND for a station that does not exist", async () => {
    const response = await stack.query(UPDATE, { id: "no-such-station", input: { name: "x" } }, ROLES.operator);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("authorization matrix of the environment mutations", () => {
  const PROVIDER_WRITE: Record<RoleName, Outcome> = {
    anonymous: "UNAUTHENTICATED",
    operator: "written",
    "city-staff": "FORBIDDEN",
    "provider (own)": "written",
    "provider (other)": "FORBIDDEN",
    business: "FORBIDDEN",
    admin: "written",
  };
  const ADMIN_ONLY: Record<RoleName, Outcome> = {
    anonymous: "UNAUTHENTICATED",
    operator: "FORBIDDEN",
    "city-staff": "FORBIDDEN",
    "provider (own)": "FORBIDDEN",
    "provider (other)": "FORBIDDEN",
    business: "FORBIDDEN",
    admin: "written",
  };
  let ownStation: string;
  let pushes = 0;
  beforeAll(async () => {
    ownStation = (await createAs(ROLES.operator, stationInput({ name: "Матрица" }))).id;
  });

  const cases: Record<string, { expected: Record<RoleName, Outcome>; run(identity: Identity): Promise<GraphQLResponse>; written(data: Record<string, unknown> | null | undefined): boolean }> = {
    createStation: {
      expected: PROVIDER_WRITE,
      run: (identity) => stack.query(CREATE, { input: stationInput({ name: `Матрица ${identity.subject}` }) }, identity),
      written: (data) => typeof (data?.createStation as { id?: unknown } | undefined)?.id === "string",
    },
    updateStation: {
      expected: PROVIDER_WRITE,
      run: (identity) => stack.query(UPDATE, { id: ownStation, input: { name: `Матрица ${identity.subject}` } }, identity),
      written: (data) => (data?.updateStation as { id?: unknown } | undefined)?.id === ownStation,
    },
    pushReadings: {
      expected: { ...PROVIDER_WRITE, "provider (other)": "item rejected" },
      run: (identity) => {
        pushes++;
        return stack.query(PUSH, { items: [{ stationId: ownStation, parameter: "PM10", at: new Date(TEST_NOW.getTime() - pushes * 60_000).toISOString(), value: 12 }] }, identity);
      },
      written: (data) => (data?.pushReadings as { acceptedCount?: unknown } | undefined)?.acceptedCount === 1,
    },
    setEnvironmentThreshold: {
      expected: ADMIN_ONLY,
      run: (identity) => stack.query(SET_THRESHOLD, { parameter: "PM10", value: 50, averaging: "DAY", enabled: true }, identity),
      written: (data) => (data?.setEnvironmentThreshold as { parameter?: unknown } | undefined)?.parameter === "PM10",
    },
  };
  const table = Object.entries(cases).flatMap(([mutation, spec]) =>
    (Object.keys(ROLES) as RoleName[]).map((role) => ({ mutation, role, expected: spec.expected[role] })),
  );

  it.each(table)("$mutation as $role: $expected", async ({ mutation, role, expected }) => {
    const spec = cases[mutation]!;
    const before = await snapshot();
    const response = await spec.run(ROLES[role]);
    if (expected === "written") {
      expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
      expect(spec.written(response.body.data)).toBe(true);
      return;
    }
    if (expected === "item rejected") {
      expect(response.body.errors).toBeUndefined();
      expect(spec.written(response.body.data)).toBe(false);
      expect((response.body.data?.pushReadings as { items: { errors: { field: string }[] }[] }).items[0]?.errors.map((error) => error.field)).toEqual(["stationId"]);
    } else {
      expect(response.body.errors?.[0]?.extensions?.code).toBe(expected);
      expect(response.body.data ?? null).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
  });
});
