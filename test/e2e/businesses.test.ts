/**
 * Businesses (issue 6) through the gateway, with real credentials: bearer tokens for operators, city
 * staff and admins, platform API keys for a provider, and the very keys `registerBusiness` and
 * `rotateMyApiKey` hand out for businesses. Registration and its validation, self-service with the
 * business's own key (and not another's), key rotation, search in either Serbian script, status
 * counts on the district (an expired report stops counting), and the authorization matrix of every
 * business mutation × role × own/other business, where a denied call stores nothing.
 */
import { BUSINESS_DATABASE, registryNumberCheckDigit, taxIdCheckDigit } from "@situation/business-subgraph";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { createApiKey, issueAccessToken, PLATFORM_DATABASE } from "@situation/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLAnswer } from "../support/graphql.js";
import { startStack, type Stack } from "../support/stack.js";

const HOUR = 3_600_000;
const RUN = `e2e-${process.pid}-${Date.now().toString(36)}`;

// Responses are checked by the assertions themselves; typing every query's shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

type Staff = "operator" | "city-staff" | "admin" | "provider";
/** Who calls: a fixed credential, or a business's API key as given. */
type Who = "anonymous" | Staff | { key: string };

let stack: Stack;
const headers = {} as Record<Staff, Record<string, string>>;
/** Businesses this file registered: deleted, with their reports and keys, after each test. */
const registeredIds = new Set<string>();

beforeAll(async () => {
  stack = await startStack({ name: "businesses" });
  const secret = stack.config.jwtSecret;
  const bearer = async (subject: string, role: "operator" | "city-staff" | "admin") => ({
    authorization: `Bearer ${await issueAccessToken({ subject, roles: [role] }, secret)}`,
  });
  headers.operator = await bearer("e2e-operator-ana", "operator");
  headers["city-staff"] = await bearer("e2e-staff-marko", "city-staff");
  headers.admin = await bearer("e2e-admin-jelena", "admin");
  const provider = await createApiKey(stack.mongo.db(PLATFORM_DATABASE), {
    roles: ["provider"],
    providerId: "jkp-vodovod-krusevac",
    label: `${RUN} provider`,
  });
  headers.provider = { "x-api-key": provider.key };
});

afterEach(async () => {
  const ids = [...registeredIds];
  registeredIds.clear();
  const business = stack.mongo.db(BUSINESS_DATABASE);
  await business.collection<{ _id: string }>("businesses").deleteMany({ _id: { $in: ids } });
  await business.collection("reports").deleteMany({ businessId: { $in: ids } });
  await stack.mongo.db(PLATFORM_DATABASE).collection("apiKeys").deleteMany({ businessId: { $in: ids } });
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
  const callerHeaders = who === "anonymous" ? {} : typeof who === "string" ? headers[who] : { "x-api-key": who.key };
  return stack.query<TData>(query, variables, callerHeaders);
}

function extensionsOf(answer: GraphQLAnswer<unknown>): Record<string, unknown> | undefined {
  return answer.errors?.[0]?.extensions;
}

const CENTAR = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!;
const [CENTRE_LON, CENTRE_LAT] = CENTAR.centre.coordinates as [number, number];

// Registry numbers no seed business uses: a random 7-digit body starting with 97, and its check digits.
let serial = Math.floor(Math.random() * 50_000);
function nextRegistryNumber(): string {
  for (;;) {
    const body = `97${String(serial++ % 100_000).padStart(5, "0")}`;
    const check = registryNumberCheckDigit(body);
    if (check !== undefined) return `${body}${check}`;
  }
}
function nextTaxId(): string {
  const body = `18${String(serial++ % 1_000_000).padStart(6, "0")}`;
  return `${body}${taxIdCheckDigit(body)}`;
}

function registration(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    registryNumber: nextRegistryNumber(),
    taxId: nextTaxId(),
    activity: { code: "47.73", label: "Трговина на мало фармацеутским производима у специјализованим продавницама (апотеке)" },
    address: { street: "Видовданска", number: "10", city: "Крушевац" },
    location: { longitude: CENTRE_LON, latitude: CENTRE_LAT },
    openingHours: "Mon-Fri 08:00-20:00; Sat 08:00-14:00; Sun closed",
    ...overrides,
  };
}

