import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCityServer, type CityServer } from "../server.js";
import { postGraphQL, startTestStore, type TestStore } from "../test-support/test-stack.js";
import { seedDistrictsIfEmpty } from "./district.seed.js";
import { KRUSEVAC_DISTRICTS } from "./district.seed-data.js";

let store: TestStore;
let server: CityServer;
let url: string;

beforeAll(async () => {
  store = await startTestStore();
  server = createCityServer({
    config: store.config,
    mongo: store.mongo,
    logger: store.logger,
    port: 0,
    databaseName: store.databaseName,
  });
  url = await server.start();
  await seedDistrictsIfEmpty(server.repositories.districts);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const graphql = <TData>(query: string, variables?: Record<string, unknown>) =>
  postGraphQL<TData>(url, store.config.identitySecret, { query, ...(variables ? { variables } : {}) });

interface DistrictFields {
  id: string;
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  boundary: { type: string; coordinates: number[][][][] };
  centre: { type: string; coordinates: number[] };
}

describe("the city subgraph over HTTP", () => {
  it("lets an anonymous caller list every district", async () => {
    const response = await graphql<{ districts: Pick<DistrictFields, "id" | "nameLatin" | "population">[] }>(
      "{ districts { id nameLatin population } }",
    );
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.districts).toHaveLength(KRUSEVAC_DISTRICTS.length);
    expect(response.data?.districts).toContainEqual({ id: "pakastica", nameLatin: "Pakaštica", population: 10_500 });
  });

  it("answers district(id) with names, geometry and centre, and null for an unknown id", async () => {
    const query = `query District($id: ID!) {
      district(id: $id) { id nameCyrillic nameLatin population boundary { type coordinates } centre { type coordinates } }
    }`;
    const response = await graphql<{ district: DistrictFields | null }>(query, { id: "ujedinjene-nacije" });
    const seed = KRUSEVAC_DISTRICTS.find((district) => district.id === "ujedinjene-nacije")!;
    expect(response.errors).toBeUndefined();
    expect(response.data?.district).toEqual({
      id: seed.id,
      nameCyrillic: "Уједињене нације",
      nameLatin: "Ujedinjene nacije",
      population: seed.population,
      boundary: seed.boundary,
      centre: seed.centre,
    });
    const missing = await graphql<{ district: DistrictFields | null }>(query, { id: "atlantis" });
    expect(missing.errors).toBeUndefined();
    expect(missing.data?.district).toBeNull();
  });

  it("resolves District entities by id for the gateway", async () => {
    const response = await graphql<{ _entities: (Pick<DistrictFields, "id" | "nameCyrillic"> | null)[] }>(
      `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on District { id nameCyrillic } } }`,
      {
        representations: [
          { __typename: "District", id: "bivolje" },
          { __typename: "District", id: "atlantis" },
        ],
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toEqual([{ id: "bivolje", nameCyrillic: "Бивоље" }, null]);
  });

  it("publishes District as a federation entity keyed by id", async () => {
    const response = await graphql<{ _service: { sdl: string } }>("{ _service { sdl } }");
    expect(response.data?._service.sdl).toMatch(/type District\s+@key\(fields: "id"\)/);
  });

  it("rejects a request without an identity token with 401", async () => {
    const response = await postGraphQL(url, store.config.identitySecret, { query: "{ districts { id } }" }, null);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(response.data).toBeUndefined();
  });

  it("rejects a token signed with another secret with 401", async () => {
    const response = await postGraphQL(url, "another-secret-that-is-at-least-32-characters", { query: "{ districts { id } }" });
    expect(response.status).toBe(401);
  });
});
