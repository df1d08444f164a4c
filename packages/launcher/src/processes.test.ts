import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServiceProcess, waitUntilHealthy } from "./processes.js";

const logger = createLogger({ logLevel: "silent" }, "launcher-test");
let directory: string;

async function script(name: string, source: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, source);
  return path;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "launcher-test-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("service processes", () => {
  it("stop with SIGTERM and do not count as unexpected exits", async () => {
    const unexpected: string[] = [];
    const entry = await script("idle.mjs", "setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));");
    const service = startServiceProcess("idle", entry, { env: process.env, logger, onUnexpectedExit: (name) => unexpected.push(name) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await service.stop();
    expect(await service.exited).toBe(0);
    expect(unexpected).toEqual([]);
  });

  it("are killed when they ignore SIGTERM past the deadline", async () => {
    const entry = await script("stubborn.mjs", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);");
    const service = startServiceProcess("stubborn", entry, { env: process.env, logger, onUnexpectedExit: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await service.stop(300);
    expect(service.child.signalCode).toBe("SIGKILL");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("report a crash as an unexpected exit, and waiting for health fails at once", async () => {
    const unexpected: [string, number | null][] = [];
    const entry = await script("crash.mjs", "setTimeout(() => process.exit(3), 100);");
    const service = startServiceProcess("crash", entry, { env: process.env, logger, onUnexpectedExit: (name, code) => unexpected.push([name, code]) });
    await expect(waitUntilHealthy(service, "http://127.0.0.1:9/health", 30_000)).rejects.toThrow(/crash exited before it became healthy/);
    expect(unexpected).toEqual([["crash", 3]]);
  });

  it("are healthy once their health URL answers 200", async () => {
    const health = createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => health.listen(0, "127.0.0.1", resolve));
    const port = (health.address() as { port: number }).port;
    const entry = await script("healthy.mjs", "setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));");
    const service = startServiceProcess("healthy", entry, { env: process.env, logger, onUnexpectedExit: () => undefined });
    await waitUntilHealthy(service, `http://127.0.0.1:${port}/health`, 10_000);
    await service.stop();
    health.close();
  });
});
