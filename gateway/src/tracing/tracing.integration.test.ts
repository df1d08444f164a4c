/**
 * Traces over real HTTP: a query through the gateway to the test subgraphs is one trace, from the
 * gateway's request span through its subgraph fetch spans to the subgraphs' own server spans.
 */
import "reflect-metadata";
import { randomBytes, randomUUID } from "node:crypto";
import { connectMongo, createRedisConnection, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { startTracing, type Tracing } from "@situation/subgraph-kit/tracing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "../gateway.js";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "../test-support/test-subgraphs.js";

const config: PlatformConfig = {
  ...loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0" }, { warn: () => {} }),
  redisPrefix: `tracing-test-${randomUUID()}`,
};
const capture = createCapturingLogger("tracing-test");
const exporter = new InMemorySpanExporter();
const QUERY = 'query Districts { district(id: "rasina") { name activeOutages } }';

let mongo: MongoConnection;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await mongo?.close();
  const redis = createRedisConnection(config, { name: "tracing-test-cleanup" });
  try {
    const keys = await redis.keys(`${config.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

async function startStack(gatewayTracing: Tracing, subgraphTracing?: Tracing): Promise<{ gateway: RunningGateway; subgraphs: TestSubgraphs }> {
  const subgraphs = await startTestSubgraphs({
    identitySecret: config.identitySecret,
    logger: capture.logger,
    ...(subgraphTracing === undefined ? {} : { tracer: subgraphTracing.tracer }),
  });
  closers.push(() => subgraphs.close());
  const gateway = await createGateway({
    config,
    logger: capture.logger,
    mongo,
    supergraphSdl: subgraphs.supergraphSdl,
    subgraphUrls: {},
    processMetrics: false,
    tracer: gatewayTracing.tracer,
  });
  closers.push(() => gateway.close());
  return { gateway, subgraphs };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
}

function only(spans: ReadableSpan[], predicate: (span: ReadableSpan) => boolean, what: string): ReadableSpan {
  const found = spans.filter(predicate);
  expect(found, what).toHaveLength(1);
  return found[0]!;
}

const serviceOf = (span: ReadableSpan) => span.resource.attributes["service.name"];
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("tracing on", () => {
  let gatewayTracing: Tracing;
  let cityTracing: Tracing;
  let gateway: RunningGateway;

  beforeAll(async () => {
    gatewayTracing = startTracing({ serviceName: "gateway", logger: capture.logger, exporter });
    // The subgraphs are their own service, as in production, exporting to the same collector.
    cityTracing = startTracing({ serviceName: "test-subgraphs", logger: capture.logger, exporter });
    closers.push(() => gatewayTracing.close(), () => cityTracing.close());
    ({ gateway } = await startStack(gatewayTracing, cityTracing));
  });

  beforeEach(() => exporter.reset());

  it("links the client's trace, the gateway request, each subgraph fetch and each subgraph's request", async () => {
    const traceId = randomBytes(16).toString("hex");
    const clientSpanId = randomBytes(8).toString("hex");
    const { status, body } = await post(gateway.url, { query: QUERY }, { traceparent: `00-${traceId}-${clientSpanId}-01` });
    expect(status).toBe(200);
    expect(body.data).toEqual({ district: { name: "Расина", activeOutages: 2 } });

    // Both processes' spans end when their responses close, which may trail the client's read a little.
    await expect.poll(() => exporter.getFinishedSpans().length, { timeout: 2_000 }).toBeGreaterThanOrEqual(5);
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

    const request = only(spans, (span) => serviceOf(span) === "gateway" && span.name === "POST graphql", "gateway request span");
    expect(parentOf(request)).toBe(clientSpanId);
    expect(request.attributes).toMatchObject({
      "graphql.operation.name": "Districts",
      "graphql.operation.type": "query",
      "http.response.status_code": 200,
    });

    for (const subgraph of ["city", "services"]) {
      const fetchSpan = only(spans, (span) => span.name === `fetch ${subgraph}`, `${subgraph} fetch span`);
      expect(parentOf(fetchSpan)).toBe(request.spanContext().spanId);
      expect(fetchSpan.attributes).toMatchObject({ "subgraph.name": subgraph, "subgraph.outcome": "ok" });
      expect(fetchSpan.attributes["url.full"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      const served = only(
        spans,
        (span) => serviceOf(span) === "test-subgraphs" && span.attributes["subgraph.name"] === subgraph,
        `${subgraph} server span`,
      );
      expect(parentOf(served)).toBe(fetchSpan.spanContext().spanId);
      expect(served.attributes["http.response.status_code"]).toBe(200);
    }
  });

  it("starts a new trace for a request without traceparent, and records its error code", async () => {
    const { body } = await post(gateway.url, { query: "{ noSuchField }" });
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    await expect.poll(() => exporter.getFinishedSpans().length, { timeout: 2_000 }).toBe(1);
    const [request] = exporter.getFinishedSpans();
    expect(parentOf(request!)).toBeUndefined();
    expect(request!.attributes["error.code"]).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("tracing off", () => {
  it("exports nothing and answers as usual", async () => {
    const tracing = startTracing({ serviceName: "gateway", logger: capture.logger, env: {} });
    closers.push(() => tracing.close());
    expect(tracing.enabled).toBe(false);
    // No tracer for the subgraphs: they fall back to the API's global one, which nothing registered.
    const { gateway } = await startStack(tracing);
    exporter.reset();
    const { status, body } = await post(gateway.url, { query: QUERY });
    expect(status).toBe(200);
    expect(body.data).toEqual({ district: { name: "Расина", activeOutages: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
