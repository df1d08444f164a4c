/**
 * graphql-hive/graphql-gateways-benchmark's federation scenario, reproduced with Node only, comparing in
 * one run and on the same subgraphs: this project's gateway, stock Apollo Gateway on Apollo Server, and
 * Hive Gateway. See test/bench/README.md.
 *
 *   npm run bench -w @situation/e2e -- gateway [--duration 30] [--warmup 10] [--connections 50]
 *     [--gateways ours,stock,hive] [--measure heavy,overhead] [--rounds 1] [--cpu-prof DIR] [--log-level warn]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { issueAccessToken } from "@situation/platform";
import { startChild, type RunningChild } from "./child-process.js";
import { runLoad, type LoadResult } from "./load.js";
import { HEAVY_OPERATION, SINGLE_SUBGRAPH_OPERATION, type BenchOperation } from "./query.js";
import { composeBenchSupergraph } from "./supergraph.js";
import { processCpuSeconds, totalCpuSeconds } from "./process-cpu.js";
import { differenceOf } from "./response-check.js";
import { STATS_PATH, type SubgraphStats } from "./subgraph-server.js";
import { SUBGRAPH_NAMES, type SubgraphName } from "./subgraphs.js";
import { summarize, type Summary } from "./summary.js";

const GATEWAY_KEYS = ["ours", "stock", "hive"] as const;
type GatewayKey = (typeof GATEWAY_KEYS)[number];
const MEASURES = ["heavy", "overhead"] as const;
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export interface GatewayBenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Every measurement this many times, interleaved, the order of the gateways rotating each round. */
  rounds: number;
  gateways: GatewayKey[];
  /** The heavy nested query through each gateway. */
  heavy: boolean;
  /** The one-subgraph query through ours and against the products subgraph directly. */
  overhead: boolean;
  /** Write a V8 CPU profile of our gateway's process into this folder. */
  cpuProfileDir: string | undefined;
  /** LOG_LEVEL of our gateway (at `info` it logs one line per request). */
  logLevel: (typeof LOG_LEVELS)[number];
}

export function parseGatewayBenchOptions(argv: readonly string[]): GatewayBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: "string", default: "30" },
      warmup: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "1" },
      gateways: { type: "string", default: GATEWAY_KEYS.join(",") },
      measure: { type: "string", default: MEASURES.join(",") },
      "cpu-prof": { type: "string" },
      "log-level": { type: "string", default: "warn" },
    },
  });
  const integer = (name: "duration" | "warmup" | "connections" | "rounds", minimum: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < minimum) throw new RangeError(`--${name} must be an integer of at least ${minimum}; got "${values[name]}"`);
    return value;
  };
  const gateways = values.gateways.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = gateways.filter((name) => !(GATEWAY_KEYS as readonly string[]).includes(name));
  if (gateways.length === 0 || unknown.length > 0) {
    throw new RangeError(`--gateways takes a comma-separated list of ${GATEWAY_KEYS.join(", ")}; got "${values.gateways}"`);
  }
  const measures = values.measure.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (measures.length === 0 || measures.some((name) => !(MEASURES as readonly string[]).includes(name))) {
    throw new RangeError(`--measure takes a comma-separated list of ${MEASURES.join(", ")}; got "${values.measure}"`);
  }
  const logLevel = values["log-level"];
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new RangeError(`--log-level must be one of ${LOG_LEVELS.join(", ")}; got "${logLevel}"`);
  return {
    durationSeconds: integer("duration", 1),
    warmupSeconds: integer("warmup", 0),
    connections: integer("connections", 1),
    rounds: integer("rounds", 1),
    gateways: [...new Set(gateways)] as GatewayKey[],
    heavy: measures.includes("heavy"),
    overhead: measures.includes("overhead"),
    cpuProfileDir: values["cpu-prof"] === undefined ? undefined : resolve(values["cpu-prof"]),
    logLevel: logLevel as GatewayBenchOptions["logLevel"],
  };
}

