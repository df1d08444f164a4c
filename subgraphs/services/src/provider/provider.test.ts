import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE, hexagon } from "../seed/demo-data.js";
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

  describe("createProvider and updateProvider", () => {
    const admin: Identity = { subject: "admin-1", roles: ["admin"] };
    const CREATE = `mutation ($input: ProviderCreateInput!) {
      createProvider(input: $input) { id name kind phone email website contacts { label phone email } serviceArea { type coordinates } }
    }`;
    const UPDATE = `mutation ($id: ID!, $input: ProviderUpdateInput!) {
      updateProvider(id: $id, input: $input) { id name phone contacts { label phone email } serviceArea { type } }
    }`;
    const west = { longitude: KRUSEVAC_CENTRE.longitude - 0.02, latitude: KRUSEVAC_CENTRE.latitude };
    const east = { longitude: KRUSEVAC_CENTRE.longitude + 0.02, latitude: KRUSEVAC_CENTRE.latitude };
    const newProvider = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      name: "  ЈКП   „Нови“ ",
      kind: "WASTE",
      phone: "+381 37 123-456",
      contacts: [{ label: "Дежурна служба", phone: "037 999 000" }],
      serviceArea: hexagon(west, 1),
      ...extra,
    });
    const stored = (id: string) => stack.mongo.client.db(stack.databaseName).collection("providers").findOne({ _id: id as never });

    it("creates a provider with contacts and a service area, normalised", async () => {
      const response = await stack.query(CREATE, { input: newProvider("jkp-novi") }, admin);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.createProvider).toMatchObject({
        id: "jkp-novi",
        name: "ЈКП „Нови“",
        kind: "WASTE",
        phone: "+381 37 123-456",
        email: null,
        contacts: [{ label: "Дежурна служба", phone: "037 999 000", email: null }],
        serviceArea: { type: "MultiPolygon" },
      });
    });

    it.each([
      ["id", { id: "Not A Slug" }],
      ["name", { name: "   " }],
      ["phone", { phone: "call us" }],
      ["email", { email: "nobody" }],
      ["website", { website: "ftp://example.org" }],
      ["contacts[0]", { contacts: [{ label: "Ноћу" }] }],
      ["contacts[0].email", { contacts: [{ label: "Ноћу", email: "x@" }] }],
      ["serviceArea", { serviceArea: { type: "Point", coordinates: [21.3, 43.5] } }],
      ["serviceArea", { serviceArea: { type: "Polygon", coordinates: [[[21.32, 43.57], [21.34, 43.59], [21.34, 43.57], [21.32, 43.59], [21.32, 43.57]]] } }],
      ["serviceArea", { serviceArea: hexagon({ longitude: 20.5, latitude: 44.8 }, 1) }],
    ])("refuses a bad %s with BAD_USER_INPUT naming it, and stores nothing", async (field, change) => {
      const id = `bad-${field.replace(/[^a-z]/gi, "").toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`;
      const response = await stack.query(CREATE, { input: newProvider(id, change) }, admin);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(await stored(id)).toBeNull();
    });

    it("refuses an id that is taken, naming it", async () => {
      const response = await stack.query(CREATE, { input: newProvider("jkp-vodovod-krusevac") }, admin);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
      expect((await stored("jkp-vodovod-krusevac"))?.name).toBe("ЈКП „Водовод“ Крушевац");
    });

    it("lets a provider's own key change its contacts and service area, but not its name", async () => {
      const key: Identity = { subject: "key-novi", roles: ["provider"], providerId: "jkp-novi" };
      const moved = await stack.query(UPDATE, { id: "jkp-novi", input: { phone: null, contacts: [], serviceArea: hexagon(east, 1) } }, key);
      expect(moved.body.errors).toBeUndefined();
      expect(moved.body.data?.updateProvider).toEqual({ id: "jkp-novi", name: "ЈКП „Нови“", phone: null, contacts: [], serviceArea: { type: "MultiPolygon" } });

      const before = await stored("jkp-novi");
      const renamed = await stack.query(UPDATE, { id: "jkp-novi", input: { name: "Друго", phone: "037 1" } }, key);
      expect(renamed.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", details: { field: "name" } });
      const bad = await stack.query(UPDATE, { id: "jkp-novi", input: { email: "ok@example.org", serviceArea: { type: "Polygon", coordinates: [[[21, 43]]] } } }, key);
      expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "serviceArea" });
      expect(await stored("jkp-novi")).toEqual(before);
    });

    it("answers NOT_FOUND for an admin's update of an unknown provider", async () => {
      const response = await stack.query(UPDATE, { id: "no-such-provider", input: { phone: "037 1" } }, admin);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    });

    it("finds the providers serving a point, by kind too; a cleared service area serves nowhere", async () => {
      await stack.query(CREATE, { input: newProvider("jkp-zapad", { kind: "WATER", serviceArea: hexagon(west, 1) }) }, admin);
      const SERVING = "query ($longitude: Float!, $latitude: Float!, $kind: ServiceKind) { providersServing(longitude: $longitude, latitude: $latitude, kind: $kind) { id } }";
      const at = async (point: { longitude: number; latitude: number }, kind?: string) =>
        ((await stack.query(SERVING, { ...point, ...(kind ? { kind } : {}) })).body.data?.providersServing as { id: string }[]).map((provider) => provider.id);
      expect(await at(west)).toEqual(["jkp-zapad"]);
      expect(await at(east)).toEqual(["jkp-novi"]);
      expect(await at(east, "WATER")).toEqual([]);
      await stack.query(UPDATE, { id: "jkp-novi", input: { serviceArea: null } }, admin);
      expect(await at(east)).toEqual([]);
      const bad = await stack.query(SERVING, { longitude: 200, latitude: 43 });
      expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "longitude" });
    });
  });
});
