/**
 * The gateway's safety limits over real HTTP, in front of the in-test subgraphs, with Redis at
 * 127.0.0.1:6379: operation limits, body and token limits, CSRF prevention, production switches,
 * trusted documents, automatic persisted queries across instances, and rate limits per address and
 * per API key. Each gateway gets its own Redis prefix, removed afterwards.
 */
import "reflect-metadata";
import { createHash, randomUUID } from "node:crypto";
import {
  connectMongo,
  createApiKey,
  createRedisConnection,
  loadConfig,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type GatewayOptions, type RunningGateway } from "../gateway.js";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "../test-support/test-subgraphs.js";
import { parseManifest } from "./persisted-documents.js";

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

const baseConfig: PlatformConfig = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0" }, { warn: () => {} });
const capture = createCapturingLogger("limits-test");
const prefixes: string[] = [];

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;

beforeAll(async () => {
  mongo = await connectMongo(baseConfig, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: baseConfig.identitySecret, logger: capture.logger });
});

afterAll(async () => {
  await subgraphs?.close();
  await mongo?.close();
  const redis = createRedisConnection(baseConfig, { name: "limits-test-cleanup" });
  try {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
});

/** A gateway on its own Redis prefix; `config` overrides the test configuration. */
async function startGateway(
  config: Partial<PlatformConfig> = {},
  options: Partial<GatewayOptions> = {},
): Promise<RunningGateway> {
  const redisPrefix = `limits-test-${randomUUID()}`;
  prefixes.push(redisPrefix);
  return createGateway({
    config: { ...baseConfig, redisPrefix, ...config },
    logger: capture.logger,
    mongo,
    supergraphSdl: subgraphs.supergraphSdl,
    subgraphUrls: {},
    processMetrics: false,
    ...options,
  });
}

async function post(gateway: RunningGateway, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer["body"] };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("operation limits", () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      gatewayLimits: { maxDepth: 3, maxAliases: 2, maxRootFields: 3, maxCost: 60, maxTokens: 200, maxBodyBytes: 2048 },
    });
  });
  afterAll(() => gateway?.close());

  const refusal = (answer: Answer) => ({ status: answer.status, data: answer.body.data, error: answer.body.errors?.[0]?.extensions });

  it("runs an operation within every limit", async () => {
    const answer = await post(gateway, { query: "{ a: districts(first: 2) { name neighbours(first: 1) { name } } b: whoAmI { subject } }" });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({
      a: [
        { name: "Расина", neighbours: [{ name: "Пепељевац" }] },
        { name: "Пепељевац", neighbours: [{ name: "Расина" }] },
      ],
      b: { subject: "anonymous" },
    });
  });

  it("refuses an operation deeper than the limit, before any subgraph runs it", async () => {
    const answer = await post(gateway, { query: "{ districts(first: 1) { neighbours(first: 1) { neighbours(first: 1) { name } } } }" });
    expect(refusal(answer)).toEqual({
      status: 400,
      data: undefined,
      error: { code: "BAD_USER_INPUT", field: "query", limit: "depth", maximum: 3, actual: 4 },
    });
    expect(answer.body.errors![0]!.message).toBe("the operation exceeds the depth limit: 4 > 3");
  });

  it("counts depth through fragments", async () => {
    const answer = await post(gateway, {
      query: "{ districts(first: 1) { ...Near } } fragment Near on District { neighbours(first: 1) { neighbours(first: 1) { id } } }",
    });
    expect(refusal(answer).error).toMatchObject({ limit: "depth", actual: 4 });
  });

  it("refuses more aliases than the limit", async () => {
    const answer = await post(gateway, { query: '{ a: district(id: "rasina") { n1: name n2: name } }' });
    expect(refusal(answer)).toMatchObject({ status: 400, error: { code: "BAD_USER_INPUT", limit: "aliases", maximum: 2, actual: 3 } });
  });

  it("refuses more root fields than the limit", async () => {
    const answer = await post(gateway, { query: "{ whoAmI { subject } outageCount districts(first: 1) { id } __typename version: outageCount }" });
    expect(refusal(answer)).toMatchObject({ status: 400, error: { code: "BAD_USER_INPUT", limit: "rootFields", maximum: 3, actual: 4 } });
  });

  it("refuses a response name repeated past the limit before validation compares the fields pairwise", async () => {
    const repeated = "neighbours(first: 1) { id } ".repeat(21);
    // The unknown field would fail validation: the limit answers first, so validation never ran.
    const answer = await post(gateway, { query: `{ districts(first: 1) { ${repeated} noSuchField } }` });
    expect(refusal(answer)).toMatchObject({
      status: 400,
      error: { code: "BAD_USER_INPUT", limit: "repeatedFields", maximum: 20, actual: 21 },
    });
  });

  it("refuses an operation whose estimated cost is over the limit, with list sizes from variables", async () => {
    const query = "query Costly($n: Int) { districts(first: $n) { neighbours(first: 5) { id } } }";
    // 10 × (1 + 5) = 60: at the limit. The second request finds the document parsed and validated
    // already (Apollo skips both), so the check with its new variables is the one at execution.
    expect((await post(gateway, { query, variables: { n: 10 } })).body.errors).toBeUndefined();
    // 11 × (1 + 5) = 66
    const answer = await post(gateway, { query, variables: { n: 11 } });
    expect(refusal(answer)).toMatchObject({ status: 400, error: { code: "BAD_USER_INPUT", limit: "cost", maximum: 60, actual: 66 } });
  });

  it("applies the limits to operations sent by id, whose text the gateway never received", async () => {
    const deep = "query Deep { districts(first: 1) { neighbours(first: 1) { neighbours(first: 1) { id } } } }";
    const id = sha256(deep);
    await using withManifest = await startGateway(
      { gatewayLimits: { ...baseConfig.gatewayLimits, maxDepth: 3 } },
      { trustedDocuments: parseManifest({ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, body: deep }] }) },
    );
    const answer = await post(withManifest, { extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
    expect(refusal(answer)).toMatchObject({ status: 400, error: { code: "BAD_USER_INPUT", limit: "depth", maximum: 3, actual: 4 } });
  });

  it("lets the cost model price fields", async () => {
    await using priced = await startGateway({}, { costModel: { fieldCosts: { "Query.whoAmI": 100_000 } } });
    const answer = await post(priced, { query: "{ whoAmI { subject } }" });
    expect(refusal(answer).error).toMatchObject({ limit: "cost", maximum: 50_000, actual: 100_000 });
  });

  it("stops parsing a query with more tokens than the limit", async () => {
    const query = `{ ${Array.from({ length: 250 }, () => "a").join(" ")} }`;
    const answer = await post(gateway, { query });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(answer.body.errors![0]!.message).toMatch(/Document contains more (than|that) 200 tokens/);
  });

  it("refuses a body over the size limit with 413 naming the body", async () => {
    const answer = await post(gateway, { query: `{ whoAmI { subject } } # ${"x".repeat(3000)}` });
    expect(answer.status).toBe(413);
    expect(answer.body.errors![0]!.extensions).toEqual({ code: "BAD_USER_INPUT", field: "body" });
  });
});

