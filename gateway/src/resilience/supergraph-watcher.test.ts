import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { watchedSupergraph } from "./supergraph-watcher.js";

let directory: string;
let path: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "supergraph-watcher-"));
  path = join(directory, "supergraph.graphql");
  await writeFile(path, "version 1");
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the hook as Apollo would, recording what it hands to `update` and to `onLoaded`. */
async function start(options: { validate?: (sdl: string) => void; pollIntervalMs?: number } = {}) {
  const capture = createCapturingLogger("watcher-test");
  const updates: string[] = [];
  const loaded: string[] = [];
  const hook = watchedSupergraph({
    path,
    logger: capture.logger,
    validate: options.validate ?? (() => undefined),
    onLoaded: (sdl) => loaded.push(sdl),
    pollIntervalMs: options.pollIntervalMs ?? 50,
    debounceMs: 20,
  });
  const result = await hook({
    update: (sdl) => {
      if (sdl.includes("apollo refuses")) throw new Error("invalid supergraph");
      updates.push(sdl);
    },
    healthCheck: async () => undefined,
    getDataSource: () => {
      throw new Error("not used");
    },
  });
  return { result, updates, loaded, capture };
}

describe("watchedSupergraph", () => {
  it("starts with the file's text and hands each change to Apollo once", async () => {
    const { result, updates, loaded } = await start();
    expect(result.supergraphSdl).toBe("version 1");
    expect(loaded).toEqual(["version 1"]);
    await writeFile(path, "version 2");
    await eventually(() => updates.length === 1);
    // Polling sees the same change again; the text is the same, so Apollo is not asked twice.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(updates).toEqual(["version 2"]);
    expect(loaded).toEqual(["version 1", "version 2"]);
    await result.cleanup!();
  });

  it("keeps the previous supergraph when the new one fails our check or Apollo's, and logs why", async () => {
    const { result, updates, loaded, capture } = await start({
      validate: (sdl) => {
        if (sdl.includes("no url")) throw new Error("the supergraph gives no URL for subgraph \"city\"");
      },
    });
    await writeFile(path, "version 2 with no url");
    await eventually(() => capture.lines().some((line) => line.msg === "the changed supergraph is invalid; keeping the previous one"));
    await writeFile(path, "version 3 apollo refuses");
    await eventually(() => capture.lines().filter((line) => line.level === 50).length === 2);
    expect(updates).toEqual([]);
    expect(loaded).toEqual(["version 1"]);
    await writeFile(path, "version 4");
    await eventually(() => updates.length === 1);
    expect(updates).toEqual(["version 4"]);
    await result.cleanup!();
  });

  it("stops watching on cleanup", async () => {
    const { result, updates } = await start();
    await result.cleanup!();
    await writeFile(path, "version 2");
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(updates).toEqual([]);
  });

  it("refuses to start without a readable file, saying how to make one", async () => {
    await rm(path);
    await expect(start()).rejects.toThrow(/cannot read the supergraph at .*npm run compose/);
  });
});