const REGISTER = `mutation ($input: RegisterBusinessInput!) {
  registerBusiness(input: $input) {
    business { id name registryNumber taxId openingHours { text } }
    apiKey { businessId key keyId }
  }
}`;
const UPDATE = `mutation ($id: ID!, $input: UpdateBusinessInput!) {
  updateBusiness(id: $id, input: $input) { id name tradingName openingHours { text periods { day opens closes } } }
}`;
const ISSUE = `mutation ($businessId: ID!) { issueBusinessApiKey(businessId: $businessId) { businessId key keyId } }`;
const ROTATE = `mutation { rotateMyApiKey { businessId key keyId } }`;
const FILE = `mutation ($businessId: ID!, $input: BusinessReportInput!) {
  fileBusinessReport(businessId: $businessId, input: $input) { id businessId kind status current validUntil }
}`;
const MINE = `{ myBusiness { id name } }`;

interface Registered {
  id: string;
  key: string;
  keyId: string;
  registryNumber: string;
}

async function register(name: string, overrides: Record<string, unknown> = {}, who: Who = "city-staff"): Promise<Registered> {
  const answer = await gql(who, REGISTER, { input: registration(name, overrides) });
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  const { business, apiKey } = answer.data.registerBusiness;
  registeredIds.add(business.id);
  return { id: business.id, key: apiKey.key, keyId: apiKey.keyId, registryNumber: business.registryNumber };
}

function statusReport(status: string, validUntil = new Date(Date.now() + HOUR)): Record<string, unknown> {
  return { kind: "STATUS", status, validUntil: validUntil.toISOString() };
}

/** What the business subgraph stores, and the platform's keys, to compare before and after a denied call. */
async function snapshotBusinessData(): Promise<unknown> {
  const contents: Record<string, unknown> = {};
  for (const [database, names] of [
    [BUSINESS_DATABASE, ["businesses", "reports"]],
    [PLATFORM_DATABASE, ["apiKeys"]],
  ] as const) {
    for (const name of names) {
      contents[`${database}.${name}`] = await stack.mongo.db(database).collection(name).find({}).sort({ _id: 1 }).toArray();
    }
  }
  return contents;
}

// ---------------------------------------------------------------------------------------------------

describe("registration by city staff", () => {
  it("registers a business and returns its API key once; the key works through the gateway", async () => {
    const answer = await gql("city-staff", REGISTER, { input: registration("Апотека Лазар Крушевац") });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const { business, apiKey } = answer.data.registerBusiness;
    registeredIds.add(business.id);
    expect(apiKey.businessId).toBe(business.id);
    expect(apiKey.key).toMatch(/^shk_/);
    expect(business.openingHours.text).toBe("Mon-Fri 08:00-20:00; Sat 08:00-14:00; Sun closed");
    // Only its hash is stored.
    const stored = await stack.mongo.db(PLATFORM_DATABASE).collection("apiKeys").find({ businessId: business.id }).toArray();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(apiKey.key);

    const mine = await gql({ key: apiKey.key }, MINE);
    expect(mine.errors, JSON.stringify(mine.errors)).toBeUndefined();
    expect(mine.data.myBusiness).toEqual({ id: business.id, name: "Апотека Лазар Крушевац" });
    // The key is not shown again anywhere: reading the business has no key field to ask for.
    const read = await gql("city-staff", `query ($id: ID!) { business(id: $id) { id } }`, { id: business.id });
    expect(JSON.stringify(read.data)).not.toContain(apiKey.key);
  });

  it.each([
    ["a registry number with a wrong check digit", (input: Loose) => ({ registryNumber: wrongLastDigit(input.registryNumber as string) }), "registryNumber"],
    ["a registry number that is not 8 digits", () => ({ registryNumber: "1234567" }), "registryNumber"],
    ["a PIB with a wrong check digit", (input: Loose) => ({ taxId: wrongLastDigit(input.taxId as string) }), "taxId"],
    ["hours that do not parse", () => ({ openingHours: "понедељак-петак од 8 до 20" }), "openingHours"],
    ["hours that close before they open", () => ({ openingHours: "Mon-Fri 20:00-08:00" }), "openingHours"],
  ])("refuses %s with BAD_USER_INPUT naming the field, storing nothing", async (_name, change, field) => {
    const input = registration(`${RUN} Лоша фирма`);
    const before = await snapshotBusinessData();
    const answer = await gql("city-staff", REGISTER, { input: { ...input, ...change(input) } });
    expect(answer.data ?? null).toBeNull();
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await snapshotBusinessData()).toEqual(before);
  });

  it("refuses a second business with the same registry number with CONFLICT", async () => {
    const first = await register("Пекара Житни Цвет");
    const before = await snapshotBusinessData();
    const answer = await gql("city-staff", REGISTER, { input: registration("Pekara Žitni Cvet 2", { registryNumber: first.registryNumber }) });
    expect(extensionsOf(answer)?.code).toBe("CONFLICT");
    expect(answer.data ?? null).toBeNull();
    expect(await snapshotBusinessData()).toEqual(before);
  });
});

