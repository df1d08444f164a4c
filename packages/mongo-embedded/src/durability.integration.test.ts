/**
 * Every acknowledged write survives `kill -9`: the server runs as a child process (the built CLI)
 * with a data directory, is killed while the driver is writing, and is started again on the same
 * directory. Needs `npm run build` first (turbo's test task depends on it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";

const cliPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

interface ServerProcess {
  child: ChildProcess;
  uri: string;
  stderr: () => string;
}

function startServer(dataDir: string): Promise<ServerProcess> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run 'npm run build' first`);
  const child = spawn(process.execPath, [cliPath, "--data", dataDir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const uri = /mongodb:\/\/\S+/.exec(stdout)?.[0];
      if (uri) resolve({ child, uri, stderr: () => stderr });
    });
    child.once("exit", (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mongo-embedded-kill9-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("kill -9 durability", () => {
  it("keeps every acknowledged insert and update, each exactly once, after SIGKILL mid-stream", async () => {
    const dataDir = await tempDir();
    const first = await startServer(dataDir);
    const client = await new MongoClient(first.uri, { serverSelectionTimeoutMS: 2000, maxPoolSize: 4 }).connect();
    const requests = client.db("city").collection<{ _id: number; batch?: number }>("requests");
    const counters = client.db("city").collection<{ _id: string; value: number }>("counters");
    await requests.createIndex({ batch: 1 });

    const acknowledgedIds: number[] = [];
    let acknowledgedIncrements = 0;
    const killAfter = 150 + Math.floor(Math.random() * 250);
    let nextId = 0;
    let killed = false;

    // Four concurrent writers, so the kill lands while several writes are in flight.
    const writer = async () => {
      while (!killed) {
        const id = nextId++;
        try {
          if (id % 3 === 0) {
            await counters.updateOne({ _id: "calls" }, { $inc: { value: 1 } }, { upsert: true });
            acknowledgedIncrements++;
          } else {
            await requests.insertOne({ _id: id, batch: id % 10 });
          }
          if (id % 3 !== 0) acknowledgedIds.push(id);
        } catch {
          return;
        }
        if (!killed && acknowledgedIds.length >= killAfter) {
          killed = true;
          first.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    await exited(first.child);
    await client.close(true).catch(() => undefined);

    const second = await startServer(dataDir);
    cleanups.push(async () => {
      second.child.kill("SIGTERM");
      await exited(second.child);
    });
    const reader = await new MongoClient(second.uri).connect();
    cleanups.push(() => reader.close());
    const stored = await reader.db("city").collection<{ _id: number }>("requests").find({}).toArray();
    const storedIds = new Set(stored.map((doc) => doc._id));
    expect(storedIds.size).toBe(stored.length);
    for (const id of acknowledgedIds) expect(storedIds.has(id)).toBe(true);
    const counter = await reader.db("city").collection<{ _id: string; value: number }>("counters").findOne({ _id: "calls" });
    // At most the one increment in flight at the kill may also have landed.
    expect(counter?.value ?? 0).toBeGreaterThanOrEqual(acknowledgedIncrements);
    expect(counter?.value ?? 0).toBeLessThanOrEqual(acknowledgedIncrements + 4);
    // The index survived too, and answers like a scan.
    expect(await reader.db("city").collection("requests").countDocuments({ batch: 1 })).toBe(stored.filter((doc) => doc._id % 10 === 1).length);
  });
});
