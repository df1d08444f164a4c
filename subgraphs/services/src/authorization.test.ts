/**
 * The authorization matrix: every mutation of this subgraph × every role, for a provider's own data
 * and another's, over the real HTTP server with signed identities. A denied call must write nothing.
 */
import { ANONYMOUS, type Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "./seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type GraphQLResponse, type ServicesTestStack } from "./test-support/services-test-stack.js";

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

/** What a role gets: the write done, an error code with nothing written, or (batches) its item rejected. */
type Outcome = "written" | "UNAUTHENTICATED" | "FORBIDDEN" | "item rejected";

const PROVIDER_WRITE: Record<RoleName, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "written",
  "city-staff": "FORBIDDEN",
  "provider (own)": "written",
  "provider (other)": "FORBIDDEN",
  business: "FORBIDDEN",
  admin: "written",
};

/** Registering providers is the city's (admins'); changing one's contacts is also the provider's own. */
const ADMIN_ONLY: Record<RoleName, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  operator: "FORBIDDEN",
  "city-staff": "FORBIDDEN",
  "provider (own)": "FORBIDDEN",
  "provider (other)": "FORBIDDEN",
  business: "FORBIDDEN",
  admin: "written",
};
const ADMIN_OR_OWN_PROVIDER: Record<RoleName, Outcome> = { ...ADMIN_ONLY, "provider (own)": "written" };

function outageInput(): Record<string, unknown> {
  return {
    providerId: OWN,
    planned: true,
    startsAt: new Date(TEST_NOW.getTime() + 3_600_000).toISOString(),
    affectedArea: hexagon(KRUSEVAC_CENTRE, 0.2),
    description: "Радови",
  };
}

interface MutationCase {
  name: string;
  expected: Record<RoleName, Outcome>;
  /** Runs the mutation on the own provider's data. */
  run(identity: Identity): Promise<GraphQLResponse>;
  /** Whether the response reports the write done. */
  written(response: GraphQLResponse): boolean;
}

describe("authorization matrix of the services subgraph's mutations", () => {
  let stack: ServicesTestStack;
  let ownOutageId: string;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
    const created = await stack.query(
      "mutation ($input: OutageInput!) { createOutage(input: $input) { id } }",
      { input: outageInput() },
      ROLES.operator,
    );
    ownOutageId = (created.body.data?.createOutage as { id: string }).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Everything stored, to compare before and after a denied call. */
  async function snapshot(): Promise<unknown> {
    const db = stack.mongo.client.db(stack.databaseName);
    const collections = await db.listCollections({}, { nameOnly: true }).toArray();
    const contents: Record<string, unknown> = {};
    for (const { name } of collections.sort((left, right) => left.name.localeCompare(right.name))) {
      contents[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
    }
    return contents;
  }

  const cases: MutationCase[] = [
    {
      name: "createOutage",
      expected: PROVIDER_WRITE,
      run: (identity) =>
        stack.query("mutation ($input: OutageInput!) { createOutage(input: $input) { id } }", { input: outageInput() }, identity),
      written: (response) => typeof (response.body.data?.createOutage as { id?: unknown } | null)?.id === "string",
    },
    {
      name: "updateOutage",
      expected: PROVIDER_WRITE,
      run: (identity) =>
        stack.query(
          "mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { id } }",
          { id: ownOutageId, input: { note: `by ${identity.subject}` } },
          identity,
        ),
      written: (response) => (response.body.data?.updateOutage as { id?: unknown } | null)?.id === ownOutageId,
    },
    {
      name: "upsertOutages",
      // A batch is a provider's own business: another provider's items are rejected one by one.
      expected: { ...PROVIDER_WRITE, "provider (other)": "item rejected" },
      run: (identity) =>
        stack.query(
          "mutation ($items: [OutageInput!]!) { upsertOutages(items: $items) { acceptedCount items { accepted errors { field } } } }",
          { items: [outageInput()] },
          identity,
        ),
      written: (response) => (response.body.data?.upsertOutages as { acceptedCount?: unknown } | null)?.acceptedCount === 1,
    },
    {
      name: "setServiceStatus",
      expected: PROVIDER_WRITE,
      run: (identity) =>
        stack.query(
          `mutation ($providerId: ID!) { setServiceStatus(providerId: $providerId, service: "Водоснабдевање", status: DEGRADED) { service } }`,
          { providerId: OWN },
          identity,
        ),
      written: (response) => (response.body.data?.setServiceStatus as { service?: unknown } | null)?.service === "Водоснабдевање",
    },
    {
      name: "createProvider",
      expected: ADMIN_ONLY,
      run: (identity) =>
        stack.query(
          "mutation ($input: ProviderCreateInput!) { createProvider(input: $input) { id } }",
          { input: { id: `matrix-${identity.subject}`, name: "Ново предузеће", kind: "WASTE", serviceArea: hexagon(KRUSEVAC_CENTRE, 1) } },
          identity,
        ),
      written: (response) => typeof (response.body.data?.createProvider as { id?: unknown } | null)?.id === "string",
    },
    {
      name: "updateProvider (contacts and service area)",
      expected: ADMIN_OR_OWN_PROVIDER,
      run: (identity) =>
        stack.query(
          "mutation ($id: ID!, $input: ProviderUpdateInput!) { updateProvider(id: $id, input: $input) { id } }",
          {
            id: OWN,
            input: { contacts: [{ label: `by ${identity.subject}`, phone: "037 123 456" }], serviceArea: hexagon(KRUSEVAC_CENTRE, 2) },
          },
          identity,
        ),
      written: (response) => (response.body.data?.updateProvider as { id?: unknown } | null)?.id === OWN,
    },
  ];

  for (const mutation of cases) {
    describe(mutation.name, () => {
      it.each(Object.keys(ROLES) as RoleName[])("as %s", async (role) => {
        const expected = mutation.expected[role];
        const before = await snapshot();
        const response = await mutation.run(ROLES[role]);
        expect(response.status).toBe(200);
        if (expected === "written") {
          expect(response.body.errors).toBeUndefined();
          expect(mutation.written(response)).toBe(true);
          return;
        }
        if (expected === "item rejected") {
          expect(response.body.errors).toBeUndefined();
          expect(mutation.written(response)).toBe(false);
          expect(JSON.stringify(response.body.data)).toContain('"field":"providerId"');
        } else {
          expect(response.body.errors?.[0]?.extensions?.code).toBe(expected);
          expect(response.body.data).toBeNull();
        }
        expect(await snapshot()).toEqual(before);
      });
    });
  }
});
