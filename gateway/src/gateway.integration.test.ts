/**
 * The gateway over real HTTP, in front of two small in-test subgraphs, with API keys in the embedded
 * store: identity reaches the subgraphs, credentials are checked, errors are masked, `/health` tells
 * the truth and the request id travels.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import {
  connectMongo,
  createApiKey,
  issueAccessToken,
  loadConfig,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "./gateway.js";
import { createCapturingLogger } from "./test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "./test-support/test-subgraphs.js";

interface GraphQLAnswer<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: TData | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

/** The data of `{ whoAmI { requestId } }`. */
interface WhoAmIRequestId {
  whoAmI: { requestId: string };
}

const config: PlatformConfig = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0" }, { warn: () => {} });
const capture = createCapturingLogger("gateway-test");

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;
let gateway: RunningGateway;
let operatorToken: string;

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: config.identitySecret, logger: capture.logger });
  gateway = await createGateway({
    config,
    logger: capture.logger,
    mongo,
    supergraphSdl: subgraphs.supergraphSdl,
    // The in-test subgraphs listen on free ports, as composed into their supergraph.
    subgraphUrls: {},
    healthTimeoutMs: 500,
  });
  operatorToken = await issueAccessToken({ subject: "ana", roles: ["operator"] }, config.jwtSecret);
});

afterAll(async () => {
  await gateway?.close();
  await subgraphs?.close();
  await mongo?.close();
});

async function graphql<TData = Record<string, unknown>>(
  query: string,
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer<TData>> {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLAnswer<TData>["body"] };
}

describe("identity forwarding", () => {
  it("lets an operator's bearer token read an @Authorized field, joined across both subgraphs", async () => {
    const answer = await graphql('{ district(id: "rasina") { name staffNote activeOutages } whoAmI { subject roles } }', {
      authorization: `Bearer ${operatorToken}`,
    });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({
      district: { name: "Расина", staffNote: "pump station 3 under repair", activeOutages: 2 },
      whoAmI: { subject: "ana", roles: ["operator"] },
    });
  });

  it("serves public fields anonymously but refuses the @Authorized one with UNAUTHENTICATED", async () => {
    const answer = await graphql('{ district(id: "rasina") { name staffNote } whoAmI { subject } }');
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ district: { name: "Расина", staffNote: null }, whoAmI: { subject: "anonymous" } });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.extensions!.code).toBe("UNAUTHENTICATED");
    expect(answer.body.errors![0]!.path).toEqual(["district", "staffNote"]);
  });

  it("answers a role mismatch with FORBIDDEN", async () => {
    const token = await issueAccessToken({ subject: "mila", roles: ["city-staff"] }, config.jwtSecret);
    const answer = await graphql('{ district(id: "rasina") { staffNote } }', { authorization: `Bearer ${token}` });
    expect(answer.body.errors![0]!.extensions!.code).toBe("FORBIDDEN");
  });

  it("rejects a bearer token signed with another secret with 401 UNAUTHENTICATED", async () => {
    const forged = await issueAccessToken({ subject: "mallory", roles: ["admin"] }, "x".repeat(40));
    const answer = await graphql("{ whoAmI { subject } }", { authorization: `Bearer ${forged}` });
    expect(answer.status).toBe(401);
    expect(answer.body.errors![0]!.extensions).toEqual({ code: "UNAUTHENTICATED" });
    expect(answer.body.errors![0]!.message).toMatch(/bad signature/);
  });

  it("rejects an Authorization header that is not a bearer token", async () => {
    const answer = await graphql("{ whoAmI { subject } }", { authorization: "Basic YW5hOnNlY3JldA==" });
    expect(answer.status).toBe(401);
    expect(answer.body.errors![0]!.extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("API keys", () => {
  it("authenticates a provider's API key and forwards its scope", async () => {
    const { key, id } = await createApiKey(mongo.db("platform"), {
      roles: ["provider"],
      providerId: "vodovod",
      label: "JKP Vodovod Kruševac",
    });
    const answer = await graphql("{ whoAmI { subject roles providerId } }", { "x-api-key": key });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data!.whoAmI).toEqual({ subject: `api-key:${id}`, roles: ["provider"], providerId: "vodovod" });
  });

  it("rejects an unknown key with 401 UNAUTHENTICATED", async () => {
    const answer = await graphql("{ whoAmI { subject } }", { "x-api-key": "shk_notakeyanyonehasbeengiven" });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      errors: [{ message: "API key rejected: unknown or revoked", extensions: { code: "UNAUTHENTICATED" } }],
    });
  });

  it("refuses a request carrying both a bearer token and an API key", async () => {
    const answer = await graphql("{ whoAmI { subject } }", {
      authorization: `Bearer ${operatorToken}`,
      "x-api-key": "shk_whatever",
    });
    expect(answer.status).toBe(401);
  });
});

