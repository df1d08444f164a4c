/**
 * Public services (issue 5) through the gateway, with real credentials: bearer tokens for operators,
 * city staff and admins, platform API keys for providers and a business. Providers push their own
 * outages (single and batch), are refused another provider's, see their outages in the district view,
 * and keep their status board; admins register providers, a provider keeps its own contacts and
 * service area, the catalog's categories show on each provider; the authorization matrix of every
 * services mutation × role × own/other checks that a denied call stores nothing.
 */
import { CITY_DATABASE } from "@situation/city-subgraph";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { createApiKey, issueAccessToken, PLATFORM_DATABASE } from "@situation/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLAnswer } from "../support/graphql.js";
import { startStack, type Stack } from "../support/stack.js";

const HOUR = 3_600_000;
const OWN = "jkp-vodovod-krusevac";
const OTHER = "elektrodistribucija-krusevac";
const GHOST = `e2e-ghost-provider-${process.pid}`;
const RUN = `e2e-${process.pid}-${Date.now().toString(36)}`;

// Responses are checked by the assertions themselves; typing every query's shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ROLES = ["anonymous", "operator", "city-staff", "provider (own)", "provider (other)", "business", "admin"] as const;
type Role = (typeof ROLES)[number];
type Who = Role | "ghost";

let stack: Stack;
const headers = {} as Record<Who, Record<string, string>>;
/** Outages and status-board services this file wrote, deleted after each test. */
const createdOutageIds = new Set<string>();
const createdServices = new Set<string>();
/** Providers this file registered, deleted after each test; the own provider is put back as it was. */
const createdProviderIds = new Set<string>();
let ownProviderAsSeeded: Record<string, unknown> | null = null;

beforeAll(async () => {
  stack = await startStack({ name: "public-services" });
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
  ownProviderAsSeeded = await providers().findOne({ _id: OWN });
});

afterEach(async () => {
  const services = stack.mongo.db("services");
  await services.collection<{ _id: string }>("outages").deleteMany({ _id: { $in: [...createdOutageIds] } });
  await services.collection("serviceStatuses").deleteMany({ service: { $in: [...createdServices] } });
  createdOutageIds.clear();
  createdServices.clear();
  await providers().deleteMany({ _id: { $in: [...createdProviderIds] } });
  createdProviderIds.clear();
  if (ownProviderAsSeeded) await providers().replaceOne({ _id: OWN }, ownProviderAsSeeded);
});

afterAll(async () => {
  await stack?.mongo
    .db(PLATFORM_DATABASE)
    .collection("apiKeys")
    .deleteMany({ label: { $regex: `^${RUN}` } })
    .catch(() => undefined);
  await stack?.close();
});

// ---------------------------------------------------------------------------------------------------
// Helpers

function gql<TData = Loose>(who: Who, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<TData>> {
  return stack.query<TData>(query, variables, headers[who]);
}

function extensionsOf(answer: GraphQLAnswer<unknown>): Record<string, unknown> | undefined {
  return answer.errors?.[0]?.extensions;
}

const CENTAR = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!;
const [CENTRE_LON, CENTRE_LAT] = CENTAR.centre.coordinates as [number, number];

/** A closed square ring of half-side `half` degrees around a point. */
function square(longitude: number, latitude: number, half: number) {
  return {
    type: "Polygon",
    coordinates: [
      [
        [longitude - half, latitude - half],
        [longitude + half, latitude - half],
        [longitude + half, latitude + half],
        [longitude - half, latitude + half],
        [longitude - half, latitude - half],
      ],
    ],
  };
}

/** A bow tie: its two edges cross at the centre. */
const SELF_INTERSECTING = {
  type: "Polygon",
  coordinates: [
    [
      [CENTRE_LON - 0.002, CENTRE_LAT - 0.002],
      [CENTRE_LON + 0.002, CENTRE_LAT + 0.002],
      [CENTRE_LON + 0.002, CENTRE_LAT - 0.002],
      [CENTRE_LON - 0.002, CENTRE_LAT + 0.002],
      [CENTRE_LON - 0.002, CENTRE_LAT - 0.002],
    ],
  ],
};
/** Belgrade: far outside Kruševac. */
const OUTSIDE_CITY = square(20.46, 44.81, 0.002);

let inputs = 0;
function outageInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  inputs++;
  return {
    providerId: OWN,
    planned: true,
    startsAt: new Date(Date.now() + HOUR).toISOString(),
    expectedEndAt: new Date(Date.now() + 5 * HOUR).toISOString(),
    affectedArea: square(CENTRE_LON, CENTRE_LAT, 0.001),
    description: `${RUN} радови на мрежи #${inputs}`,
    ...overrides,
  };
}

