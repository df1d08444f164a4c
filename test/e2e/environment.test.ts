/**
 * Public services' environment part (issue 5) through the gateway, with real credentials: providers
 * register their stations and push readings with their API keys, are refused another provider's, get
 * a per-item report for a mixed batch, see an alert raised and cleared, and the district view shows
 * the latest readings and open alerts. The authorization matrix of every environment mutation × role
 * × own/other provider checks that a denied call stores nothing.
 */
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { createApiKey, issueAccessToken, PLATFORM_DATABASE } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLAnswer } from "../support/graphql.js";
import { startStack, type Stack } from "../support/stack.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const OWN = "jkp-vodovod-krusevac";
const OTHER = "elektrodistribucija-krusevac";
const GHOST = `e2e-ghost-provider-${process.pid}`;
const RUN = `e2e-env-${process.pid}-${Date.now().toString(36)}`;

// Responses are checked by the assertions themselves; typing every query's shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ROLES = ["anonymous", "operator", "city-staff", "provider (own)", "provider (other)", "business", "admin"] as const;
type Role = (typeof ROLES)[number];
type Who = Role | "ghost";

let stack: Stack;
const headers = {} as Record<Who, Record<string, string>>;

beforeAll(async () => {
  stack = await startStack({ name: "environment" });
  const secret = stack.config.jwtSecret;
  const bearer = async (subject: string, role: "operator" | "city-staff" | "admin") => ({
    authorization: `Bearer ${await issueAccessToken({ subject, roles: [role] }, secret)}`,
  });
  const platform = stack.mongo.db(PLATFORM_DATABASE);
  const key = async (owner: Parameters<typeof createApiKey>[1]) => ({ "x-api-key": (await createApiKey(platform, owner)).key });
  headers.anonymous = {};
  headers.operator = await bearer("e2e-operator-ana", "operator");
  headers["city-staff"] = await bearer("e2e-staff-marko", "city-staff");
  headers.admin = await bearer("e2e-admin-jelena", "admin");
  headers["provider (own)"] = await key({ roles: ["provider"], providerId: OWN, label: `${RUN} water` });
  headers["provider (other)"] = await key({ roles: ["provider"], providerId: OTHER, label: `${RUN} electricity` });
  headers.business = await key({ roles: ["business"], businessId: `${RUN}-business`, label: `${RUN} business` });
  headers.ghost = await key({ roles: ["provider"], providerId: GHOST, label: `${RUN} ghost provider` });
});

afterAll(async () => {
  const services = stack?.mongo.db("services");
  await services?.collection("stations").deleteMany({ name: { $regex: `^${RUN}` } }).catch(() => undefined);
  await stack?.mongo
    .db(PLATFORM_DATABASE)
    .collection("apiKeys")
    .deleteMany({ label: { $regex: `^${RUN}` } })
    .catch(() => undefined);
  await stack?.close();
});

function gql<TData = Loose>(who: Who, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<TData>> {
  return stack.query<TData>(query, variables, headers[who]);
}

function extensionsOf(answer: GraphQLAnswer<unknown>): Record<string, unknown> | undefined {
  return answer.errors?.[0]?.extensions;
}

const CENTAR = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!;
const CENTRE = CENTAR.centre.coordinates as [number, number];

const CREATE = `mutation ($input: StationInput!) {
  createStation(input: $input) { id name districtId parameters active provider { id } location { type coordinates } }
}`;
const UPDATE = "mutation ($id: ID!, $input: StationUpdateInput!) { updateStation(id: $id, input: $input) { id name active } }";
const PUSH = `mutation ($items: [ReadingInput!]!) {
  pushReadings(items: $items) {
    acceptedCount rejectedCount inserted updated unchanged
    items { index accepted write errors { field message } }
    alertsRaised { id stationId parameter status lastMean threshold }
    alertsCleared { id stationId parameter status lastMean peakMean }
  }
}`;
const SET_THRESHOLD = `mutation ($parameter: EnvironmentParameter!, $value: Float, $averaging: AveragingPeriod!, $enabled: Boolean!) {
  setEnvironmentThreshold(parameter: $parameter, value: $value, averaging: $averaging, enabled: $enabled) { parameter value averaging enabled }
}`;

let stations = 0;
function stationInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  stations++;
  return {
    providerId: OWN,
    name: `${RUN} станица ${stations}`,
    location: { type: "Point", coordinates: CENTRE },
    parameters: ["PM10", "NO2", "TEMPERATURE"],
    ...overrides,
  };
}