function wrongLastDigit(value: string): string {
  return `${value.slice(0, -1)}${(Number(value.at(-1)) + 1) % 10}`;
}

describe("a business's own API key", () => {
  it("updates its own hours and trading name, and may not change registry fields", async () => {
    const own = await register("Књижара Вук Караџић");
    const answer = await gql({ key: own.key }, UPDATE, {
      id: own.id,
      input: { tradingName: "Вукова књижара", openingHours: "Mon-Sat 09:00-21:00; Sun 10:00-14:00" },
    });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.updateBusiness).toMatchObject({
      id: own.id,
      tradingName: "Вукова књижара",
      openingHours: { text: "Mon-Sat 09:00-21:00; Sun 10:00-14:00" },
    });
    expect(answer.data.updateBusiness.openingHours.periods).toContainEqual({ day: "Sun", opens: "10:00", closes: "14:00" });

    const badHours = await gql({ key: own.key }, UPDATE, { id: own.id, input: { openingHours: "увек" } });
    expect(extensionsOf(badHours)).toMatchObject({ code: "BAD_USER_INPUT", field: "openingHours" });
    const renamed = await gql({ key: own.key }, UPDATE, { id: own.id, input: { name: "Друго име" } });
    expect(extensionsOf(renamed)?.code).toBe("FORBIDDEN");
    const stored = await stack.mongo.db(BUSINESS_DATABASE).collection("businesses").findOne({ _id: own.id as never });
    expect(stored?.name).toBe("Књижара Вук Караџић");
  });

  it("is FORBIDDEN on another business, which stays as it was", async () => {
    const own = await register("Кафана Шумадија");
    const other = await register("Ресторан Бахус");
    const before = await snapshotBusinessData();
    const update = await gql({ key: own.key }, UPDATE, { id: other.id, input: { openingHours: "Mon-Sun closed" } });
    expect(extensionsOf(update)?.code).toBe("FORBIDDEN");
    const report = await gql({ key: own.key }, FILE, { businessId: other.id, input: statusReport("CLOSED") });
    expect(extensionsOf(report)?.code).toBe("FORBIDDEN");
    const reports = await gql({ key: own.key }, `query ($id: ID!) { business(id: $id) { reports { id } } }`, { id: other.id });
    expect(extensionsOf(reports)?.code).toBe("FORBIDDEN");
    expect(await snapshotBusinessData()).toEqual(before);
  });

  it("rotateMyApiKey: the old key then fails with 401, the new one works", async () => {
    const own = await register("Бензинска станица Расина");
    const rotated = await gql({ key: own.key }, ROTATE);
    expect(rotated.errors, JSON.stringify(rotated.errors)).toBeUndefined();
    const fresh = rotated.data.rotateMyApiKey;
    expect(fresh.businessId).toBe(own.id);
    expect(fresh.key).not.toBe(own.key);

    const withOld = await gql({ key: own.key }, MINE);
    expect(withOld.status).toBe(401);
    expect(extensionsOf(withOld)?.code).toBe("UNAUTHENTICATED");
    const withNew = await gql({ key: fresh.key }, MINE);
    expect(withNew.errors, JSON.stringify(withNew.errors)).toBeUndefined();
    expect(withNew.data.myBusiness.id).toBe(own.id);

    // Staff re-issuing (a lost key) likewise retires the current one.
    const issued = await gql("city-staff", ISSUE, { businessId: own.id });
    expect(issued.errors, JSON.stringify(issued.errors)).toBeUndefined();
    expect((await gql({ key: fresh.key }, MINE)).status).toBe(401);
    expect((await gql({ key: issued.data.issueBusinessApiKey.key }, MINE)).data?.myBusiness.id).toBe(own.id);
  });
});

