/**
 * Registration, self-service and search over HTTP, as the gateway calls the subgraph: with signed
 * identities, and for businesses with the identity their real API key resolves to.
 */
import { findIdentityByApiKey, type Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedBusinessesIfEmpty } from "../seed/seed.js";
import { createBusinessServer, type BusinessServer } from "../server.js";
import { postGraphQL, startTestStore, type GraphQLResponse, type TestStore } from "../test-support/test-stack.js";

let store: TestStore;
let server: BusinessServer;
let url: string;

beforeAll(async () => {
  store = await startTestStore();
  server = createBusinessServer({
    config: store.config,
    mongo: store.mongo,
    logger: store.logger,
    port: 0,
    databaseName: store.databaseName,
    platformDatabaseName: store.platformDatabaseName,
  });
  url = await server.start();
  await seedBusinessesIfEmpty(server.repositories.businesses);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const STAFF: Identity = { subject: "staff-1", roles: ["city-staff"] };
const ADMIN: Identity = { subject: "admin-1", roles: ["admin"] };
const OPERATOR: Identity = { subject: "operator-1", roles: ["operator"] };
const PROVIDER: Identity = { subject: "provider-1", roles: ["provider"], providerId: "jkp-vodovod" };

const graphql = <TData>(identity: Identity | null, query: string, variables?: Record<string, unknown>) =>
  postGraphQL<TData>(url, store.config.identitySecret, { query, ...(variables ? { variables } : {}) }, identity ?? undefined);

/** What the gateway does with an API key: look up its identity in the platform's key list. */
const identityOfKey = (key: string) => findIdentityByApiKey(store.mongo.db(store.platformDatabaseName), key);

const REGISTER = `mutation Register($input: RegisterBusinessInput!) {
  registerBusiness(input: $input) { business { id name registryNumber taxId openingHours { text periods { day opens closes } } } apiKey { businessId key keyId } }
}`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateBusinessInput!) { updateBusiness(id: $id, input: $input) { id tradingName contacts { phone email website } } }`;
const ISSUE = `mutation Issue($businessId: ID!) { issueBusinessApiKey(businessId: $businessId) { businessId key keyId } }`;
const ROTATE = `mutation { rotateMyApiKey { businessId key keyId } }`;
const MINE = `{ myBusiness { id name } }`;

interface Registered {
  registerBusiness: { business: { id: string; name: string }; apiKey: { businessId: string; key: string; keyId: string } };
}

let registrations = 0;
/** A registration input with valid, unused numbers. */
function registration(name: string): Record<string, unknown> {
  registrations++;
  // Bodies unlikely to collide with the demo set; numbers made valid by the check digits below.
  const mbBody = String(9_900_000 + registrations);
  return {
    name,
    registryNumber: withMbCheck(mbBody),
    taxId: withPibCheck(`19${String(registrations).padStart(6, "0")}`),
    activity: { code: "47.73", label: "Apoteka" },
    address: { street: "Vidovdanska", number: "10", city: "Kruševac" },
    location: { longitude: 21.3336, latitude: 43.58 },
    openingHours: "Mon-Fri 08:00-20:00; Sat 08:00-14:00",
  };
}

function withMbCheck(body: string): string {
  const weights = [2, 3, 4, 5, 6, 7, 2];
  const sum = [...body].reverse().reduce((total, digit, index) => total + Number(digit) * weights[index]!, 0);
  const remainder = sum % 11;
  if (remainder === 1) return withMbCheck(String(Number(body) + 1));
  return `${body}${remainder === 0 ? 0 : 11 - remainder}`;
}

function withPibCheck(body: string): string {
  let product = 10;
  for (const digit of body) product = (2 * ((product + Number(digit)) % 10 || 10)) % 11;
  return `${body}${(11 - product) % 10}`;
}

async function register(name: string): Promise<Registered["registerBusiness"]> {
  const response = await graphql<Registered>(STAFF, REGISTER, { input: registration(name) });
  expect(response.errors).toBeUndefined();
  return response.data!.registerBusiness;
}

const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code ?? "OK";

describe("registering a business", () => {
  it("returns the business and its API key once; the key resolves to that business", async () => {
    const { business, apiKey } = await register("Апотека Лазар");
    expect(apiKey.businessId).toBe(business.id);
    expect(apiKey.key).toMatch(/^shk_/);
    expect(await identityOfKey(apiKey.key)).toEqual({ subject: `api-key:${apiKey.keyId}`, roles: ["business"], businessId: business.id });
    const mine = await graphql<{ myBusiness: { id: string } }>((await identityOfKey(apiKey.key))!, MINE);
    expect(mine.data?.myBusiness.id).toBe(business.id);
  });

  it("answers invalid numbers and hours with BAD_USER_INPUT naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ registryNumber: "66143628" }, "registryNumber"],
      [{ registryNumber: "123" }, "registryNumber"],
      [{ taxId: "101134703" }, "taxId"],
      [{ openingHours: "Mon-Fri 8-20" }, "openingHours"],
      [{ activity: { code: "x", label: "y" } }, "activity.code"],
      [{ location: { longitude: 21.3, latitude: 95 } }, "location"],
      [{ contacts: { email: "nobody" } }, "contacts.email"],
    ];
    for (const [change, field] of cases) {
      const response = await graphql(STAFF, REGISTER, { input: { ...registration("Loša firma"), ...change } });
      expect(response.errors?.[0]?.extensions, field).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });

  it("answers a registry number already registered with CONFLICT", async () => {
    const input = registration("Prva");
    expect(codeOf(await graphql(STAFF, REGISTER, { input }))).toBe("OK");
    const again = await graphql(STAFF, REGISTER, { input: { ...input, name: "Druga", taxId: withPibCheck("18888888") } });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT" });
  });
});

describe("self-service with the business's own API key", () => {
  it("updates its own contacts and hours, but not another business's, nor its registry fields", async () => {
    const own = await register("Pekara Zora");
    const other = await register("Pekara Lipa");
    const ownIdentity = (await identityOfKey(own.apiKey.key))!;

    const updated = await graphql<{ updateBusiness: { tradingName: string; contacts: { phone: string } } }>(ownIdentity, UPDATE, {
      id: own.business.id,
      input: { tradingName: "Зора", contacts: { phone: "+381 37 111 222" }, openingHours: "Mon-Sun 06:00-20:00" },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateBusiness).toMatchObject({ tradingName: "Зора", contacts: { phone: "+381 37 111 222" } });

    const foreign = await graphql(ownIdentity, UPDATE, { id: other.business.id, input: { tradingName: "Oteta" } });
    expect(codeOf(foreign)).toBe("FORBIDDEN");
    expect((await server.repositories.businesses.findById(other.business.id))?.tradingName).toBeNull();

    const registryField = await graphql(ownIdentity, UPDATE, { id: own.business.id, input: { name: "Drugo ime" } });
    expect(registryField.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", details: { field: "name" } });
    expect(registryField.errors?.[0]?.message).toMatch(/only city staff may change name/);

    const badHours = await graphql(ownIdentity, UPDATE, { id: own.business.id, input: { openingHours: "non-stop" } });
    expect(badHours.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "openingHours" });
  });

  it("rotates its key: the new key works, the old one no longer resolves", async () => {
    const { business, apiKey } = await register("Kafe Sloga");
    const rotated = await graphql<{ rotateMyApiKey: { businessId: string; key: string; keyId: string } }>((await identityOfKey(apiKey.key))!, ROTATE);
    expect(rotated.errors).toBeUndefined();
    const fresh = rotated.data!.rotateMyApiKey;
    expect(fresh.businessId).toBe(business.id);
    expect(fresh.key).not.toBe(apiKey.key);
    expect(await identityOfKey(apiKey.key)).toBeUndefined();
    expect((await identityOfKey(fresh.key))?.businessId).toBe(business.id);
  });

  it("lets staff issue a new key, revoking the one the business held", async () => {
    const { business, apiKey } = await register("Hotel Rasina");
    const issued = await graphql<{ issueBusinessApiKey: { key: string } }>(STAFF, ISSUE, { businessId: business.id });
    expect(issued.errors).toBeUndefined();
    expect(await identityOfKey(apiKey.key)).toBeUndefined();
    expect((await identityOfKey(issued.data!.issueBusinessApiKey.key))?.businessId).toBe(business.id);
    expect(codeOf(await graphql(STAFF, ISSUE, { businessId: "business-none" }))).toBe("NOT_FOUND");
  });
});

describe("the authorization matrix", () => {
  it("allows each mutation exactly to the roles and owners it should", async () => {
    const own = await register("Market Duga");
    const other = await register("Market Sunce");
    const ownKey = (await identityOfKey(own.apiKey.key))!;
    const otherKey = (await identityOfKey(other.apiKey.key))!;
    const callers: Record<string, Identity | undefined> = {
      anonymous: undefined,
      operator: OPERATOR,
      provider: PROVIDER,
      "city-staff": STAFF,
      admin: ADMIN,
      "own business": ownKey,
      "other business": otherKey,
    };
    // Each operation acts on `own`; "other business" is another business's real key.
    const operations: Record<string, { run: (identity: Identity | undefined) => Promise<GraphQLResponse<unknown>>; expected: Record<string, string> }> = {
      registerBusiness: {
        run: (identity) => graphql(identity ?? null, REGISTER, { input: registration("Matrica") }),
        expected: { anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", "city-staff": "OK", admin: "OK", "own business": "FORBIDDEN", "other business": "FORBIDDEN" },
      },
      updateBusiness: {
        run: (identity) => graphql(identity ?? null, UPDATE, { id: own.business.id, input: { contacts: { email: "market@example.rs" } } }),
        expected: { anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", "city-staff": "OK", admin: "OK", "own business": "OK", "other business": "FORBIDDEN" },
      },
      issueBusinessApiKey: {
        run: (identity) => graphql(identity ?? null, ISSUE, { businessId: own.business.id }),
        expected: { anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", "city-staff": "OK", admin: "OK", "own business": "FORBIDDEN", "other business": "FORBIDDEN" },
      },
      rotateMyApiKey: {
        // Rotating with "own business" revokes that key, so it runs last in its row.
        run: (identity) => graphql(identity ?? null, ROTATE),
        expected: { anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", "city-staff": "FORBIDDEN", admin: "FORBIDDEN", "other business": "OK", "own business": "OK" },
      },
      myBusiness: {
        run: (identity) => graphql(identity ?? null, MINE),
        expected: { anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", "city-staff": "FORBIDDEN", admin: "FORBIDDEN", "own business": "OK", "other business": "OK" },
      },
    };
    const order = ["registerBusiness", "updateBusiness", "myBusiness", "issueBusinessApiKey", "rotateMyApiKey"];
    const actual: Record<string, Record<string, string>> = {};
    const expected: Record<string, Record<string, string>> = {};
    for (const name of order) {
      const operation = operations[name]!;
      actual[name] = {};
      expected[name] = operation.expected;
      // The subgraph trusts the signed identity; revoked keys are refused at the gateway, which
      // resolves them. So the identities resolved above stay usable here after a rotation.
      for (const caller of Object.keys(operation.expected)) {
        actual[name]![caller] = String(codeOf(await operation.run(callers[caller])));
      }
    }
    expect(actual).toEqual(expected);
  });
});

describe("searching over HTTP", () => {
  it("finds businesses by name in either script, by activity and in a district", async () => {
    await register("Цвећара Љубичица");
    const search = (variables: Record<string, unknown>) =>
      graphql<{ searchBusinesses: { nodes: { name: string }[]; totalCount: number } }>(
        undefined as unknown as Identity,
        `query S($query: String, $activityCode: String, $districtId: ID, $first: Int) { searchBusinesses(query: $query, activityCode: $activityCode, districtId: $districtId, first: $first) { nodes { name } totalCount } }`,
        variables,
      );
    const latin = await search({ query: "ljubicica" });
    expect(latin.errors).toBeUndefined();
    expect(latin.data?.searchBusinesses.nodes).toEqual([{ name: "Цвећара Љубичица" }]);
    const centar = await search({ districtId: "centar", activityCode: "47.73", first: 100 });
    expect(centar.errors).toBeUndefined();
    expect(centar.data?.searchBusinesses.totalCount).toBeGreaterThan(0);
    const unknown = await search({ districtId: "atlantida" });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "districtId" });
  });
});
