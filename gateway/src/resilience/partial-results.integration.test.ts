/**
 * A subgraph that is down, slow or answering garbage fails only its own fields: the gateway answers
 * with the other subgraph's data and one UPSTREAM_FAILURE error per affected field, never a failed
 * request, a hang or a crash; it starts while a subgraph is down and uses it once it is back.
 * The services subgraph is reached through a stand-in that misbehaves on demand.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { connectMongo, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type GatewayOptions, type RunningGateway } from "../gateway.js";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { startFaultyUpstream, type FaultyUpstream } from "../test-support/faulty-upstream.js";
import { startTestSubgraphs, type TestSubgraphs } from "../test-support/test-subgraphs.js";

interface Answer {
  status: number;
  ms: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

const SERVICES_TIMEOUT_MS = 300;
const MAX_RESPONSE_BYTES = 64 * 1024;

const config: PlatformConfig = loadConfig(
  { NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0", REDIS_PREFIX: `partial-${randomUUID()}` },
  { warn: () => {} },
);
const capture = createCapturingLogger("partial-results-test");

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;
let services: FaultyUpstream;
let gateway: RunningGateway;

function gatewayOptions(): GatewayOptions {
  return {
    config,
    logger: capture.logger,
    mongo,
    supergraphSdl: subgraphs.supergraphSdl,
    // city as composed; services through the stand-in.
    subgraphUrls: { services: services.url },
    processMetrics: false,
    // The city subgraph keeps the default timeout: the per-subgraph override applies to services only.
    resilience: { subgraphTimeoutMs: 10_000, subgraphTimeouts: { services: SERVICES_TIMEOUT_MS }, subgraphMaxResponseBytes: MAX_RESPONSE_BYTES },
  };
}

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: config.identitySecret, logger: capture.logger });
  services = await startFaultyUpstream(subgraphs.services.url);
  gateway = await createGateway(gatewayOptions());
});

afterEach(async () => {
  services.behave({ kind: "forward" });
  await services.restart().catch(() => undefined);
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
  await subgraphs?.close();
  await mongo?.close();
});

async function graphql(query: string, target: RunningGateway = gateway): Promise<Answer> {
  const startedAt = performance.now();
  const response = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as Answer["body"];
  return { status: response.status, ms: performance.now() - startedAt, body };
}

const MIXED = '{ whoAmI { subject } outageSummary district(id: "rasina") { name outageNote } }';
const HEALTHY = {
  whoAmI: { subject: "anonymous" },
  outageSummary: "2 active outages",
  district: { name: "Расина", outageNote: "water off until 18:00" },
};
const CITY_ONLY = { whoAmI: { subject: "anonymous" }, outageSummary: null, district: { name: "Расина", outageNote: null } };

/** The answer keeps city's data; services' two fields are null, each with its own error. */
function expectServicesFailed(answer: Answer, reason: string): void {
  expect(answer.status).toBe(200);
  expect(answer.body.data).toEqual(CITY_ONLY);
  const errors = answer.body.errors ?? [];
  expect(errors.map((error) => error.path).sort()).toEqual([["district", "outageNote"], ["outageSummary"]]);
  for (const error of errors) {
    expect(error.extensions).toMatchObject({ code: "UPSTREAM_FAILURE", details: { subgraph: "services", reason } });
    expect(error.message).toContain("services");
  }
}

describe("a healthy services subgraph", () => {
  it("answers the mixed query in full", async () => {
    const answer = await graphql(MIXED);
    expect(answer.body).toEqual({ data: HEALTHY });
  });
});

describe("a subgraph that is down", () => {
  it("fails only its fields, logs the cause, and is used again once it is back", async () => {
    await services.stop();
    const answer = await graphql(MIXED);
    expectServicesFailed(answer, "unreachable");
    expect(answer.body.errors![0]!.message).toBe("the services subgraph is unreachable");
    expect(capture.lines().some((line) => line.level === 40 && line.subgraph === "services" && line.reason === "unreachable")).toBe(true);

    await services.restart();
    expect((await graphql(MIXED)).body).toEqual({ data: HEALTHY });
  });

  it("puts a list's failed entity fields at the list's path, once per field", async () => {
    await services.stop();
    const answer = await graphql("{ districts { id outageNote } }");
    expect(answer.body.data).toEqual({ districts: [{ id: "rasina", outageNote: null }, { id: "pepeljevac", outageNote: null }] });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.path).toEqual(["districts", "@", "outageNote"]);
  });

  it("nulls the nearest nullable parent of a non-null field it owns, as GraphQL requires", async () => {
    await services.stop();
    const answer = await graphql('{ whoAmI { subject } district(id: "rasina") { name activeOutages } }');
    expect(answer.body.data).toEqual({ whoAmI: { subject: "anonymous" }, district: null });
    expect(answer.body.errors![0]!.extensions!.code).toBe("UPSTREAM_FAILURE");
  });

  it("does not stop a gateway from starting, which picks the subgraph up when it comes up", async () => {
    await services.stop();
    await using fresh = await createGateway(gatewayOptions());
    expectServicesFailed(await graphql(MIXED, fresh), "unreachable");
    await services.restart();
    expect((await graphql(MIXED, fresh)).body).toEqual({ data: HEALTHY });
  });
});