describe("unknown businesses and the join with the services subgraph", () => {
  it("answers staff acting on a business that does not exist with NOT_FOUND, storing nothing (no orphan key)", async () => {
    const before = await snapshotBusinessData();
    const issued = await gql("city-staff", ISSUE, { businessId: `${RUN}-no-such-business` });
    expect(extensionsOf(issued)?.code).toBe("NOT_FOUND");
    const filed = await gql("city-staff", FILE, { businessId: `${RUN}-no-such-business`, input: statusReport("OPEN") });
    expect(extensionsOf(filed)?.code).toBe("NOT_FOUND");
    expect(await snapshotBusinessData()).toEqual(before);
  });

  it("shows an outage whose area covers the business in Business.affectingOutages", async () => {
    const shop = await register("Апотека Бела Апотека");
    const half = 0.001;
    const created = await gql(
      "operator",
      `mutation ($input: OutageInput!) { createOutage(input: $input) { id } }`,
      {
        input: {
          providerId: "jkp-vodovod-krusevac",
          planned: false,
          status: "ACTIVE",
          startsAt: new Date(Date.now() - HOUR).toISOString(),
          description: `${RUN} квар на цевоводу`,
          affectedArea: {
            type: "Polygon",
            coordinates: [
              [
                [CENTRE_LON - half, CENTRE_LAT - half],
                [CENTRE_LON + half, CENTRE_LAT - half],
                [CENTRE_LON + half, CENTRE_LAT + half],
                [CENTRE_LON - half, CENTRE_LAT + half],
                [CENTRE_LON - half, CENTRE_LAT - half],
              ],
            ],
          },
        },
      },
    );
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    const outageId: string = created.data.createOutage.id;
    try {
      const answer = await gql("operator", `query ($id: ID!) { business(id: $id) { name affectingOutages { id status } } }`, { id: shop.id });
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(answer.data.business.name).toBe("Апотека Бела Апотека");
      expect(answer.data.business.affectingOutages).toContainEqual({ id: outageId, status: "ACTIVE" });
    } finally {
      await stack.mongo.db("services").collection<{ _id: string }>("outages").deleteOne({ _id: outageId });
    }
  });
});

describe("search by name in either Serbian script, through the gateway", () => {
  const SEARCH = `query ($query: String!) { searchBusinesses(query: $query, first: 100) { totalCount nodes { id name tradingName } } }`;

  async function foundIds(query: string): Promise<string[]> {
    const answer = await gql("anonymous", SEARCH, { query });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    return answer.data.searchBusinesses.nodes.map((node: Loose) => node.id);
  }

  it("finds a Latin-written name by a Cyrillic query, a Cyrillic one by a Latin query, with or without diacritics", async () => {
    const latin = await register("Pekara Đurđevak Ljubičevac");
    const cyrillic = await register("Месара Жупска Ћуприја", { tradingName: "Месара Чачак-Шабац" });

    for (const query of ["Ђурђевак", "ђурђ", "Љубичевац", "Djurdjevak", "durdevak", "ljubicevac", "PEKARA ĐURĐEVAK"]) {
      expect(await foundIds(query), query).toContain(latin.id);
    }
    for (const query of ["Župska Ćuprija", "zupska cuprija", "Cuprija", "čačak", "sabac", "Месара Жупска", "мес жуп"]) {
      expect(await foundIds(query), query).toContain(cyrillic.id);
    }
    // Every word must match: a word neither name has finds neither.
    expect(await foundIds("Ђурђевак Ћуприја")).not.toContain(latin.id);
    expect(await foundIds("Ђурђевак Ћуприја")).not.toContain(cyrillic.id);
  });
});

describe("operational reports in the district's status counts", () => {
  const COUNTS = `{ district(id: "centar") { businessStatusCounts { open closed limited unreported } } }`;

  async function counts(): Promise<{ open: number; closed: number; limited: number; unreported: number }> {
    const answer = await gql("operator", COUNTS);
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    return answer.data.district.businessStatusCounts;
  }

  it("counts a current report, and stops counting it once it has expired (it stays in the history)", async () => {
    const start = await counts();
    const open = await register("Хотел Рубин");
    const closing = await register("Паркинг гаража Центар");
    const registered = await counts();
    expect(registered).toEqual({ ...start, unreported: start.unreported + 2 });

    const filed = await gql({ key: open.key }, FILE, { businessId: open.id, input: statusReport("OPEN") });
    expect(filed.errors, JSON.stringify(filed.errors)).toBeUndefined();
    expect(filed.data.fileBusinessReport).toMatchObject({ businessId: open.id, kind: "STATUS", status: "OPEN", current: true });
    // Staff may file for any business: a short-lived CLOSED report.
    const expiresAt = new Date(Date.now() + 3_000);
    const short = await gql("city-staff", FILE, { businessId: closing.id, input: statusReport("CLOSED", expiresAt) });
    expect(short.errors, JSON.stringify(short.errors)).toBeUndefined();

    expect(await counts()).toEqual({ ...start, open: start.open + 1, closed: start.closed + 1 });

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 100));
    expect(await counts()).toEqual({ ...start, open: start.open + 1, unreported: start.unreported + 1 });
    const history = await gql("city-staff", `query ($id: ID!) { business(id: $id) { current: reports { id } all: reports(includeExpired: true) { id current status } } }`, {
      id: closing.id,
    });
    expect(history.errors, JSON.stringify(history.errors)).toBeUndefined();
    expect(history.data.business.current).toEqual([]);
    expect(history.data.business.all).toEqual([{ id: short.data.fileBusinessReport.id, current: false, status: "CLOSED" }]);
  });

  it("refuses an occupancy above capacity, naming the field", async () => {
    const garage = await register("Гаража Косовска");
    const answer = await gql({ key: garage.key }, FILE, {
      businessId: garage.id,
      input: { kind: "OCCUPANCY", capacity: 100, occupancy: 101, validUntil: new Date(Date.now() + HOUR).toISOString() },
    });
    expect(extensionsOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field: "occupancy" });
  });
});

