// City's GraphQL classes loaded too, as in a process that hosts both subgraphs (the compose script,
// in-process end-to-end tests): city's District, whose static resolveReference reads city's
// repositories, must not become the reference resolver of this subgraph's District.
import "@situation/city-subgraph";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
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

interface DistrictBusinesses {
  _entities: ({
    id: string;
    businesses: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; totalCount: number };
  } | null)[];
}

const ENTITIES_QUERY = `query DistrictBusinesses($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on District { id businesses(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }
  }
}`;

const entities = (representations: unknown[], variables: Record<string, unknown> = {}) =>
  postGraphQL<DistrictBusinesses>(url, store.config.identitySecret, { query: ENTITIES_QUERY, variables: { representations, ...variables } });

const representation = (districtId: string) => {
  const district = KRUSEVAC_DISTRICTS.find((candidate) => candidate.id === districtId)!;
  return { __typename: "District", id: district.id, boundary: district.boundary };
};

const expectedIn = (districtId: string) =>
  demo
    .filter((business) => business.districtId === districtId)
    .map((business) => business.id)
    .sort();

describe("District.businesses, as the gateway asks for it", () => {
  it("returns the businesses inside the boundary given in the representation", async () => {
    const response = await entities([representation("centar"), representation("jasika")], { first: 100 });
    expect(response.errors).toBeUndefined();
    const [centar, jasika] = response.data!._entities;
    expect(centar?.id).toBe("centar");
    expect(centar?.businesses.nodes.map((node) => node.id)).toEqual(expectedIn("centar"));
    expect(centar?.businesses.totalCount).toBe(expectedIn("centar").length);
    expect(jasika?.businesses.nodes.map((node) => node.id)).toEqual(expectedIn("jasika"));
  });

  it("pages within a district", async () => {
    const expected = expectedIn("centar");
    const first = await entities([representation("centar")], { first: 5 });
    const page = first.data!._entities[0]!.businesses;
    expect(page.nodes.map((node) => node.id)).toEqual(expected.slice(0, 5));
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await entities([representation("centar")], { first: 5, after: page.pageInfo.endCursor });
    expect(second.data!._entities[0]!.businesses.nodes.map((node) => node.id)).toEqual(expected.slice(5, 10));
  });

  it("answers a missing or invalid boundary with BAD_USER_INPUT on field boundary", async () => {
    const missing = await entities([{ __typename: "District", id: "centar" }]);
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "boundary" });
    expect(missing.errors?.[0]?.message).toMatch(/District centar: boundary is required/);

    const invalid = await entities([{ __typename: "District", id: "centar", boundary: { type: "MultiPolygon", coordinates: [[[[0, 0]]]] } }]);
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "boundary" });
  });

  it("declares District as an entity extended with @external boundary and @requires", async () => {
    const response = await postGraphQL<{ _service: { sdl: string } }>(url, store.config.identitySecret, { query: "{ _service { sdl } }" });
    const sdl = response.data!._service.sdl;
    expect(sdl).toMatch(/type District\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/boundary: GeoMultiPolygon! @external/);
    expect(sdl).toMatch(/businesses\([^)]*first: Int = 20[^)]*after: String[^)]*\): BusinessConnection! @requires\(fields: "boundary \{ type coordinates \}"\)/s);
  });
});
