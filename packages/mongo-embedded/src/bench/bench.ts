/**
 * Benchmark of the embedded server through the official driver: prints figures, asserts nothing.
 * The server runs in a child process (the CLI), so its resident memory is measured alone.
 *
 *   npm run bench -w packages/mongo-embedded [-- --documents 100000]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MongoClient, type Collection, type Document } from "mongodb";
import { citizenRequest, districtPolygon } from "./citizen-requests.js";

const { values: args } = parseArgs({
  options: {
    documents: { type: "string", default: "100000" },
    queries: { type: "string", default: "2000" },
  },
});
const documentCount = Number(args.documents);
const queryCount = Number(args.queries);
const BATCH = 1000;
const WARM_UP_QUERIES = 500;

const cliPath = fileURLToPath(new URL("../cli.js", import.meta.url));

interface RunningServer {
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(dataDir?: string, nodeFlags: string[] = []): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeFlags, cliPath, "--port", "0", ...(dataDir ? ["--data", dataDir] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const uri = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /mongodb:\/\/\S+/.exec(output);
      if (match) resolve(match[0]);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { uri, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kilobytes = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kilobytes) * 1024;
}

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))];
}

async function timeQueries(count: number, run: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((s, v) => s + v, 0) / count };
}

async function insertAll(collection: Collection): Promise<number> {
  const start = performance.now();
  for (let offset = 0; offset < documentCount; offset += BATCH) {
    const batch = [];
    for (let i = offset; i < Math.min(documentCount, offset + BATCH); i++) batch.push(citizenRequest(i));
    await collection.insertMany(batch, { ordered: false });
  }
  return documentCount / ((performance.now() - start) / 1000);
}

const rows: [string, string][] = [];
const reportRow = (label: string, value: string) => {
  rows.push([label, value]);
  console.log(`${label.padEnd(72)} ${value}`);
};
const fmt = (n: number, digits = 2) => n.toFixed(digits);

/** `nodeFlags` run the server under other V8 settings; `label` tells the rows of such a run apart. */
async function benchInMemory(nodeFlags: string[] = [], label = ""): Promise<void> {
  const report = (row: string, value: string) => reportRow(`${row}${label}`, value);
  const server = await startServer(undefined, nodeFlags);
  const client = await new MongoClient(server.uri).connect();
  try {
    const collection = client.db("bench").collection<Document>("requests");
    const baseline = await residentBytes(server.pid);
    report("insertMany, in memory (docs/s)", fmt(await insertAll(collection), 0));

    await collection.createIndex({ trackingCode: 1 }, { unique: true });
    await collection.createIndex({ location: "2dsphere" });
    const stats = await client.db("bench").command({ collStats: "requests" });
    const dataSize = Number(stats.size);
    report("documents / data size (MB)", `${stats.count} / ${fmt(dataSize / 2 ** 20, 1)}`);

    const byTrackingCode = (i: number) => collection.findOne({ trackingCode: `KS-${String((i * 7919) % documentCount).padStart(7, "0")}` });
    // Untimed first: the JIT compiling the query path and the collection left by loading are not the steady state.
    for (let i = 0; i < WARM_UP_QUERIES; i++) await byTrackingCode(documentCount - i);
    const indexed = await timeQueries(queryCount, byTrackingCode);
    report(`indexed equality find after ${WARM_UP_QUERIES} warm-up queries: p50 / p99 / mean (ms)`, `${fmt(indexed.p50)} / ${fmt(indexed.p99)} / ${fmt(indexed.mean)}`);

    const unindexed = await timeQueries(20, (i) => collection.find({ "citizen.phone": `+381 37 ${100000 + i}` }).toArray());
    report("unindexed find, full scan: p50 / p99 (ms)", `${fmt(unindexed.p50)} / ${fmt(unindexed.p99)}`);

    const group = await timeQueries(5, () =>
      collection.aggregate([{ $group: { _id: "$category", requests: { $sum: 1 }, avgPriority: { $avg: "$priority" } } }]).toArray(),
    );
    report("$group over the whole collection: p50 (ms)", fmt(group.p50));

    let withinCount = 0;
    const within = await timeQueries(20, async () => {
      withinCount = await collection.countDocuments({ location: { $geoWithin: { $geometry: districtPolygon } } });
    });
    report(`$geoWithin district polygon (2dsphere, ${withinCount} hits): p50 (ms)`, fmt(within.p50));

    const rss = await residentBytes(server.pid);
    report("server resident memory (MB): empty / loaded", `${fmt(baseline / 2 ** 20, 1)} / ${fmt(rss / 2 ** 20, 1)}`);
    report("resident memory / data size", `${fmt(rss / dataSize)} (growth alone ${fmt((rss - baseline) / dataSize)})`);
  } finally {
    await client.close();
    await server.stop();
  }
}

async function benchDurable(): Promise<void> {
  const report = reportRow;
  const dataDir = await mkdtemp(join(tmpdir(), "mongo-embedded-bench-"));
  const server = await startServer(dataDir);
  const client = await new MongoClient(server.uri).connect();
  try {
    const collection = client.db("bench").collection<Document>("requests");
    report("insertMany, durable, fsync per batch of 1000 (docs/s)", fmt(await insertAll(collection), 0));
    const single = await timeQueries(500, (i) => collection.insertOne(citizenRequest(documentCount + i)));
    report("insertOne, durable (acknowledged writes/s)", fmt(1000 / single.mean, 0));
  } finally {
    await client.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `mongo-embedded benchmark: ${documentCount} documents, ${new Date().toISOString().slice(0, 10)}, ` +
    `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${fmt(totalmem() / 2 ** 30, 0)} GiB`,
);
await benchInMemory();
// The same run with V8 told to favour memory over speed: the trade-off, measured side by side.
await benchInMemory(["--optimize-for-size"], " [--optimize-for-size]");
await benchDurable();