describe("CSRF prevention and production switches", () => {
  it("refuses a simple cross-site request (text/plain, no preflight header)", async () => {
    await using gateway = await startGateway();
    const response = await fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ whoAmI { subject } }" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
    const get = await fetch(`${gateway.url}?query=${encodeURIComponent("{ whoAmI { subject } }")}`);
    expect(get.status).toBe(400);
    const preflighted = await fetch(`${gateway.url}?query=${encodeURIComponent("{ whoAmI { subject } }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(await preflighted.json()).toEqual({ data: { whoAmI: { subject: "anonymous" } } });
  });

  it("turns introspection and schema hints off in production, and on elsewhere", async () => {
    await using production = await startGateway({ nodeEnv: "production" });
    await using development = await startGateway();
    const introspection = { query: "{ __schema { queryType { name } } }" };
    const typo = { query: "{ whoAmi { subject } }" };

    const refused = await post(production, introspection);
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect((await post(development, introspection)).body.data).toEqual({ __schema: { queryType: { name: "Query" } } });

    expect((await post(production, typo)).body.errors![0]!.message).not.toMatch(/Did you mean/);
    expect((await post(development, typo)).body.errors![0]!.message).toMatch(/Did you mean "whoAmI"/);
  });
});

describe("trusted documents", () => {
  const trustedQuery = "query Me { whoAmI { subject } }";
  const manifest = {
    format: "apollo-persisted-query-manifest",
    version: 1,
    operations: [{ id: sha256(trustedQuery), name: "Me", type: "query", body: trustedQuery }],
  };

  it("serves a manifest operation by id, and its text, and refuses any other with 403 FORBIDDEN", async () => {
    await using gateway = await startGateway({ requireTrustedDocuments: true }, { trustedDocuments: parseManifest(manifest) });
    const byId = await post(gateway, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(trustedQuery) } } });
    expect(byId.body).toEqual({ data: { whoAmI: { subject: "anonymous" } } });
    expect((await post(gateway, { query: trustedQuery })).body).toEqual({ data: { whoAmI: { subject: "anonymous" } } });

    const other = await post(gateway, { query: "{ outageCount }" });
    expect(other.status).toBe(403);
    expect(other.body.data).toBeUndefined();
    expect(other.body.errors![0]!.extensions).toEqual({ code: "FORBIDDEN", field: "query" });

    // Registering a new text through APQ is refused too, and registers nothing.
    const text = "{ outageCount }";
    const register = await post(gateway, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
    expect(register.status).toBe(403);
    const unknownId = await post(gateway, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
    expect(unknownId.body.errors![0]!.extensions!.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("without the requirement, serves the manifest by id and any other operation too", async () => {
    await using gateway = await startGateway({}, { trustedDocuments: parseManifest(manifest) });
    const byId = await post(gateway, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(trustedQuery) } } });
    expect(byId.body).toEqual({ data: { whoAmI: { subject: "anonymous" } } });
    expect((await post(gateway, { query: "{ outageCount }" })).body).toEqual({ data: { outageCount: 2 } });
  });

  it("refuses a manifest whose id is not the hash of its body, naming the operation", () => {
    const forged = { ...manifest, operations: [{ ...manifest.operations[0], body: "{ brokenQuery }" }] };
    expect(() => parseManifest(forged)).toThrow(/operation 0 \(Me\): "id" is not the SHA-256 of its "body"/);
    expect(() => parseManifest({ format: "other", version: 1, operations: [] })).toThrow(/"format"/);
  });

  it("refuses to start in the safelist mode without a manifest", async () => {
    await expect(startGateway({ requireTrustedDocuments: true })).rejects.toThrow(/GATEWAY_TRUSTED_DOCUMENTS/);
  });
});

describe("automatic persisted queries", () => {
  it("registers a query in Redis, where another gateway instance finds it", async () => {
    const redisPrefix = `limits-test-${randomUUID()}`;
    prefixes.push(redisPrefix);
    await using first = await startGateway({ redisPrefix });
    await using second = await startGateway({ redisPrefix });
    const query = `query Apq { whoAmI { subject } } # ${randomUUID()}`;
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };

    const miss = await post(second, { extensions: { persistedQuery } });
    expect(miss.body.errors![0]!.extensions!.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await post(first, { query, extensions: { persistedQuery } })).body.data).toEqual({ whoAmI: { subject: "anonymous" } });
    // Apollo stores the registration after answering; give it a moment to land.
    await expect.poll(async () => (await post(second, { extensions: { persistedQuery } })).body, { timeout: 2_000 }).toEqual({
      data: { whoAmI: { subject: "anonymous" } },
    });
  });
});