describe("request id", () => {
  it("carries the caller's x-request-id to the subgraph, into the logs and back in the response", async () => {
    const requestId = `test-${randomUUID()}`;
    const answer = await graphql<WhoAmIRequestId>("{ whoAmI { requestId } }", { "x-request-id": requestId });
    expect(answer.headers.get("x-request-id")).toBe(requestId);
    expect(answer.body.data!.whoAmI.requestId).toBe(requestId);
    expect(capture.lines().some((line) => line.requestId === requestId && line.name === "gateway-test")).toBe(true);
  });

  it("makes a new one when the caller sends none, and replaces one that is not a plain token", async () => {
    const fresh = await graphql<WhoAmIRequestId>("{ whoAmI { requestId } }");
    const generated = fresh.headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.body.data!.whoAmI.requestId).toBe(generated);

    const injected = await graphql("{ whoAmI { requestId } }", { "x-request-id": `evil id "with" {braces}` });
    expect(injected.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("error masking", () => {
  it("masks an unexpected error as INTERNAL_SERVER_ERROR with the request id, and logs the original", async () => {
    const requestId = `mask-${randomUUID()}`;
    const answer = await graphql("{ brokenQuery }", { "x-request-id": requestId });
    expect(JSON.stringify(answer.body)).not.toContain("hunter2");
    expect(answer.body.errors![0]).toMatchObject({
      message: "Internal server error",
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
    });
    const logged = capture.lines().filter((line) => line.requestId === requestId && line.level === 50);
    expect(logged.length).toBeGreaterThan(0);
  });

  it("passes the caller's own mistakes through with Apollo's code", async () => {
    const answer = await graphql("{ noSuchField }");
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers malformed JSON with 400 BAD_USER_INPUT", async () => {
    const response = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as GraphQLAnswer["body"]).errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
  });
});

describe("health", () => {
  it("reports every subgraph ok with HTTP 200", async () => {
    const response = await fetch(new URL("/health", gateway.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", gateway: "ok", subgraphs: { city: "ok", services: "ok" } });
  });

  // Last: it stops a subgraph.
  it("reports a stopped subgraph as down with HTTP 503, and queries that need it fail as UPSTREAM_FAILURE", async () => {
    await subgraphs.services.close();
    const response = await fetch(new URL("/health", gateway.url));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "degraded", gateway: "ok", subgraphs: { city: "ok", services: "down" } });
    // Liveness does not follow the subgraphs: a balancer probing it keeps this instance.
    const live = await fetch(new URL("/health/live", gateway.url));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });

    const answer = await graphql('{ district(id: "rasina") { name activeOutages } }');
    expect(answer.body.data).toEqual({ district: null });
    expect(answer.body.errors![0]!.extensions!.code).toBe("UPSTREAM_FAILURE");
    expect(answer.body.errors![0]!.message).toContain("services");
  });
});

describe("subgraph URLs", () => {
  it("lets configuration override the URL composed into the supergraph, by subgraph name", async () => {
    const unreachable = subgraphs.supergraphSdl.replace(subgraphs.city.url, "http://127.0.0.1:1/graphql");
    expect(unreachable).not.toBe(subgraphs.supergraphSdl);
    await using overridden = await createGateway({
      config,
      logger: capture.logger,
      mongo,
      supergraphSdl: unreachable,
      subgraphUrls: { city: subgraphs.city.url },
    });
    const response = await fetch(overridden.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ whoAmI { subject } }" }),
    });
    expect(await response.json()).toEqual({ data: { whoAmI: { subject: "anonymous" } } });
  });
});

describe("lifecycle", () => {
  it("closes twice without error and stops answering", async () => {
    const second = await createGateway({
      config,
      logger: capture.logger,
      mongo,
      supergraphSdl: subgraphs.supergraphSdl,
      subgraphUrls: {},
    });
    await second.close();
    await second.close();
    await expect(fetch(new URL("/health", second.url))).rejects.toThrow();
  });
});