const OUTAGE_FIELDS = "id status planned description startsAt expectedEndAt estimatedPeopleAffected affectedDistricts { districtId people } provider { id } updates { status note }";
const CREATE = `mutation ($input: OutageInput!) { createOutage(input: $input) { ${OUTAGE_FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { ${OUTAGE_FIELDS} } }`;
const UPSERT = `mutation ($items: [OutageInput!]!) {
  upsertOutages(items: $items) { acceptedCount rejectedCount items { index id accepted errors { field message } } }
}`;
const SET_STATUS = `mutation ($providerId: ID!, $service: String!, $status: ServiceStatusLevel!, $note: String) {
  setServiceStatus(providerId: $providerId, service: $service, status: $status, note: $note) {
    service status note provider { id } history { status note }
  }
}`;

function providers() {
  return stack.mongo.db("services").collection<Record<string, unknown> & { _id: string }>("providers");
}

function outages() {
  return stack.mongo.db("services").collection<{ _id: string; providerId: string; description: string; updates: unknown[] }>("outages");
}

async function create(who: Who, input: Record<string, unknown>): Promise<Loose> {
  const answer = await gql(who, CREATE, { input });
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  createdOutageIds.add(answer.data.createOutage.id);
  return answer.data.createOutage;
}

/** Everything the services subgraph stores, to compare before and after a denied call. */
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

