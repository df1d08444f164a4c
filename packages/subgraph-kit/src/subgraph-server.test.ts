import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { IDENTITY_HEADER, REQUEST_ID_HEADER, signIdentity, ANONYMOUS, type Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFederatedSchema } from "./federated-schema.js";
import { startSubgraphServer, type SubgraphServer } from "./subgraph-server.js";
import { createCapturingLogger } from "./test-support/capture-logger.js";
import { sampleWidgets, WidgetResolver, type WidgetContext } from "./test-support/widget-subgraph.js";

const identitySecret = `kit-test-secret-${randomUUID()}`;
const operator: Identity = { subject: "op-1", roles: ["operator"] };
const business: Identity = { subject: "biz-1", roles: ["business"], businessId: "b-1" };

let server: SubgraphServer;
const capture = createCapturingLogger("widgets-test");

beforeAll(async () => {
  const schema = await buildFederatedSchema({ resolvers: [WidgetResolver] });
  const widgets = sampleWidgets();
  server = await startSubgraphServer({
    name: "widgets",
    schema,
    host: "127.0.0.1",
    port: 0,
    identitySecret,
    logger: capture.logger,
    context: (): Partial<WidgetContext> => ({ widgets }),
  });
});

afterAll(async () => {
  await server.close();
});

/** A GraphQL answer's JSON body, as far as these tests read it. */
interface AnswerBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function graphql(
  query: string,
  options: { identity?: Identity; token?: string; requestId?: string; variables?: Record<string, unknown> } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = options.token ?? (options.identity ? await signIdentity(options.identity, identitySecret) : undefined);
  if (token !== undefined) headers[IDENTITY_HEADER] = token;
  if (options.requestId !== undefined) headers[REQUEST_ID_HEADER] = options.requestId;
  const response = await fetch(server.url, { method: "POST", headers, body: JSON.stringify({ query, variables: options.variables }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as AnswerBody };
}

describe("startSubgraphServer", () => {
  it("answers /health without an identity", async () => {
    const response = await fetch(server.url.replace("/graphql", "/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", name: "widgets" });
  });

  it("rejects a GraphQL request without an identity token with 401", async () => {
    const { status, body } = await graphql("{ widget(id: \"w1\") { name } }");
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED" });
    expect(body.errors?.[0]?.message).toContain(IDENTITY_HEADER);
  });

  it("rejects a token signed with another secret, naming the reason", async () => {
    const token = await signIdentity(operator, `another-secret-${randomUUID()}`);
    const { status, body } = await graphql("{ widget(id: \"w1\") { name } }", { token });
    expect(status).toBe(401);
    expect(body.errors?.[0]).toEqual({ message: "identity token rejected: bad signature", extensions: { code: "UNAUTHENTICATED" } });
  });

  it("rejects a GET request without an identity token too", async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent("{ whoAmI }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(response.status).toBe(401);
  });

  it("answers a query with a valid identity, passing identity and request id into the context", async () => {
    const requestId = `req-${randomUUID()}`;
    const { status, headers, body } = await graphql("{ whoAmI widget(id: \"w1\") { name location { type coordinates } } }", {
      identity: ANONYMOUS,
      requestId,
    });
    expect(status).toBe(200);
    expect(headers.get(REQUEST_ID_HEADER)).toBe(requestId);
    expect(body).toEqual({
      data: { whoAmI: `anonymous ${requestId}`, widget: { name: "Pump", location: { type: "Point", coordinates: [21.33, 43.58] } } },
    });
  });

  it("makes up a request id when the caller sends none", async () => {
    const { headers, body } = await graphql("{ whoAmI }", { identity: operator });
    const requestId = headers.get(REQUEST_ID_HEADER);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.data?.whoAmI).toBe(`op-1 ${requestId}`);
  });

  it("resolves entity references through the class's static resolveReference", async () => {
    const { body } = await graphql(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Widget { id name } } }`,
      { identity: ANONYMOUS, variables: { representations: [{ __typename: "Widget", id: "w1" }, { __typename: "Widget", id: "nope" }] } },
    );
    expect(body).toEqual({ data: { _entities: [{ id: "w1", name: "Pump" }, null] } });
  });

  describe("@Authorized fields", () => {
    const query = "{ widget(id: \"w1\") { secretNote } }";

    it("lets an operator read them", async () => {
      const { body } = await graphql(query, { identity: operator });
      expect(body).toEqual({ data: { widget: { secretNote: "valve 3 leaks" } } });
    });

    it("answers an anonymous caller with UNAUTHENTICATED", async () => {
      const { body } = await graphql(query, { identity: ANONYMOUS });
      expect(body.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED" });
    });

    it("answers a caller without the role with FORBIDDEN", async () => {
      const { body } = await graphql(query, { identity: business });
      expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(body.errors?.[0]?.message).toContain("operator");
    });
  });

  it("keeps a UserInputError's code and field", async () => {
    const { body } = await graphql('{ renameWidget(name: "x") }', { identity: operator });
    expect(body.errors?.[0]).toMatchObject({
      message: 'name "x" is too short',
      path: ["renameWidget"],
      extensions: { code: "BAD_USER_INPUT", field: "name" },
    });
  });

  it("masks an unexpected error and logs the original with the request id", async () => {
    const requestId = `req-${randomUUID()}`;
    const { body } = await graphql("{ brokenWidget }", { identity: operator, requestId });
    expect(body.errors?.[0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(JSON.stringify(body)).not.toContain("hunter2");
    const logged = capture.lines().find((line) => line.requestId === requestId && line.level === 50);
    expect(logged?.msg).toContain("masked");
    expect(JSON.stringify(logged?.err)).toContain("hunter2");
  });

  it("keeps graphql's own validation errors as they are", async () => {
    const { status, body } = await graphql("{ noSuchField }", { identity: operator });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers unknown paths with 404", async () => {
    const response = await fetch(server.url.replace("/graphql", "/nope"));
    expect(response.status).toBe(404);
  });
});

describe("closing a subgraph server", () => {
  it("is safe twice and stops accepting connections", async () => {
    const schema = await buildFederatedSchema({ resolvers: [WidgetResolver] });
    const closable = await startSubgraphServer({
      name: "widgets-closing",
      schema,
      host: "127.0.0.1",
      port: 0,
      identitySecret,
      logger: createCapturingLogger("closing").logger,
    });
    const health = closable.url.replace("/graphql", "/health");
    expect((await fetch(health)).status).toBe(200);
    await closable.close();
    await closable.close();
    await expect(fetch(health)).rejects.toThrow();
  });
});
