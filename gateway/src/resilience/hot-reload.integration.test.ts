/**
 * The supergraph file is reloaded when it changes, under load, without a failed request: requests in
 * flight finish, new ones see the new field; a broken file is logged and the previous supergraph kept.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeServices } from "@apollo/composition";
import { connectMongo, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { parse } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "../gateway.js";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "../test-support/test-subgraphs.js";

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const config: PlatformConfig = loadConfig(
  { NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0", REDIS_PREFIX: `reload-${randomUUID()}` },
  { warn: () => {} },
);
const capture = createCapturingLogger("hot-reload-test");

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;
let directory: string;
let supergraphPath: string;
/** The running subgraphs composed without `Query.outageSummary`, which the services subgraph does serve. */
let withoutSummary: string;
let gateway: RunningGateway;

function compose(servicesSdl: string): string {
  const composition = composeServices([
    { name: "city", url: subgraphs.city.url, typeDefs: parse(subgraphs.subgraphSdl.city) },
    { name: "services", url: subgraphs.services.url, typeDefs: parse(servicesSdl) },
  ]);
  if (composition.errors !== undefined) throw new Error(composition.errors.map((error) => error.message).join("; "));
  return composition.supergraphSdl;
}

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: config.identitySecret, logger: capture.logger });
  const reduced = subgraphs.subgraphSdl.services.replace(/^\s*outageSummary: String\n/m, "");
  expect(reduced).not.toBe(subgraphs.subgraphSdl.services);
  withoutSummary = compose(reduced);
  directory = await mkdtemp(join(tmpdir(), "supergraph-reload-"));
  supergraphPath = join(directory, "supergraph.graphql");
});

beforeEach(async () => {
  await gateway?.close();
  await writeFile(supergraphPath, withoutSummary);
  // Polling often, so that the test does not depend on file-system events alone.
  gateway = await createGateway({
    config,
    logger: capture.logger,
    mongo,
    supergraphPath,
    subgraphUrls: {},
    processMetrics: false,
    resilience: { supergraphPollMs: 100 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await subgraphs?.close();
  await mongo?.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

async function graphql(query: string): Promise<{ status: number; body: Body }> {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const SUMMARY = "{ outageSummary }";
const servesSummary = async () => (await graphql(SUMMARY)).body.data?.outageSummary === "2 active outages";

describe("supergraph hot reload", () => {
  it("serves a new field after the file changes, with no failed request under load", async () => {
    expect((await graphql(SUMMARY)).body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");

    const query = '{ whoAmI { subject } district(id: "rasina") { name outageNote } }';
    const expected = { data: { whoAmI: { subject: "anonymous" }, district: { name: "Расина", outageNote: "water off until 18:00" } } };
    const failures: unknown[] = [];
    let completed = 0;
    let running = true;
    const client = async () => {
      while (running) {
        try {
          const answer = await graphql(query);
          if (answer.status !== 200 || JSON.stringify(answer.body) !== JSON.stringify(expected)) failures.push(answer);
        } catch (error) {
          failures.push(error);
        }
        completed += 1;
      }
    };
    const clients = Array.from({ length: 16 }, client);
    try {
      // Warm: plans cached and connections open, so that the reload meets requests in every stage.
      await eventually(async () => completed >= 32, 20_000);
      const atChange = completed;
      // Written in place, not renamed: a reader may see the file half written, which must be refused quietly.
      await writeFile(supergraphPath, subgraphs.supergraphSdl);
      await eventually(servesSummary, 10_000);
      const atReload = completed;
      expect(atReload).toBeGreaterThan(atChange);
      await eventually(async () => completed >= atReload + 32, 20_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    expect(capture.lines().some((line) => line.msg === "supergraph reloaded")).toBe(true);
  });

  it("takes a file replaced by renaming, as `npm run compose` and editors write it", async () => {
    const staged = join(directory, `.supergraph-${randomUUID()}.tmp`);
    await writeFile(staged, subgraphs.supergraphSdl);
    await rename(staged, supergraphPath);
    await eventually(servesSummary, 10_000);
  });

  it("keeps the previous supergraph when the new file is broken, and takes the next good one", async () => {
    const before = capture.lines().length;
    await writeFile(supergraphPath, "schema { query: Query } type Query { broken");
    await eventually(
      async () => capture.lines().slice(before).some((line) => line.msg === "the changed supergraph is invalid; keeping the previous one"),
      10_000,
    );
    const answer = await graphql('{ district(id: "rasina") { name } }');
    expect(answer.body).toEqual({ data: { district: { name: "Расина" } } });

    // Parses, but is no supergraph: Apollo itself refuses it.
    await writeFile(supergraphPath, "type Query { hello: String }");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await graphql('{ district(id: "rasina") { name } }')).body).toEqual({ data: { district: { name: "Расина" } } });

    await writeFile(supergraphPath, subgraphs.supergraphSdl);
    await eventually(servesSummary, 10_000);
  });
});
