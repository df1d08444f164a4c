/**
 * Observability over real HTTP: Prometheus metrics at /metrics (behind the scrape token) and the query
 * plan on request for operators.
 */
import "reflect-metadata";
import { createHash, randomUUID } from "node:crypto";
import {
  connectMongo,
  createRedisConnection,
  issueAccessToken,
  loadConfig,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "./gateway.js";
import { createCapturingLogger } from "./test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "./test-support/test-subgraphs.js";

const METRICS_TOKEN = "scrape-token-0123456789";
const config: PlatformConfig = {
  ...loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0" }, { warn: () => {} }),
  redisPrefix: `metrics-test-${randomUUID()}`,
  metricsToken: METRICS_TOKEN,
};
const capture = createCapturingLogger("metrics-test");

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;
let gateway: RunningGateway;

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: config.identitySecret, logger: capture.logger });
  gateway = await createGateway({ config, logger: capture.logger, mongo, supergraphSdl: subgraphs.supergraphSdl, subgraphUrls: {} });
});

afterAll(async () => {
  await gateway?.close();
  await subgraphs?.close();
  await mongo?.close();
  // The persisted queries this test registered.
  const redis = createRedisConnection(config, { name: "metrics-test-cleanup" });
  try {
    const keys = await redis.keys(`${config.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown[]; extensions?: Record<string, unknown> };
}

async function scrape(): Promise<string> {
  const response = await fetch(new URL("/metrics", gateway.url), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one series, e.g. `name{label="x"}`, or undefined when absent. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  it("refuses a scrape without the token", async () => {
    expect((await fetch(new URL("/metrics", gateway.url))).status).toBe(401);
    const wrong = await fetch(new URL("/metrics", gateway.url), { headers: { authorization: "Bearer wrong-token-0123456789" } });
    expect(wrong.status).toBe(401);
  });

  it("counts operations, their latency, subgraph fetches, errors by code and APQ hits", async () => {
    await post({ query: 'query Districts { district(id: "rasina") { name activeOutages } }' });
    await post({ query: 'query Districts { district(id: "rasina") { name } }' });
    await post({ query: "{ brokenQuery }" });
    await post({ query: "{ noSuchField }" });
    // Refused on its shape before Apollo sees it (more than 20 repetitions of one field).
    await post({ query: `{ ${"outageCount ".repeat(21)}}` });
    const query = `query Cached { whoAmI { subject } } # ${randomUUID()}`;
    const persistedQuery = { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") };
    await post({ extensions: { persistedQuery } });
    await post({ query, extensions: { persistedQuery } });
    await expect.poll(async () => (await post({ extensions: { persistedQuery } })).data, { timeout: 2_000 }).toEqual({
      whoAmI: { subject: "anonymous" },
    });

    const text = await scrape();
    const prefix = "situation_gateway_";
    expect(valueOf(text, `${prefix}graphql_operations_total{operation="Districts",type="query"}`)).toBe(2);
    expect(valueOf(text, `${prefix}graphql_operation_duration_seconds_count{operation="Districts",type="query"}`)).toBe(2);
    expect(valueOf(text, `${prefix}graphql_operations_total{operation="(anonymous)",type="query"}`)).toBe(1);
    expect(valueOf(text, `${prefix}graphql_errors_total{code="INTERNAL_SERVER_ERROR"}`)).toBe(1);
    expect(valueOf(text, `${prefix}graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`)).toBe(1);
    expect(valueOf(text, `${prefix}graphql_errors_total{code="BAD_USER_INPUT"}`)).toBe(1);
    expect(valueOf(text, `${prefix}graphql_errors_total{code="PERSISTED_QUERY_NOT_FOUND"}`)).toBe(1);
    expect(valueOf(text, `${prefix}subgraph_fetch_duration_seconds_count{subgraph="city",outcome="ok"}`)).toBeGreaterThanOrEqual(3);
    expect(valueOf(text, `${prefix}subgraph_fetch_duration_seconds_count{subgraph="services",outcome="ok"}`)).toBe(1);
    expect(valueOf(text, `${prefix}persisted_queries_total{result="apq_miss"}`)).toBe(1);
    expect(valueOf(text, `${prefix}persisted_queries_total{result="apq_register"}`)).toBe(1);
    expect(valueOf(text, `${prefix}persisted_queries_total{result="apq_hit"}`)).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, `${prefix}http_requests_total{route="graphql",method="POST",status="200"}`)).toBeGreaterThanOrEqual(6);
    expect(text).toContain(`${prefix}process_resident_memory_bytes`);
  });
});

describe("query plan on request", () => {
  const query = { query: 'query Joined { district(id: "rasina") { name activeOutages } }' };

  it("adds the executed plan to an operator's answer when asked", async () => {
    const token = await issueAccessToken({ subject: "ana", roles: ["operator"] }, config.jwtSecret);
    const answer = await post(query, { authorization: `Bearer ${token}`, "x-situation-query-plan": "true" });
    expect(answer.data).toEqual({ district: { name: "Расина", activeOutages: 2 } });
    const plan = answer.extensions!.queryPlan as { kind: string; steps: { kind: string; subgraph?: string; step?: { subgraph: string } }[] };
    expect(plan.kind).toBe("Sequence");
    expect(plan.steps[0]).toMatchObject({ kind: "Fetch", subgraph: "city" });
    expect(plan.steps[1]).toMatchObject({ kind: "Flatten", path: "district", step: { kind: "Fetch", subgraph: "services" } });
  });

  it("leaves the plan out for anyone else, and for an operator who did not ask", async () => {
    const staff = await issueAccessToken({ subject: "mila", roles: ["city-staff"] }, config.jwtSecret);
    const operator = await issueAccessToken({ subject: "ana", roles: ["operator"] }, config.jwtSecret);
    expect((await post(query, { "x-situation-query-plan": "true" })).extensions).toBeUndefined();
    expect((await post(query, { authorization: `Bearer ${staff}`, "x-situation-query-plan": "true" })).extensions).toBeUndefined();
    expect((await post(query, { authorization: `Bearer ${operator}` })).extensions).toBeUndefined();
  });
});