// ---------------------------------------------------------------------------------------------------
// The authorization matrix

const ROLES = ["anonymous", "operator", "city-staff", "provider", "business (own)", "business (other)", "admin"] as const;
type Role = (typeof ROLES)[number];
type Outcome = "written" | "UNAUTHENTICATED" | "FORBIDDEN";

/** Staff (and admin) for any business, a business for itself. */
const OWN_OR_STAFF: Record<Role, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "FORBIDDEN",
  "city-staff": "written",
  provider: "FORBIDDEN",
  "business (own)": "written",
  "business (other)": "FORBIDDEN",
  admin: "written",
};
const STAFF_ONLY: Record<Role, Outcome> = { ...OWN_OR_STAFF, "business (own)": "FORBIDDEN" };

interface MutationCase {
  expected: Record<Role, Outcome>;
  /** Runs the mutation on the own business's data (the target). */
  run(who: Who, target: Registered): Promise<GraphQLAnswer<Loose>>;
  written(data: Loose, target: Registered): boolean;
}

const MUTATIONS: Record<string, MutationCase> = {
  registerBusiness: {
    // Not about an existing business: a business's key may register none, its own or another's.
    expected: STAFF_ONLY,
    run: (who) => gql(who, REGISTER, { input: registration(`${RUN} Нова радња`) }),
    written: (data) => {
      if (typeof data?.registerBusiness?.business?.id !== "string") return false;
      registeredIds.add(data.registerBusiness.business.id);
      return true;
    },
  },
  updateBusiness: {
    expected: OWN_OR_STAFF,
    run: (who, target) => gql(who, UPDATE, { id: target.id, input: { tradingName: `${RUN} ново име` } }),
    written: (data, target) => data?.updateBusiness?.id === target.id,
  },
  issueBusinessApiKey: {
    expected: STAFF_ONLY,
    run: (who, target) => gql(who, ISSUE, { businessId: target.id }),
    written: (data, target) => data?.issueBusinessApiKey?.businessId === target.id,
  },
  rotateMyApiKey: {
    // It names no business: a business's key rotates itself (so "other" rotates its own), nobody else has one.
    expected: {
      anonymous: "UNAUTHENTICATED",
      operator: "FORBIDDEN",
      "city-staff": "FORBIDDEN",
      provider: "FORBIDDEN",
      "business (own)": "written",
      "business (other)": "written",
      admin: "FORBIDDEN",
    },
    run: (who) => gql(who, ROTATE),
    written: (data) => typeof data?.rotateMyApiKey?.key === "string",
  },
  fileBusinessReport: {
    expected: OWN_OR_STAFF,
    run: (who, target) => gql(who, FILE, { businessId: target.id, input: statusReport("LIMITED") }),
    written: (data, target) => data?.fileBusinessReport?.businessId === target.id,
  },
};

describe("authorization matrix: every business mutation × role × own/other business", () => {
  const table = Object.entries(MUTATIONS).flatMap(([mutation, spec]) =>
    ROLES.map((role) => ({ mutation, role, expected: spec.expected[role] })),
  );

  it.each(table)("$mutation as $role: $expected", async ({ mutation, role, expected }) => {
    const spec = MUTATIONS[mutation]!;
    // Fresh businesses each time: a rotation or a re-issue retires the keys it touches.
    const own = await register(`${RUN} Своја радња`);
    const other = await register(`${RUN} Туђа радња`);
    const who: Who = role === "business (own)" ? { key: own.key } : role === "business (other)" ? { key: other.key } : role;
    const before = await snapshotBusinessData();
    const answer = await spec.run(who, own);
    if (expected === "written") {
      expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
      expect(spec.written(answer.data, own)).toBe(true);
      return;
    }
    expect(extensionsOf(answer)?.code).toBe(expected);
    expect(answer.data ?? null).toBeNull();
    expect(await snapshotBusinessData()).toEqual(before);
  });
});