type TargetKey = GatewayKey | "direct";

interface Measurement {
  target: TargetKey;
  operation: BenchOperation;
  result: LoadResult;
  fanOut: FanOut;
  /** 1-minute load average before and after the measured run. */
  load: [number, number];
}

/** Where things live during one run; everything here is removed at the end. */
interface RunContext {
  options: GatewayBenchOptions;
  workDir: string;
  supergraphPath: string;
  jwtSecret: string;
  identitySecret: string;
  operatorTokens: string[];
  children: RunningChild[];
}

const require = createRequire(import.meta.url);
const OPERATOR_TOKENS = 64;
const SETTLE_MS = 1_000;
const BENCH_MAX_COST = 1_000_000;
const BENCH_RATE_LIMIT = 10_000_000;

export async function runGatewayBench(argv: readonly string[]): Promise<void> {
  const options = parseGatewayBenchOptions(argv);
  const workDir = await mkdtemp(join(tmpdir(), "situation-gateway-bench-"));
  const context: RunContext = {
    options,
    workDir,
    supergraphPath: join(workDir, "supergraph.graphql"),
    jwtSecret: randomBytes(32).toString("hex"),
    identitySecret: randomBytes(32).toString("hex"),
    operatorTokens: [],
    children: [],
  };
  const interrupt = () => void cleanUp(context).finally(() => process.exit(130));
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    printMachine(options);
    const subgraphs = await startSubgraphs(context);
    await writeFile(context.supergraphPath, composeBenchSupergraph(urlsOf(subgraphs)));
    // Distinct subjects, so no two requests in a row carry the same token (as the original's random
    // bearer per request); each is still verified like any operator's.
    context.operatorTokens = await Promise.all(
      Array.from({ length: OPERATOR_TOKENS }, (_, index) =>
        issueAccessToken({ subject: `bench-operator-${index}`, roles: ["operator"] }, context.jwtSecret, { ttlSeconds: 3600 }),
      ),
    );
    const measurements: Measurement[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      if (options.rounds > 1) console.log(`\n== round ${round + 1} of ${options.rounds}`);
      // Rotated each round, so that no gateway always runs first (or right after the same neighbour).
      const order = options.gateways.map((_, index) => options.gateways[(index + round) % options.gateways.length]!);
      for (const key of order) {
        if (options.heavy || (key === "ours" && options.overhead)) measurements.push(...(await measureGateway(context, key, subgraphs)));
      }
      if (options.overhead) {
        const products = subgraphs.find((child) => child.name === "products subgraph");
        if (products === undefined) throw new Error("the products subgraph is not running");
        console.log(`\n${TARGET_LABELS.direct}: the fixture subgraph alone, as the gateways reach it`);
        measurements.push(await measure(context, "direct", products, subgraphs, SINGLE_SUBGRAPH_OPERATION, randomBearer));
      }
    }
    printResults(options, measurements);
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    await cleanUp(context);
  }
}

async function startSubgraphs(context: RunContext): Promise<RunningChild[]> {
  const started = await Promise.all(
    SUBGRAPH_NAMES.map((name) =>
      startChild({ name: `${name} subgraph`, module: new URL("./subgraph-process.js", import.meta.url), args: [name], cwd: context.workDir }),
    ),
  );
  context.children.push(...started);
  return started;
}

function urlsOf(subgraphs: readonly RunningChild[]): Record<SubgraphName, string> {
  const urls = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPH_NAMES) {
    const child = subgraphs.find((candidate) => candidate.name === `${name} subgraph`);
    if (child === undefined) throw new Error(`the ${name} subgraph is not running`);
    urls[name] = child.ready.url;
  }
  return urls;
}

const TARGET_LABELS: Record<TargetKey, string> = {
  ours: "ours",
  stock: "stock Apollo",
  hive: "Hive",
  direct: "products subgraph direct",
};