describe("a provider's key pushing its own outages", () => {
  it("creates and updates its own outage; the gateway answers with the provider and the timeline", async () => {
    const created = await create("provider (own)", outageInput({ note: "најава" }));
    expect(created).toMatchObject({ status: "ANNOUNCED", planned: true, provider: { id: OWN }, updates: [{ status: "ANNOUNCED", note: "најава" }] });
    expect(created.estimatedPeopleAffected).toBeGreaterThan(0);
    expect(created.affectedDistricts.map((impact: Loose) => impact.districtId)).toEqual(["centar"]);

    const updated = await gql("provider (own)", UPDATE, { id: created.id, input: { status: "ACTIVE", note: "почели радови" } });
    expect(updated.errors, JSON.stringify(updated.errors)).toBeUndefined();
    expect(updated.data.updateOutage.status).toBe("ACTIVE");
    expect(updated.data.updateOutage.updates).toEqual([
      { status: "ANNOUNCED", note: "најава" },
      { status: "ACTIVE", note: "почели радови" },
    ]);
    expect((await outages().findOne({ _id: created.id }))?.updates).toHaveLength(2);
  });

  it.each([
    ["a self-intersecting area", { affectedArea: SELF_INTERSECTING }, "affectedArea"],
    ["an area outside the city", { affectedArea: OUTSIDE_CITY }, "affectedArea"],
    ["an expected end before the start", { expectedEndAt: new Date(Date.now() - HOUR).toISOString() }, "expectedEndAt"],
    ["an empty description", { description: "  " }, "description"],
  ])("refuses %s with BAD_USER_INPUT naming the field, and stores nothing", async (_name, change, field) => {
    const before = await snapshotServices();
    const answer = await gql("provider (own)", CREATE, { input: outageInput(change) });
    expect(answer.data ?? null).toBeNull();
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await snapshotServices()).toEqual(before);
  });

  it("refuses an unknown provider with BAD_USER_INPUT on providerId (a key for a provider never registered, and an operator)", async () => {
    const before = await snapshotServices();
    const byGhost = await gql("ghost", CREATE, { input: outageInput({ providerId: GHOST }) });
    expect(extensionsOf(byGhost)).toMatchObject({ code: "BAD_USER_INPUT", field: "providerId" });
    const byOperator = await gql("operator", CREATE, { input: outageInput({ providerId: `${RUN}-nobody` }) });
    expect(extensionsOf(byOperator)).toMatchObject({ code: "BAD_USER_INPUT", field: "providerId" });
    expect(await snapshotServices()).toEqual(before);
  });

  it("refuses an update that would end before the start, naming the field, and keeps the outage as it was", async () => {
    const created = await create("provider (own)", outageInput());
    const stored = await outages().findOne({ _id: created.id });
    const answer = await gql("provider (own)", UPDATE, {
      id: created.id,
      input: { expectedEndAt: new Date(Date.parse(created.startsAt) - HOUR).toISOString() },
    });
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field: "expectedEndAt" });
    const bad = await gql("provider (own)", UPDATE, { id: created.id, input: { affectedArea: SELF_INTERSECTING } });
    expect(extensionsOf(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "affectedArea" });
    expect(await outages().findOne({ _id: created.id })).toEqual(stored);
  });

  it("answers an update of an outage that does not exist with NOT_FOUND", async () => {
    const answer = await gql("provider (own)", UPDATE, { id: `${RUN}-no-such-outage`, input: { note: "?" } });
    expect(extensionsOf(answer)?.code).toBe("NOT_FOUND");
  });

  it("is FORBIDDEN to create or update another provider's outage, and nothing changes", async () => {
    const theirs = await create("provider (other)", outageInput({ providerId: OTHER }));
    const before = await snapshotServices();
    const createForThem = await gql("provider (own)", CREATE, { input: outageInput({ providerId: OTHER }) });
    expect(extensionsOf(createForThem)?.code).toBe("FORBIDDEN");
    expect(createForThem.data ?? null).toBeNull();
    const updateTheirs = await gql("provider (own)", UPDATE, { id: theirs.id, input: { status: "CANCELLED", note: "not mine" } });
    expect(extensionsOf(updateTheirs)?.code).toBe("FORBIDDEN");
    expect(await snapshotServices()).toEqual(before);
  });
});

describe("upsertOutages, a batch with good, bad and foreign items", () => {
  it("reports per item and stores only the accepted ones; an externalId sent again updates its outage", async () => {
    const marker = `${RUN} batch`;
    const items = [
      outageInput({ externalId: `${RUN}-A`, description: `${marker} A` }),
      outageInput({ externalId: `${RUN}-B`, description: `${marker} B`, affectedArea: SELF_INTERSECTING }),
      outageInput({ externalId: `${RUN}-C`, description: `${marker} C`, providerId: OTHER }),
      outageInput({ externalId: `${RUN}-D`, description: `${marker} D`, expectedEndAt: new Date(Date.now() - HOUR).toISOString() }),
      outageInput({ externalId: `${RUN}-E`, description: `${marker} E`, affectedArea: OUTSIDE_CITY }),
      outageInput({ description: `${marker} F`, status: "ACTIVE", startsAt: new Date(Date.now() - HOUR).toISOString() }),
    ];
    const answer = await gql("provider (own)", UPSERT, { items });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const result = answer.data.upsertOutages;
    for (const item of result.items) if (item.id) createdOutageIds.add(item.id);
    expect(result.acceptedCount).toBe(2);
    expect(result.rejectedCount).toBe(4);
    expect(result.items.map((item: Loose) => [item.index, item.accepted, item.errors.map((error: Loose) => error.field)])).toEqual([
      [0, true, []],
      [1, false, ["affectedArea"]],
      [2, false, ["providerId"]],
      [3, false, ["expectedEndAt"]],
      [4, false, ["affectedArea"]],
      [5, true, []],
    ]);
    const acceptedIds = result.items.filter((item: Loose) => item.accepted).map((item: Loose) => item.id);
    const stored = await outages()
      .find({ description: { $regex: `^${marker}` } })
      .toArray();
    expect(stored.map((outage) => outage._id).sort()).toEqual([...acceptedIds].sort());
    expect(stored.map((outage) => outage.description).sort()).toEqual([`${marker} A`, `${marker} F`]);
    expect(stored.every((outage) => outage.providerId === OWN)).toBe(true);

    // The same externalId again: the outage it names is updated, not duplicated.
    const again = await gql("provider (own)", UPSERT, {
      items: [outageInput({ externalId: `${RUN}-A`, description: `${marker} A, продужено` })],
    });
    expect(again.errors, JSON.stringify(again.errors)).toBeUndefined();
    expect(again.data.upsertOutages.items[0]).toMatchObject({ accepted: true, id: result.items[0].id });
    expect(await outages().countDocuments({ description: { $regex: `^${marker}` } })).toBe(2);
    expect((await outages().findOne({ _id: result.items[0].id }))?.description).toBe(`${marker} A, продужено`);
  });
});

