import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS } from "../seed/demo-data.js";
import { startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

describe("providers over the subgraph's HTTP server", () => {
  let stack: ServicesTestStack;

  beforeAll(async () => {
    stack = await startServicesTestStack();
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("rejects a request without an identity token with 401", async () => {
    const response = await stack.query("{ providers { id } }", {}, null);
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lists the providers to an anonymous caller", async () => {
    const response = await stack.query("{ providers { id name kind email } }");
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const providers = response.body.data?.providers as { id: string; name: string; kind: string }[];
    expect(providers).toHaveLength(DEMO_PROVIDERS.length);
    expect(providers).toContainEqual(
      expect.objectContaining({ id: "jkp-vodovod-krusevac", name: "ЈКП „Водовод“ Крушевац", kind: "WATER" }),
    );
  });

  it("finds one provider by id, and answers null for an unknown one", async () => {
    const query = "query ($id: ID!) { provider(id: $id) { id kind } }";
    const found = await stack.query(query, { id: "jkp-gradska-toplana-krusevac" });
    expect(found.body.data?.provider).toEqual({ id: "jkp-gradska-toplana-krusevac", kind: "HEATING" });
    const missing = await stack.query(query, { id: "no-such-provider" });
    expect(missing.body).toEqual({ data: { provider: null } });
  });

  it("reports an empty id as bad input naming the field", async () => {
    const response = await stack.query('{ provider(id: "  ") { id } }');
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
  });

  it("resolves Provider entities for the gateway", async () => {
    const response = await stack.query(
      "query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Provider { id name } } }",
      { representations: [{ __typename: "Provider", id: "jkp-krusevac" }, { __typename: "Provider", id: "unknown" }] },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?._entities).toEqual([{ id: "jkp-krusevac", name: "ЈКП „Крушевац“" }, null]);
  });
});
