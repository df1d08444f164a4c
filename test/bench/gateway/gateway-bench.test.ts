/**
 * The benchmark's fixture and checks, in-process: the four subgraphs composed behind stock Apollo
 * Gateway must give exactly the answers computed independently from the data (if they did not, every
 * gateway would be measured on a wrong fixture), and the response check must catch what it is for.
 */
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { percentile, type LoadResult } from "./load.js";
import { HEAVY_OPERATION, SINGLE_SUBGRAPH_OPERATION, type BenchOperation } from "./query.js";
import { createResponseCheck, differenceOf } from "./response-check.js";
import { parseGatewayBenchOptions } from "./run-gateway-bench.js";
import { STATS_PATH, startBenchSubgraph, type BenchSubgraph } from "./subgraph-server.js";
import { median, summarize } from "./summary.js";
import { SUBGRAPH_NAMES, type SubgraphName } from "./subgraphs.js";
import { composeBenchSupergraph } from "./supergraph.js";

describe("the federation fixture", () => {
  let subgraphs: BenchSubgraph[] = [];
  let server: ApolloServer | undefined;
  let gatewayUrl = "";

  beforeAll(async () => {
    subgraphs = await Promise.all(SUBGRAPH_NAMES.map((name) => startBenchSubgraph(name)));
    const urls = Object.fromEntries(subgraphs.map((subgraph) => [subgraph.name, subgraph.url])) as Record<SubgraphName, string>;
    server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composeBenchSupergraph(urls) }) });
    ({ url: gatewayUrl } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } }));
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all(subgraphs.map((subgraph) => subgraph.close()));
  });

  const post = async (url: string, operation: BenchOperation) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: operation.body });
    return { status: response.status, body: await response.text() };
  };

  it("answers the heavy query through a gateway exactly as computed from the data", async () => {
    const { status, body } = await post(gatewayUrl, HEAVY_OPERATION);
    expect(status).toBe(200);
    expect(differenceOf(body, HEAVY_OPERATION.expected)).toBeUndefined();
    // The published benchmark's response is about 100 KB: the deep nesting is what makes it heavy.
    expect(body.length).toBeGreaterThan(50_000);
  });

  it("answers the one-subgraph query the same directly and through a gateway", async () => {
    const products = subgraphs.find((subgraph) => subgraph.name === "products")!;
    for (const url of [products.url, gatewayUrl]) {
      const { status, body } = await post(url, SINGLE_SUBGRAPH_OPERATION);
      expect(status).toBe(200);
      expect(differenceOf(body, SINGLE_SUBGRAPH_OPERATION.expected)).toBeUndefined();
    }
  });

  it("counts the subgraph calls and entity representations a gateway asks for", async () => {
    const reviews = subgraphs.find((subgraph) => subgraph.name === "reviews")!;
    const before = { ...reviews.stats };
    await post(gatewayUrl, HEAVY_OPERATION);
    expect(reviews.stats.requests).toBeGreaterThan(before.requests);
    expect(reviews.stats.representations).toBeGreaterThan(before.representations);
    const served = (await (await fetch(new URL(STATS_PATH, reviews.url))).json()) as typeof before;
    expect(served.requests).toBe(reviews.stats.requests);
  });

  it("refuses what is not a GraphQL request with a clear error", async () => {
    const accounts = subgraphs.find((subgraph) => subgraph.name === "accounts")!;
    const notJson = await fetch(accounts.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toContain("not valid JSON");
    const invalid = await fetch(accounts.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ nope }" }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("nope");
  });
});

describe("the response check", () => {
  const expected = { data: { users: [{ id: "1", name: "Uri" }, { id: "2", name: "Dotan" }] } };

  it("passes the exact answer, also with its keys in another order", () => {
    const check = createResponseCheck(expected);
    expect(check.verify(JSON.stringify(expected))).toBe(true);
    expect(check.verify('{"data":{"users":[{"name":"Uri","id":"1"},{"name":"Dotan","id":"2"}]}}')).toBe(true);
    expect(check.failures).toBe(0);
  });

  it("fails a response with errors, a missing field, a null or a missing list item, and says where", () => {
    const check = createResponseCheck(expected);
    const errors = { ...expected, errors: [{ message: "reviews subgraph unreachable" }] };
    expect(check.verify(JSON.stringify(errors))).toBe(false);
    expect(check.firstFailure).toContain("$.errors is unexpected");
    expect(check.verify('{"data":{"users":[{"id":"1"},{"id":"2","name":"Dotan"}]}}')).toBe(false);
    expect(check.verify('{"data":{"users":[{"id":"1","name":null},{"id":"2","name":"Dotan"}]}}')).toBe(false);
    expect(check.verify('{"data":{"users":[{"id":"1","name":"Uri"}]}}')).toBe(false);
    expect(check.verify("<html>")).toBe(false);
    expect(check.failures).toBe(5);
    expect(differenceOf('{"data":{"users":[{"id":"1"},{"id":"2","name":"Dotan"}]}}', expected)).toBe("$.data.users[0].name is missing");
  });
});

describe("options and figures", () => {
  it("defaults to the issue's run: 50 connections, 10 s warm-up, 30 s per gateway, all three gateways", () => {
    const options = parseGatewayBenchOptions([]);
    expect(options).toMatchObject({ connections: 50, warmupSeconds: 10, durationSeconds: 30, rounds: 1, gateways: ["ours", "stock", "hive"], heavy: true, overhead: true });
  });

  it("names the option that is wrong", () => {
    expect(() => parseGatewayBenchOptions(["--duration", "0"])).toThrow(/--duration/);
    expect(() => parseGatewayBenchOptions(["--gateways", "ours,mesh"])).toThrow(/--gateways/);
    expect(() => parseGatewayBenchOptions(["--measure", "light"])).toThrow(/--measure/);
    expect(() => parseGatewayBenchOptions(["--log-level", "loud"])).toThrow(/--log-level/);
    expect(() => parseGatewayBenchOptions(["--rounds", "1.5"])).toThrow(/--rounds/);
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("summarises rounds by their median, keeping the spread and summing the errors", () => {
    const round = (requestsPerSecond: number, errors: number, cpu: number): LoadResult => ({
      requestsPerSecond,
      p50Ms: requestsPerSecond,
      p95Ms: 2 * requestsPerSecond,
      p99Ms: 3 * requestsPerSecond,
      errors,
      transportErrors: errors,
      non2xx: 0,
      wrongBodies: 0,
      completed: 100,
      seconds: 1,
      warmupErrors: 0,
      cpuMsPerRequest: { target: cpu },
      cpuCores: { target: cpu / 10 },
      firstFailure: errors > 0 ? "timeout" : undefined,
    });
    const summary = summarize([round(30, 0, 12), round(10, 2, 20), round(20, 0, 10)]);
    expect(summary).toMatchObject({ rounds: 3, requestsPerSecond: 20, requestsPerSecondMin: 10, requestsPerSecondMax: 30, p95Ms: 40, errors: 2, firstFailure: "timeout" });
    expect(summary.cpuMsPerRequest.target).toBe(12);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5, 1])).toBe(5);
    expect(() => summarize([])).toThrow(/no rounds/);
  });
});