async function createStation(who: Who, overrides: Record<string, unknown> = {}): Promise<Loose> {
  const answer = await gql(who, CREATE, { input: stationInput(overrides) });
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  return answer.data.createStation;
}

async function snapshotServices(): Promise<unknown> {
  const db = stack.mongo.db("services");
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const contents: Record<string, unknown> = {};
  for (const { name } of collections.sort((left, right) => left.name.localeCompare(right.name))) {
    contents[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
  }
  return contents;
}

// ---------------------------------------------------------------------------------------------------

describe("a provider's key and its stations", () => {
  it("registers its own station, placed in the district its point lies in, and changes it", async () => {
    const created = await createStation("provider (own)");
    expect(created).toMatchObject({ districtId: "centar", active: true, provider: { id: OWN }, location: { type: "Point", coordinates: CENTRE } });
    const updated = await gql("provider (own)", UPDATE, { id: created.id, input: { name: `${RUN} преименована` } });
    expect(updated.errors, JSON.stringify(updated.errors)).toBeUndefined();
    expect(updated.data.updateStation.name).toBe(`${RUN} преименована`);
  });

  it.each([
    ["a point outside the city", { location: { type: "Point", coordinates: [20.46, 44.81] } }, "location"],
    ["a geometry that is not a Point", { location: { type: "LineString", coordinates: [CENTRE, CENTRE] } }, "location"],
    ["a position without a latitude", { location: { type: "Point", coordinates: [CENTRE[0]] } }, "location"],
    ["no parameters", { parameters: [] }, "parameters"],
  ])("refuses %s with BAD_USER_INPUT naming the field, and stores nothing", async (_name, change, field) => {
    const before = await snapshotServices();
    const answer = await gql("provider (own)", CREATE, { input: stationInput(change) });
    expect(answer.data ?? null).toBeNull();
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await snapshotServices()).toEqual(before);
  });

  it("refuses an unknown provider on providerId, and another provider's station as FORBIDDEN", async () => {
    const theirs = await createStation("provider (other)", { providerId: OTHER });
    const before = await snapshotServices();
    expect(extensionsOf(await gql("ghost", CREATE, { input: stationInput({ providerId: GHOST }) }))).toMatchObject({ code: "BAD_USER_INPUT", field: "providerId" });
    expect(extensionsOf(await gql("provider (own)", CREATE, { input: stationInput({ providerId: OTHER }) }))?.code).toBe("FORBIDDEN");
    expect(extensionsOf(await gql("provider (own)", UPDATE, { id: theirs.id, input: { active: false } }))?.code).toBe("FORBIDDEN");
    expect(await snapshotServices()).toEqual(before);
  });
});