async function measureGateway(context: RunContext, key: GatewayKey, subgraphs: readonly RunningChild[]): Promise<Measurement[]> {
  console.log(`\n${TARGET_LABELS[key]}: ${describe(key)}`);
  const gateway = await startGateway(context, key);
  try {
    const authorization = key === "ours" ? rotating(context.operatorTokens) : randomBearer;
    const results: Measurement[] = [];
    if (context.options.heavy) results.push(await measure(context, key, gateway, subgraphs, HEAVY_OPERATION, authorization));
    if (key === "ours" && context.options.overhead) {
      results.push(await measure(context, key, gateway, subgraphs, SINGLE_SUBGRAPH_OPERATION, authorization));
    }
    return results;
  } finally {
    await gateway.stop();
    context.children.splice(context.children.indexOf(gateway), 1);
  }
}

async function startGateway(context: RunContext, key: GatewayKey): Promise<RunningChild> {
  const { options, workDir, supergraphPath } = context;
  let child: RunningChild;
  switch (key) {
    case "ours": {
      const execArgv = ["--enable-source-maps"];
      if (options.cpuProfileDir !== undefined) {
        await mkdir(options.cpuProfileDir, { recursive: true });
        execArgv.push("--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir);
      }
      child = await startChild({
        name: "our gateway",
        module: new URL("./ours-gateway-process.js", import.meta.url),
        cwd: workDir,
        execArgv,
        env: {
          NODE_ENV: "production",
          LOG_LEVEL: options.logLevel,
          HOST: "127.0.0.1",
          GATEWAY_PORT: "0",
          SUPERGRAPH_PATH: supergraphPath,
          IDENTITY_SECRET: context.identitySecret,
          JWT_SECRET: context.jwtSecret,
          // Its live-event reader only reads; a prefix of its own keeps it off everyone else's stream (and
          // its rate-limit counters off everyone else's keys).
          REDIS_PREFIX: `bench-gateway-${randomUUID()}`,
          // The benchmark's query is a known, trusted one, admitted as an operator would admit it: its
          // estimated cost (about 341,000 with the default list size of 20) is over the default limit.
          GATEWAY_MAX_COST: String(BENCH_MAX_COST),
          // Every request comes from 127.0.0.1: the per-IP limit stays on (its Redis round trip is part
          // of every request in production) but high enough never to refuse one.
          GATEWAY_RATE_LIMIT_PER_IP: String(BENCH_RATE_LIMIT),
        },
      });
      break;
    }
    case "stock":
      child = await startChild({
        name: "stock Apollo Gateway",
        module: new URL("./stock-apollo-process.js", import.meta.url),
        cwd: workDir,
        env: { NODE_ENV: "production", HOST: "127.0.0.1", SUPERGRAPH_PATH: supergraphPath },
      });
      break;
    case "hive": {
      // The published run's command line: NODE_ENV=production hive-gateway supergraph supergraph.graphql --jit
      // (one process: the CLI forks no workers unless told to).
      const port = await freePort();
      child = await startChild({
        name: "Hive Gateway",
        module: new URL(`file://${join(dirname(require.resolve("@graphql-hive/gateway")), "bin.js")}`),
        args: ["supergraph", supergraphPath, "--host", "127.0.0.1", "--port", String(port), "--jit"],
        cwd: workDir,
        execArgv: [],
        env: { NODE_ENV: "production" },
        httpReadiness: { probe: `http://127.0.0.1:${port}/readiness`, url: `http://127.0.0.1:${port}/graphql` },
      });
      break;
    }
  }
  context.children.push(child);
  return child;
}

async function measure(
  context: RunContext,
  target: TargetKey,
  server: RunningChild,
  subgraphs: readonly RunningChild[],
  operation: BenchOperation,
  authorization: () => string,
): Promise<Measurement> {
  const { options } = context;
  const fanOut = await checkAndCountFanOut(TARGET_LABELS[target], server.ready.url, operation, authorization, subgraphs);
  process.stdout.write(`  ${operation.name}: ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s`);
  const before = loadavg()[0]!;
  const result = await runLoad({
    url: server.ready.url,
    operation,
    connections: options.connections,
    authorization,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    cpuProbes: {
      target: () => processCpuSeconds(server.pid),
      subgraphs: () => totalCpuSeconds(subgraphs.map((subgraph) => subgraph.pid)),
      loadGenerator: () => {
        const usage = process.cpuUsage();
        return (usage.user + usage.system) / 1e6;
      },
    },
  });
  const after = loadavg()[0]!;
  console.log(
    ` → ${formatRate(result.requestsPerSecond)} req/s, p95 ${formatMs(result.p95Ms)} ms, ${formatMs(result.cpuMsPerRequest.target ?? Number.NaN, 2)} CPU ms/req, ${result.errors} errors` +
      (result.warmupErrors > 0 ? ` (+${result.warmupErrors} during warm-up)` : ""),
  );
  if (result.firstFailure !== undefined) console.log(`    first failure: ${result.firstFailure}`);
  // The load generator stops with requests in flight; let the server finish them before the next run.
  await new Promise((resolveSettled) => setTimeout(resolveSettled, Math.min(10_000, Math.max(SETTLE_MS, result.p99Ms || 0))));
  return { target, operation, result, fanOut, load: [before, after] };
}

interface FanOut {
  /** Subgraph HTTP requests per gateway request. */
  calls: number;
  /** `_entities` representations sent per gateway request, duplicates included. */
  representations: number;
  /** Bytes of subgraph responses per gateway request. */
  bytesFromSubgraphs: number;
}

const FAN_OUT_SAMPLES = 3;

/**
 * A few requests, one at a time, before the load: a server that answers wrongly is reported, not
 * benchmarked, and the subgraphs' counters show how much work each request asks of them.
 */
async function checkAndCountFanOut(
  label: string,
  url: string,
  operation: BenchOperation,
  authorization: () => string,
  subgraphs: readonly RunningChild[],
): Promise<FanOut> {
  await checkOnce(label, url, operation, authorization());
  const before = await subgraphStats(subgraphs);
  for (let sample = 0; sample < FAN_OUT_SAMPLES; sample += 1) await checkOnce(label, url, operation, authorization());
  const after = await subgraphStats(subgraphs);
  return {
    calls: (after.requests - before.requests) / FAN_OUT_SAMPLES,
    representations: (after.representations - before.representations) / FAN_OUT_SAMPLES,
    bytesFromSubgraphs: (after.bytesOut - before.bytesOut) / FAN_OUT_SAMPLES,
  };
}

async function checkOnce(label: string, url: string, operation: BenchOperation, authorization: string): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization },
    body: operation.body,
  });
  const body = await response.text();
  const difference = response.ok ? differenceOf(body, operation.expected) : `HTTP ${response.status}`;
  if (difference !== undefined) {
    throw new Error(`${label} does not answer "${operation.name}" correctly: ${difference}\n${body.slice(0, 1000)}`);
  }
}