describe("the district view", () => {
  it("shows a new active outage in district { activeOutages peopleAffectedNow }", async () => {
    const VIEW = `{ district(id: "centar") { population activeOutages { id status provider { id } } peopleAffectedNow } }`;
    const before = await gql("operator", VIEW);
    expect(before.errors, JSON.stringify(before.errors)).toBeUndefined();

    const created = await create(
      "provider (own)",
      outageInput({
        status: "ACTIVE",
        planned: false,
        startsAt: new Date(Date.now() - HOUR).toISOString(),
        affectedArea: square(CENTRE_LON, CENTRE_LAT, 0.003),
      }),
    );
    const impact = created.affectedDistricts.find((entry: Loose) => entry.districtId === "centar")?.people;
    expect(impact).toBeGreaterThan(0);

    const after = await gql("operator", VIEW);
    expect(after.errors, JSON.stringify(after.errors)).toBeUndefined();
    const district = after.data.district;
    expect(district.activeOutages).toContainEqual({ id: created.id, status: "ACTIVE", provider: { id: OWN } });
    expect(before.data.district.activeOutages.map((outage: Loose) => outage.id)).not.toContain(created.id);
    expect(district.peopleAffectedNow).toBe(Math.min(district.population, before.data.district.peopleAffectedNow + impact));

    // Resolved, it no longer counts.
    const resolved = await gql("provider (own)", UPDATE, { id: created.id, input: { status: "RESOLVED" } });
    expect(resolved.errors, JSON.stringify(resolved.errors)).toBeUndefined();
    const later = await gql("operator", VIEW);
    expect(later.data.district.activeOutages.map((outage: Loose) => outage.id)).not.toContain(created.id);
    expect(later.data.district.peopleAffectedNow).toBe(before.data.district.peopleAffectedNow);
  });
});