describe("pushReadings, a batch with good, bad and foreign items", () => {
  it("reports per item, stores only the accepted ones, and writes nothing when the same batch comes again", async () => {
    const own = await createStation("provider (own)");
    const theirs = await createStation("provider (other)", { providerId: OTHER });
    const at = (minutes: number) => new Date(Date.now() - minutes * MINUTE).toISOString();
    const items = [
      { stationId: own.id, parameter: "TEMPERATURE", at: at(3), value: 8.5 },
      { stationId: theirs.id, parameter: "TEMPERATURE", at: at(3), value: 8.5 },
      { stationId: `${RUN}-no-such-station`, parameter: "TEMPERATURE", at: at(3), value: 8.5 },
      { stationId: own.id, parameter: "PM10", at: at(3), value: -4 },
      { stationId: own.id, parameter: "PM10", at: at(2), value: 40, unit: "ppm" },
      { stationId: own.id, parameter: "O3", at: at(2), value: 40 },
      { stationId: own.id, parameter: "PM10", at: new Date(Date.now() + HOUR).toISOString(), value: 40 },
      { stationId: own.id, parameter: "PM10", at: at(1), value: 18 },
    ];
    const answer = await gql("provider (own)", PUSH, { items });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const result = answer.data.pushReadings;
    expect(result).toMatchObject({ acceptedCount: 2, rejectedCount: 6, inserted: 2 });
    expect(result.items.map((item: Loose) => [item.index, item.accepted, item.errors.map((error: Loose) => error.field)])).toEqual([
      [0, true, []],
      [1, false, ["stationId"]],
      [2, false, ["stationId"]],
      [3, false, ["value"]],
      [4, false, ["unit"]],
      [5, false, ["parameter"]],
      [6, false, ["at"]],
      [7, true, []],
    ]);
    const readings = stack.mongo.db("services").collection("readings");
    expect(await readings.countDocuments({ stationId: { $in: [own.id, theirs.id] } })).toBe(2);

    const before = await snapshotServices();
    const again = await gql("provider (own)", PUSH, { items: [items[0], items[7]] });
    expect(again.data.pushReadings).toMatchObject({ acceptedCount: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(await snapshotServices()).toEqual(before);
  });

  it("refuses more than 1,000 items naming the field", async () => {
    const items = Array.from({ length: 1_001 }, () => ({ stationId: "x", parameter: "PM10", at: new Date().toISOString(), value: 1 }));
    expect(extensionsOf(await gql("provider (own)", PUSH, { items }))).toMatchObject({ code: "BAD_USER_INPUT", field: "items" });
  });
});

describe("alerts and the district view", () => {
  it("raises an NO2 alert above the hourly 200 µg/m³, shows it in the district view, and clears it when the next hour falls back", async () => {
    const station = await createStation("provider (own)");
    const hourStart = Math.floor(Date.now() / HOUR) * HOUR;
    const twoHoursAgo = (minutes: number) => new Date(hourStart - 2 * HOUR + minutes * MINUTE).toISOString();
    const VIEW = `{ district(id: "centar") { id latestReadings { stationId parameter value unit } openAlerts { id stationId parameter status lastMean } } }`;

    const raised = await gql("provider (own)", PUSH, {
      items: [
        { stationId: station.id, parameter: "NO2", at: twoHoursAgo(10), value: 180 },
        { stationId: station.id, parameter: "NO2", at: twoHoursAgo(40), value: 260 },
      ],
    });
    expect(raised.errors, JSON.stringify(raised.errors)).toBeUndefined();
    const alert = raised.data.pushReadings.alertsRaised[0];
    expect(raised.data.pushReadings.alertsRaised).toEqual([{ id: alert.id, stationId: station.id, parameter: "NO2", status: "OPEN", lastMean: 220, threshold: 200 }]);

    const view = await gql("operator", VIEW);
    expect(view.errors, JSON.stringify(view.errors)).toBeUndefined();
    expect(view.data.district.latestReadings).toContainEqual({ stationId: station.id, parameter: "NO2", value: 260, unit: "µg/m³" });
    expect(view.data.district.openAlerts).toContainEqual({ id: alert.id, stationId: station.id, parameter: "NO2", status: "OPEN", lastMean: 220 });
    const open = await gql("anonymous", `{ openEnvironmentAlerts(districtId: "centar", parameter: NO2) { nodes { id } } }`);
    expect(open.data.openEnvironmentAlerts.nodes.map((node: Loose) => node.id)).toContain(alert.id);

    // The next hour's mean is 90: the alert clears, and stays in the history.
    const cleared = await gql("provider (own)", PUSH, {
      items: [{ stationId: station.id, parameter: "NO2", at: new Date(hourStart - HOUR + 5 * MINUTE).toISOString(), value: 90 }],
    });
    expect(cleared.data.pushReadings.alertsCleared).toEqual([{ id: alert.id, stationId: station.id, parameter: "NO2", status: "CLEARED", lastMean: 90, peakMean: 220 }]);
    const after = await gql("operator", VIEW);
    expect(after.data.district.openAlerts.map((entry: Loose) => entry.id)).not.toContain(alert.id);
    expect(after.data.district.latestReadings).toContainEqual({ stationId: station.id, parameter: "NO2", value: 90, unit: "µg/m³" });
    const history = await gql("operator", `query ($stationId: ID) { environmentAlerts(stationId: $stationId) { totalCount nodes { id status peakMean clearedAt } } }`, {
      stationId: station.id,
    });
    expect(history.data.environmentAlerts).toMatchObject({ totalCount: 1, nodes: [{ id: alert.id, status: "CLEARED", peakMean: 220 }] });
    expect(history.data.environmentAlerts.nodes[0].clearedAt).toEqual(expect.any(String));
  });

  it("answers every district's environment in one request", async () => {
    const answer = await gql("operator", `{ districts { id latestReadings { parameter } openAlerts { id } } }`);
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.districts.length).toBe(KRUSEVAC_DISTRICTS.length);
  });
});

// ---------------------------------------------------------------------------------------------------
// The authorization matrix

type Outcome = "written" | "UNAUTHENTICATED" | "FORBIDDEN" | "item rejected";

const PROVIDER_WRITE: Record<Role, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "written",
  "city-staff": "FORBIDDEN",
  "provider (own)": "written",
  "provider (other)": "FORBIDDEN",
  business: "FORBIDDEN",
  admin: "written",
};

