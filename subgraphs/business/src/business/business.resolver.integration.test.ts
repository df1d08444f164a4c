import { ANONYMOUS } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { seedBusinessesIfEmpty } from "../seed/seed.js";
import { createBusinessServer, type BusinessServer } from "../server.js";
import { postGraphQL, startTestStore, type TestStore } from "../test-support/test-stack.js";

let store: TestStore;
let server: BusinessServer;
let url: string;
const demo = demoBusinesses();

beforeAll(async () => {
  store = await startTestStore();
  server = createBusinessServer({ config: store.config, mongo: store.mongo, logger: store.logger, port: 0, databaseName: store.databaseName });
  url = await server.start();
  await seedBusinessesIfEmpty(server.repositories.businesses);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const graphql = <TData>(query: string, variables?: Record<string, unknown>) =>
  postGraphQL<TData>(url, store.config.identitySecret, { query, ...(variables ? { variables } : {}) }, ANONYMOUS);

interface Page {
  businesses: {
    edges: { cursor: string; node: { id: string } }[];
    nodes: { id: string }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    totalCount: number;
  };
}

const PAGE_QUERY = `query Page($first: Int, $after: String) {
  businesses(first: $first, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } totalCount }
}`;

describe("the business subgraph over HTTP", () => {
  it("counts matches whenever totalCount is selected, directly or through a fragment", async () => {
    const bakeries = demo.filter((business) => business.activity.code === "10.71").length;
    const direct = await graphql<{ searchBusinesses: { totalCount: number } }>(
      `{ searchBusinesses(activityCode: "10.71", first: 1) { totalCount } }`,
    );
    const inline = await graphql<{ searchBusinesses: { totalCount: number } }>(
      `{ searchBusinesses(activityCode: "10.71", first: 1) { ... on BusinessConnection { totalCount } } }`,
    );
    const named = await graphql<{ searchBusinesses: { total: number } }>(
      `query { searchBusinesses(activityCode: "10.71", first: 1) { ...Counted } } fragment Counted on BusinessConnection { total: totalCount }`,
    );
    const without = await graphql<{ searchBusinesses: { nodes: { id: string }[] } }>(`{ searchBusinesses(activityCode: "10.71", first: 1) { nodes { id } } }`);
    expect([direct.errors, inline.errors, named.errors, without.errors]).toEqual([undefined, undefined, undefined, undefined]);
    expect(direct.data?.searchBusinesses.totalCount).toBe(bakeries);
    expect(inline.data?.searchBusinesses.totalCount).toBe(bakeries);
    expect(named.data?.searchBusinesses.total).toBe(bakeries);
    expect(without.data?.searchBusinesses.nodes).toHaveLength(1);
  });

  it("lets an anonymous caller read a business's registry fields", async () => {
    const business = demo[3]!;
    const response = await graphql<{ business: unknown }>(
      `query One($id: ID!) { business(id: $id) { id name registryNumber activity { code label } address { street number city } location { type coordinates } } }`,
      { id: business.id },
    );
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.business).toEqual({
      id: business.id,
      name: business.name,
      registryNumber: business.registryNumber,
      activity: business.activity,
      address: business.address,
      location: business.location,
    });
    const missing = await graphql<{ business: unknown }>(`{ business(id: "business-9999") { id } }`);
    expect(missing.data?.business).toBeNull();
  });

  it("pages through businesses with cursors, 20 at a time by default", async () => {
    const firstPage = await graphql<Page>(PAGE_QUERY);
    expect(firstPage.errors).toBeUndefined();
    expect(firstPage.data?.businesses.nodes).toHaveLength(20);
    expect(firstPage.data?.businesses.totalCount).toBe(demo.length);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response: Awaited<ReturnType<typeof graphql<Page>>> = await graphql<Page>(PAGE_QUERY, { first: 100, after });
      const page = response.data!.businesses;
      expect(page.edges.map((edge) => edge.node.id)).toEqual(page.nodes.map((node) => node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(demo.map((business) => business.id).sort());
  });

  it("answers bad paging arguments with BAD_USER_INPUT naming the argument", async () => {
    const tooMany = await graphql<Page>(PAGE_QUERY, { first: 500 });
    expect(tooMany.data).toBeNull();
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    const badCursor = await graphql<Page>(PAGE_QUERY, { after: "definitely-not-ours" });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect(badCursor.errors?.[0]?.message).toMatch(/after is not a cursor/);
  });

  it("resolves Business entities by id for the gateway", async () => {
    const response = await graphql<{ _entities: unknown[] }>(
      `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Business { id name } } }`,
      { representations: [{ __typename: "Business", id: demo[0]!.id }, { __typename: "Business", id: "business-9999" }] },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toEqual([{ id: demo[0]!.id, name: demo[0]!.name }, null]);
  });

  it("rejects a request without an identity token with 401", async () => {
    const response = await postGraphQL(url, store.config.identitySecret, { query: "{ businesses { totalCount } }" }, null);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(response.data).toBeUndefined();
  });
});