describe("the service status board", () => {
  it("keeps a provider's statuses with history, and refuses another provider's key", async () => {
    const service = `${RUN} Водоснабдевање Расадник`;
    createdServices.add(service);
    const degraded = await gql("provider (own)", SET_STATUS, { providerId: OWN, service, status: "DEGRADED", note: "низак притисак" });
    expect(degraded.errors, JSON.stringify(degraded.errors)).toBeUndefined();
    const down = await gql("provider (own)", SET_STATUS, { providerId: OWN, service, status: "DOWN", note: "пукла цев" });
    expect(down.errors, JSON.stringify(down.errors)).toBeUndefined();
    expect(down.data.setServiceStatus).toMatchObject({ service, status: "DOWN", provider: { id: OWN } });

    const before = await snapshotServices();
    const foreign = await gql("provider (other)", SET_STATUS, { providerId: OWN, service, status: "OPERATIONAL" });
    expect(extensionsOf(foreign)?.code).toBe("FORBIDDEN");
    const blank = await gql("provider (own)", SET_STATUS, { providerId: OWN, service: "   ", status: "OPERATIONAL" });
    expect(extensionsOf(blank)).toMatchObject({ code: "BAD_USER_INPUT", field: "service" });
    expect(await snapshotServices()).toEqual(before);

    const board = await gql("anonymous", `query ($providerId: ID) {
      serviceStatusBoard(providerId: $providerId, first: 200) { totalCount nodes { service status note provider { id } history { status note } } }
    }`, { providerId: OWN });
    expect(board.errors, JSON.stringify(board.errors)).toBeUndefined();
    const row = board.data.serviceStatusBoard.nodes.find((node: Loose) => node.service === service);
    expect(row).toEqual({
      service,
      status: "DOWN",
      note: "пукла цев",
      provider: { id: OWN },
      history: [
        { status: "DOWN", note: "пукла цев" },
        { status: "DEGRADED", note: "низак притисак" },
      ],
    });
    const down2 = await gql("operator", `{ serviceStatusBoard(status: DOWN, first: 200) { nodes { service } } }`);
    expect(down2.data.serviceStatusBoard.nodes.map((node: Loose) => node.service)).toContain(service);
  });
});

// ---------------------------------------------------------------------------------------------------
// Providers

const PROVIDER_FIELDS = "id name kind phone email website contacts { label phone email } serviceArea { type coordinates }";
const CREATE_PROVIDER = `mutation ($input: ProviderCreateInput!) { createProvider(input: $input) { ${PROVIDER_FIELDS} } }`;
const UPDATE_PROVIDER = `mutation ($id: ID!, $input: ProviderUpdateInput!) { updateProvider(id: $id, input: $input) { ${PROVIDER_FIELDS} } }`;
const SERVING = `query ($longitude: Float!, $latitude: Float!, $kind: ServiceKind) {
  providersServing(longitude: $longitude, latitude: $latitude, kind: $kind) { id }
}`;

let providerInputs = 0;
function providerInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  providerInputs++;
  const id = `e2e-${process.pid}-provider-${providerInputs}`;
  createdProviderIds.add(id);
  return {
    id,
    name: `ЈКП „Проба ${providerInputs}“`,
    kind: "WASTE",
    email: "info@proba.example",
    contacts: [{ label: "Дежурна служба", phone: "+381 37 100 200" }],
    serviceArea: square(CENTRE_LON, CENTRE_LAT, 0.004),
    ...overrides,
  };
}