const ADMIN_ONLY: Record<Role, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "FORBIDDEN",
  "city-staff": "FORBIDDEN",
  "provider (own)": "FORBIDDEN",
  "provider (other)": "FORBIDDEN",
  business: "FORBIDDEN",
  admin: "written",
};

interface MutationCase {
  expected: Record<Role, Outcome>;
  /** Makes what the call works on (the own provider's station), before the snapshot. */
  setup?(): Promise<string>;
  run(who: Role, target: string | undefined): Promise<GraphQLAnswer<Loose>>;
  written(data: Loose): boolean;
}

let matrixPushes = 0;
const MUTATIONS: Record<string, MutationCase> = {
  createStation: {
    expected: PROVIDER_WRITE,
    run: (who) => gql(who, CREATE, { input: stationInput() }),
    written: (data) => typeof data?.createStation?.id === "string",
  },
  updateStation: {
    expected: PROVIDER_WRITE,
    setup: async () => (await createStation("operator")).id,
    run: (who, target) => gql(who, UPDATE, { id: target, input: { name: `${RUN} by ${who}` } }),
    written: (data) => typeof data?.updateStation?.id === "string",
  },
  pushReadings: {
    // A batch is a provider's own business: another provider's items are rejected one by one.
    expected: { ...PROVIDER_WRITE, "provider (other)": "item rejected" },
    setup: async () => (await createStation("operator")).id,
    run: (who, target) => {
      matrixPushes++;
      return gql(who, PUSH, { items: [{ stationId: target, parameter: "TEMPERATURE", at: new Date(Date.now() - matrixPushes * MINUTE).toISOString(), value: 12 }] });
    },
    written: (data) => data?.pushReadings?.acceptedCount === 1,
  },
  setEnvironmentThreshold: {
    expected: ADMIN_ONLY,
    run: (who) => gql(who, SET_THRESHOLD, { parameter: "PM10", value: 50, averaging: "DAY", enabled: true }),
    written: (data) => data?.setEnvironmentThreshold?.parameter === "PM10",
  },
};

describe("authorization matrix: every environment mutation × role × own/other provider", () => {
  const table = Object.entries(MUTATIONS).flatMap(([mutation, spec]) => ROLES.map((role) => ({ mutation, role, expected: spec.expected[role] })));

  it.each(table)("$mutation as $role: $expected", async ({ mutation, role, expected }) => {
    const spec = MUTATIONS[mutation]!;
    const target = await spec.setup?.();
    const before = await snapshotServices();
    const answer = await spec.run(role, target);

    if (expected === "written") {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(spec.written(answer.data)).toBe(true);
      return;
    }
    if (expected === "item rejected") {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(spec.written(answer.data)).toBe(false);
      expect(answer.data.pushReadings.items[0].errors.map((error: Loose) => error.field)).toEqual(["stationId"]);
    } else {
      expect(extensionsOf(answer)?.code).toBe(expected);
      expect(answer.data ?? null).toBeNull();
    }
    expect(await snapshotServices()).toEqual(before);
  });
});