describe("rate limits", () => {
  it("limits requests per address across gateway instances, with Retry-After", async () => {
    const redisPrefix = `limits-test-${randomUUID()}`;
    prefixes.push(redisPrefix);
    const limited = { redisPrefix, rateLimitPerIp: 3, rateLimitWindowSeconds: 60 };
    await using first = await startGateway(limited);
    await using second = await startGateway(limited);
    const query = { query: "{ whoAmI { subject } }" };

    const admitted = [await post(first, query), await post(second, query), await post(first, query)];
    expect(admitted.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(admitted.map((answer) => answer.headers.get("ratelimit-remaining"))).toEqual(["2", "1", "0"]);

    const refused = await post(second, query);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED", details: { bucket: "ip" } });
    // Probes and scrapes are not counted.
    expect((await fetch(new URL("/health", first.url))).status).toBe(200);
  });

  it("limits requests per API key apart from the address, and charges rejected keys to the address", async () => {
    await using gateway = await startGateway({ rateLimitPerIp: 2, rateLimitPerApiKey: 3 });
    const { key } = await createApiKey(mongo.db("platform"), { roles: ["provider"], providerId: "vodovod", label: "rate test" });
    const withKey = { "x-api-key": key };
    const query = { query: "{ whoAmI { roles } }" };

    for (let request = 0; request < 3; request += 1) expect((await post(gateway, query, withKey)).status).toBe(200);
    const overKey = await post(gateway, query, withKey);
    expect(overKey.status).toBe(429);
    expect(overKey.body.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED", details: { bucket: "api-key" } });

    // The key's requests did not use the address's budget…
    expect((await post(gateway, query)).status).toBe(200);
    // …but an invented key costs the address one request, so guessing keys is limited too.
    expect((await post(gateway, query, { "x-api-key": "shk_invented" })).status).toBe(401);
    const overAddress = await post(gateway, query, { "x-api-key": "shk_invented-again" });
    expect(overAddress.status).toBe(429);
    expect(overAddress.body.errors![0]!.extensions).toMatchObject({ details: { bucket: "ip" } });
  });
});