describe("providers: registration, their own contacts and service area, the catalog's categories", () => {
  it("lets an admin register a provider, which then serves the points of its area", async () => {
    const input = providerInput();
    const answer = await gql("admin", CREATE_PROVIDER, { input });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.createProvider).toMatchObject({
      id: input.id,
      kind: "WASTE",
      contacts: [{ label: "Дежурна служба", phone: "+381 37 100 200", email: null }],
      serviceArea: { type: "MultiPolygon" },
    });
    const inside = await gql("anonymous", SERVING, { longitude: CENTRE_LON, latitude: CENTRE_LAT, kind: "WASTE" });
    expect(inside.data.providersServing.map((provider: Loose) => provider.id)).toContain(input.id);
    const outside = await gql("anonymous", SERVING, { longitude: CENTRE_LON + 0.01, latitude: CENTRE_LAT, kind: "WASTE" });
    expect(outside.data.providersServing.map((provider: Loose) => provider.id)).not.toContain(input.id);
  });

  it.each([
    ["serviceArea", "self-intersecting", { serviceArea: SELF_INTERSECTING }],
    ["serviceArea", "outside the city", { serviceArea: OUTSIDE_CITY }],
    ["serviceArea", "not GeoJSON", { serviceArea: { type: "Polygon", coordinates: [[[CENTRE_LON, CENTRE_LAT]]] } }],
    ["email", "not an address", { email: "info-at-proba" }],
    ["contacts[0]", "without phone or e-mail", { contacts: [{ label: "Ноћна служба" }] }],
    ["id", "not a slug", { id: "Ново Предузеће" }],
  ])("refuses a registration whose %s is %s with BAD_USER_INPUT naming it, storing nothing", async (field, _why, change) => {
    const before = await snapshotServices();
    const answer = await gql("admin", CREATE_PROVIDER, { input: providerInput(change) });
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(answer.data ?? null).toBeNull();
    expect(await snapshotServices()).toEqual(before);
  });

  it("lets a provider's key change its own contacts and service area, not its name nor another provider's", async () => {
    const changed = await gql("provider (own)", UPDATE_PROVIDER, {
      id: OWN,
      input: { contacts: [{ label: "Кварови", phone: "037 444 555", email: "kvarovi@vodovod.example" }], serviceArea: square(CENTRE_LON, CENTRE_LAT, 0.01) },
    });
    expect(changed.errors, JSON.stringify(changed.errors)).toBeUndefined();
    expect(changed.data.updateProvider.contacts).toEqual([{ label: "Кварови", phone: "037 444 555", email: "kvarovi@vodovod.example" }]);
    const serving = await gql("anonymous", SERVING, { longitude: CENTRE_LON, latitude: CENTRE_LAT, kind: "WATER" });
    expect(serving.data.providersServing).toEqual([{ id: OWN }]);

    const before = await snapshotServices();
    const renamed = await gql("provider (own)", UPDATE_PROVIDER, { id: OWN, input: { name: "Друго име" } });
    expect(extensionsOf(renamed)).toMatchObject({ code: "FORBIDDEN", details: { field: "name" } });
    const foreign = await gql("provider (other)", UPDATE_PROVIDER, { id: OWN, input: { phone: "037 000 000" } });
    expect(extensionsOf(foreign)?.code).toBe("FORBIDDEN");
    const badArea = await gql("provider (own)", UPDATE_PROVIDER, { id: OWN, input: { phone: "037 000 000", serviceArea: OUTSIDE_CITY } });
    expect(extensionsOf(badArea)).toMatchObject({ code: "BAD_USER_INPUT", field: "serviceArea" });
    expect(await snapshotServices()).toEqual(before);
  });

  it("shows on each provider the catalog categories it answers for, as the city's catalog says", async () => {
    const catalog = await stack.mongo
      .db(CITY_DATABASE)
      .collection<{ _id: string; active: boolean; responsible: { kind: string; id: string }; routingRules: { responsible: { kind: string; id: string } }[] }>(
        "serviceCategories",
      )
      .find({ active: true })
      .toArray();
    const expected = (providerId: string) =>
      catalog
        .filter((category) =>
          [category.responsible, ...category.routingRules.map((rule) => rule.responsible)].some(
            (assignee) => assignee.kind === "provider" && assignee.id === providerId,
          ),
        )
        .map((category) => category._id)
        .sort();
    const answer = await gql("anonymous", `{ providers { id serviceCategories { code responsible { kind id } } } }`);
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const listed: Loose[] = answer.data.providers;
    expect(listed.length).toBeGreaterThan(1);
    for (const provider of listed) {
      expect(provider.serviceCategories.map((category: Loose) => category.code), provider.id).toEqual(expected(provider.id));
    }
    expect(listed.find((provider) => provider.id === OWN)?.serviceCategories.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// The authorization matrix

/** What a role gets: the write done, an error code with nothing stored, or (batches) its item rejected. */
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

interface MutationCase {
  expected: Record<Role, Outcome>;
  /** Makes what the call works on (the own provider's outage), before the snapshot. */
  setup?(): Promise<string>;
  /** Runs the mutation on the own provider's data. */
  run(who: Role, target: string | undefined): Promise<GraphQLAnswer<Loose>>;
  written(data: Loose): boolean;
  /** Ids of outages the answer reports written, to clean up. */
  ids?(data: Loose): string[];
}

/** Registering providers is the city's (admins'); a provider may also change its own contacts. */
const ADMIN_ONLY: Record<Role, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "FORBIDDEN",
  "city-staff": "FORBIDDEN",
  "provider (own)": "FORBIDDEN",
  "provider (other)": "FORBIDDEN",
  business: "FORBIDDEN",
  admin: "written",
};

const MATRIX_SERVICE = `${RUN} matrix Водоснабдевање`;

const MUTATIONS: Record<string, MutationCase> = {
  createOutage: {
    expected: PROVIDER_WRITE,
    run: (who) => gql(who, `mutation ($input: OutageInput!) { createOutage(input: $input) { id } }`, { input: outageInput() }),
    written: (data) => typeof data?.createOutage?.id === "string",
    ids: (data) => [data.createOutage.id],
  },
  updateOutage: {
    expected: PROVIDER_WRITE,
    setup: async () => (await create("operator", outageInput())).id,
    run: (who, target) =>
      gql(who, `mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { id } }`, {
        id: target,
        input: { note: `by ${who}` },
      }),
    written: (data) => typeof data?.updateOutage?.id === "string",
  },
  upsertOutages: {
    // A batch is a provider's own business: another provider's items are rejected one by one.
    expected: { ...PROVIDER_WRITE, "provider (other)": "item rejected" },
    run: (who) => gql(who, UPSERT, { items: [outageInput()] }),
    written: (data) => data?.upsertOutages?.acceptedCount === 1,
    ids: (data) => data.upsertOutages.items.map((item: Loose) => item.id).filter(Boolean),
  },
  setServiceStatus: {
    expected: PROVIDER_WRITE,
    run: (who) => {
      createdServices.add(MATRIX_SERVICE);
      return gql(who, SET_STATUS, { providerId: OWN, service: MATRIX_SERVICE, status: "DEGRADED", note: `by ${who}` });
    },
    written: (data) => data?.setServiceStatus?.service === MATRIX_SERVICE,
  },
  createProvider: {
    expected: ADMIN_ONLY,
    run: (who) => gql(who, `mutation ($input: ProviderCreateInput!) { createProvider(input: $input) { id } }`, { input: providerInput() }),
    written: (data) => typeof data?.createProvider?.id === "string",
  },
  updateProvider: {
    expected: { ...ADMIN_ONLY, "provider (own)": "written" },
    run: (who) =>
      gql(who, `mutation ($id: ID!, $input: ProviderUpdateInput!) { updateProvider(id: $id, input: $input) { id } }`, {
        id: OWN,
        input: { contacts: [{ label: `by ${who}`, phone: "037 123 456" }], serviceArea: square(CENTRE_LON, CENTRE_LAT, 0.01) },
      }),
    written: (data) => data?.updateProvider?.id === OWN,
  },
};

describe("authorization matrix: every services mutation × role × own/other provider", () => {
  const table = Object.entries(MUTATIONS).flatMap(([mutation, spec]) =>
    ROLES.map((role) => ({ mutation, role, expected: spec.expected[role] })),
  );

  it.each(table)("$mutation as $role: $expected", async ({ mutation, role, expected }) => {
    const spec = MUTATIONS[mutation]!;
    const target = await spec.setup?.();
    const before = await snapshotServices();
    const answer = await spec.run(role, target);
    for (const id of answer.data ? (spec.ids?.(answer.data) ?? []) : []) createdOutageIds.add(id);

    if (expected === "written") {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(spec.written(answer.data)).toBe(true);
      return;
    }
    if (expected === "item rejected") {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(spec.written(answer.data)).toBe(false);
      expect(answer.data.upsertOutages.items[0].errors.map((error: Loose) => error.field)).toEqual(["providerId"]);
    } else {
      expect(extensionsOf(answer)?.code).toBe(expected);
      expect(answer.data ?? null).toBeNull();
    }
    expect(await snapshotServices()).toEqual(before);
  });
});