describe("a slow subgraph", () => {
  it("is cut off at its own timeout while the other subgraph's data is kept", async () => {
    services.behave({ kind: "slow", delayMs: 5_000 });
    const answer = await graphql(MIXED);
    expectServicesFailed(answer, "timeout");
    expect(answer.body.errors![0]!.message).toBe(`the services subgraph did not answer within ${SERVICES_TIMEOUT_MS} ms`);
    expect(answer.ms).toBeLessThan(2_000);
  });

  it("is cut off when its body trickles in past the timeout", async () => {
    services.behave({ kind: "trickle", intervalMs: 50 });
    const answer = await graphql("{ whoAmI { subject } outageSummary }");
    expect(answer.body.data).toEqual({ whoAmI: { subject: "anonymous" }, outageSummary: null });
    expect(answer.body.errors![0]!.extensions).toMatchObject({ details: { reason: "timeout" } });
    expect(answer.ms).toBeLessThan(1_500);
  });
});

describe("a subgraph answering garbage", () => {
  const garbage: { name: string; status: number; contentType: string; body: string; reason: string }[] = [
    { name: "an HTML page", status: 200, contentType: "text/html", body: "<html><body>Bad gateway</body></html>", reason: "invalid-response" },
    { name: "broken JSON", status: 200, contentType: "application/json", body: '{"data": {"outageSummary": ', reason: "invalid-response" },
    { name: "JSON that is not an object", status: 200, contentType: "application/json", body: "[1, 2, 3]", reason: "invalid-response" },
    { name: "data that is a list", status: 200, contentType: "application/json", body: '{"data": [1]}', reason: "invalid-response" },
    { name: "errors that are not a list", status: 200, contentType: "application/json", body: '{"errors": "boom"}', reason: "invalid-response" },
    { name: "neither data nor errors", status: 200, contentType: "application/json", body: "{}", reason: "invalid-response" },
    { name: "data without the fields asked for", status: 200, contentType: "application/json", body: '{"data": {}}', reason: "invalid-response" },
    { name: "a 500 with a stack trace", status: 500, contentType: "text/plain", body: "Error: at /srv/app.js:12 password=hunter2", reason: "http-status" },
  ];

  for (const answer of garbage) {
    it(`turns ${answer.name} into errors on its fields only`, async () => {
      services.behave({ kind: "answer", status: answer.status, contentType: answer.contentType, body: answer.body });
      const result = await graphql(MIXED);
      expectServicesFailed(result, answer.reason);
      // Nothing of what the subgraph sent reaches the client.
      expect(JSON.stringify(result.body)).not.toMatch(/hunter2|<html>|boom/);
    });
  }

  it("refuses an entity list of the wrong length instead of merging it into the wrong districts", async () => {
    services.behave({ kind: "answer", status: 200, contentType: "application/json", body: '{"data": {"_entities": [{"outageNote": "x"}]}}' });
    const answer = await graphql("{ districts { id outageNote } }");
    expect(answer.body.data).toEqual({ districts: [{ id: "rasina", outageNote: null }, { id: "pepeljevac", outageNote: null }] });
    expect(answer.body.errors![0]).toMatchObject({ path: ["districts", "@", "outageNote"], extensions: { details: { reason: "invalid-response" } } });
  });

  it("stops reading an answer past the size limit, whether it declares its length or not", async () => {
    for (const declareLength of [false, true]) {
      services.behave({ kind: "huge", bytes: 4 * 1024 * 1024, declareLength });
      const answer = await graphql(MIXED);
      expectServicesFailed(answer, "too-large");
      expect(answer.body.errors![0]!.message).toBe(`the services subgraph's answer exceeded ${MAX_RESPONSE_BYTES} bytes`);
    }
    services.behave({ kind: "forward" });
    expect((await graphql(MIXED)).body).toEqual({ data: HEALTHY });
  });

  it("turns an answer broken off mid-body into errors on its fields only", async () => {
    services.behave({ kind: "cut" });
    const answer = await graphql(MIXED);
    expectServicesFailed(answer, "interrupted");
    expect(answer.body.errors![0]!.message).toBe("the services subgraph broke off its answer");
  });

  it("keeps the subgraph's own GraphQL errors as they are", async () => {
    services.behave({
      kind: "answer",
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ data: { outageSummary: null }, errors: [{ message: "no feed", path: ["outageSummary"], extensions: { code: "NOT_FOUND" } }] }),
    });
    const answer = await graphql("{ whoAmI { subject } outageSummary }");
    expect(answer.body.data).toEqual({ whoAmI: { subject: "anonymous" }, outageSummary: null });
    expect(answer.body.errors).toEqual([expect.objectContaining({ message: "no feed", path: ["outageSummary"], extensions: expect.objectContaining({ code: "NOT_FOUND" }) })]);
  });
});