async function subgraphStats(subgraphs: readonly RunningChild[]): Promise<SubgraphStats> {
  const all = await Promise.all(
    subgraphs.map(async (subgraph) => {
      const response = await fetch(new URL(STATS_PATH, subgraph.ready.url));
      if (!response.ok) throw new Error(`${subgraph.name} answered HTTP ${response.status} at ${STATS_PATH}`);
      return (await response.json()) as SubgraphStats;
    }),
  );
  return all.reduce((sum, stats) => ({
    requests: sum.requests + stats.requests,
    representations: sum.representations + stats.representations,
    bytesIn: sum.bytesIn + stats.bytesIn,
    bytesOut: sum.bytesOut + stats.bytesOut,
  }));
}

function rotating(values: readonly string[]): () => string {
  let next = 0;
  return () => `Bearer ${values[next++ % values.length]}`;
}

/** What graphql-gateways-benchmark's k6 script sends: a new random bearer per request. */
function randomBearer(): string {
  return `Bearer ${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function describe(key: GatewayKey): string {
  switch (key) {
    case "ours":
      return `@apollo/gateway ${versionOf("@apollo/gateway")}, @apollo/server ${versionOf("@apollo/server")}, undici keep-alive`;
    case "stock":
      return `@apollo/gateway ${versionOf("@apollo/gateway")}, @apollo/server ${versionOf("@apollo/server")}, defaults`;
    case "hive":
      return `@graphql-hive/gateway ${versionOf("@graphql-hive/gateway")} CLI, --jit`;
  }
}

/** A package's version, found from its entry point (not every package exports its package.json). */
function versionOf(name: string): string {
  try {
    let directory = dirname(require.resolve(name));
    for (;;) {
      try {
        const manifest = require(join(directory, "package.json")) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version ?? "?";
      } catch {
        // No package.json at this level.
      }
      const parent = dirname(directory);
      if (parent === directory) return "?";
      directory = parent;
    }
  } catch {
    return "not installed";
  }
}

async function cleanUp(context: RunContext): Promise<void> {
  const children = context.children.splice(0);
  await Promise.allSettled(children.map((child) => child.stop()));
  await rm(context.workDir, { recursive: true, force: true });
}

function printMachine(options: GatewayBenchOptions): void {
  const processors = cpus();
  console.log("Gateway benchmark: graphql-gateways-benchmark's federation scenario, Node only");
  console.log(`  ${new Date().toISOString()} · ${processors.length} × ${processors[0]?.model ?? "unknown CPU"} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version}`);
  console.log(`  load average ${loadavg().map((value) => value.toFixed(2)).join(" ")} (before start)`);
  console.log(
    `  ${options.connections} connections, ${options.warmupSeconds} s warm-up then ${options.durationSeconds} s per gateway` +
      `${options.rounds > 1 ? `, ${options.rounds} rounds` : ""}; ` +
      "every gateway and subgraph in its own process; every response compared with the expected one",
  );
}

interface Row {
  target: TargetKey;
  operation: BenchOperation;
  summary: Summary;
  fanOut: FanOut;
  /** 1-minute load average before the first round and after the last. */
  load: [number, number];
}

/** One row per gateway and query, in the order first measured, summarising its rounds. */
function rowsOf(measurements: readonly Measurement[]): Row[] {
  const rows: Row[] = [];
  for (const measurement of measurements) {
    if (rows.some((row) => row.target === measurement.target && row.operation === measurement.operation)) continue;
    const rounds = measurements.filter((other) => other.target === measurement.target && other.operation === measurement.operation);
    rows.push({
      target: measurement.target,
      operation: measurement.operation,
      summary: summarize(rounds.map((round) => round.result)),
      fanOut: measurement.fanOut,
      load: [rounds[0]!.load[0], rounds[rounds.length - 1]!.load[1]],
    });
  }
  return rows;
}

function printResults(options: GatewayBenchOptions, measurements: readonly Measurement[]): void {
  const rounds = options.rounds > 1 ? `; median of ${options.rounds} rounds (req/s range beside it)` : "";
  console.log(
    `\nResults: ${options.connections} connections, ${options.durationSeconds} s measured after ${options.warmupSeconds} s of warm-up${rounds}; ` +
      "req/s counts complete, correct answers only; CPU ms per request of the process under test (and the cores it kept busy: well under 1 means other work starved it), " +
      "of the four subgraphs together, and of the load generator; " +
      "per request: subgraph calls, entity representations sent to subgraphs, KB of subgraph responses\n",
  );
  const rows = rowsOf(measurements);
  const header = ["", "query", "req/s", ...(options.rounds > 1 ? ["range"] : []), "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms/req", "cores", "subgraphs", "loadgen", "calls", "entities", "KB in", "load avg"];
  printTable(
    header,
    rows.map(({ target, operation, summary, fanOut, load }) => [
      TARGET_LABELS[target],
      operation === HEAVY_OPERATION ? "heavy" : "one subgraph",
      formatRate(summary.requestsPerSecond),
      ...(options.rounds > 1 ? [`${formatRate(summary.requestsPerSecondMin)}–${formatRate(summary.requestsPerSecondMax)}`] : []),
      formatMs(summary.p50Ms),
      formatMs(summary.p95Ms),
      formatMs(summary.p99Ms),
      String(summary.errors),
      formatMs(summary.cpuMsPerRequest.target ?? Number.NaN, 2),
      formatMs(summary.cpuCores.target ?? Number.NaN, 2),
      formatMs(summary.cpuMsPerRequest.subgraphs ?? Number.NaN, 2),
      formatMs(summary.cpuMsPerRequest.loadGenerator ?? Number.NaN, 2),
      formatMs(fanOut.calls),
      formatMs(fanOut.representations),
      formatMs(fanOut.bytesFromSubgraphs / 1024),
      `${load[0].toFixed(1)}→${load[1].toFixed(1)}`,
    ]),
  );
  for (const { target, summary } of rows) {
    if (summary.errors > 0) {
      console.log(
        `\n${TARGET_LABELS[target]}: ${summary.transportErrors} connection errors/timeouts, ${summary.non2xx} non-2xx, ${summary.wrongBodies} incomplete or wrong bodies` +
          (summary.firstFailure === undefined ? "" : `\n  first: ${summary.firstFailure}`),
      );
    }
  }

  const find = (target: TargetKey, operation: BenchOperation) => rows.find((row) => row.target === target && row.operation === operation)?.summary;
  const ours = find("ours", HEAVY_OPERATION);
  console.log("");
  for (const key of ["stock", "hive"] as const) {
    const other = find(key, HEAVY_OPERATION);
    if (ours === undefined || other === undefined) continue;
    console.log(
      `ours / ${TARGET_LABELS[key]}: requests/s ${ratio(ours.requestsPerSecond, other.requestsPerSecond)}, ` +
        `p95 ${ratio(ours.p95Ms, other.p95Ms)}, p99 ${ratio(ours.p99Ms, other.p99Ms)}, ` +
        `CPU per request ${ratio(ours.cpuMsPerRequest.target ?? Number.NaN, other.cpuMsPerRequest.target ?? Number.NaN)}`,
    );
  }
  const oursSingle = find("ours", SINGLE_SUBGRAPH_OPERATION);
  const direct = find("direct", SINGLE_SUBGRAPH_OPERATION);
  if (oursSingle !== undefined && direct !== undefined) {
    console.log(
      `gateway overhead (one-subgraph query, ours / products subgraph direct): requests/s ${ratio(oursSingle.requestsPerSecond, direct.requestsPerSecond)}, ` +
        `p50 +${formatMs(oursSingle.p50Ms - direct.p50Ms)} ms, p99 +${formatMs(oursSingle.p99Ms - direct.p99Ms)} ms, ` +
        `CPU ${formatMs(oursSingle.cpuMsPerRequest.target ?? Number.NaN, 2)} ms per request in the gateway against ${formatMs(direct.cpuMsPerRequest.target ?? Number.NaN, 2)} in the subgraph`,
    );
  }
  console.log(`\nload average at the end: ${loadavg().map((value) => value.toFixed(2)).join(" ")} on ${cpus().length} CPUs (other work on the machine skews req/s and latency more than CPU per request)`);
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
}

const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
const formatRate = (value: number) => value.toFixed(value >= 100 ? 0 : 1);
const formatMs = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(value >= 100 ? 0 : digits) : "n/a");
