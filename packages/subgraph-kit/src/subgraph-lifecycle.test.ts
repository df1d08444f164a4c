import { describe, expect, it } from "vitest";
import { createSubgraphLifecycle, type LaunchedServer } from "./subgraph-lifecycle.js";

function fakeServer(url = "http://127.0.0.1:1/graphql"): LaunchedServer & { closes: number } {
  const server = { url, closes: 0, close: async () => void server.closes++ };
  return server;
}

describe("subgraph lifecycle", () => {
  it("launches once for concurrent starts and closes once for repeated closes", async () => {
    const server = fakeServer();
    let launches = 0;
    const lifecycle = createSubgraphLifecycle("test", async () => (launches++, server));
    const [first, second] = await Promise.all([lifecycle.start(), lifecycle.start()]);
    expect([first, second, lifecycle.url]).toEqual([server.url, server.url, server.url]);
    await Promise.all([lifecycle.close(), lifecycle.close()]);
    expect([launches, server.closes, lifecycle.url]).toEqual([1, 1, undefined]);
    await expect(lifecycle.start()).rejects.toThrow(/closed; create a new one/);
  });

  it("closes a server that finishes starting after close() was called", async () => {
    const server = fakeServer();
    let finishLaunch: (value: LaunchedServer) => void = () => undefined;
    const lifecycle = createSubgraphLifecycle("test", () => new Promise((resolve) => (finishLaunch = resolve)));
    const starting = lifecycle.start();
    const closing = lifecycle.close();
    finishLaunch(server);
    await expect(starting).rejects.toThrow(/closed while starting/);
    await closing;
    expect(server.closes).toBe(1);
  });

  it("may start again after a failed start", async () => {
    let attempts = 0;
    const lifecycle = createSubgraphLifecycle("test", async () => {
      if (++attempts === 1) throw new Error("port in use");
      return fakeServer();
    });
    await expect(lifecycle.start()).rejects.toThrow("port in use");
    await expect(lifecycle.start()).resolves.toMatch(/^http/);
    await lifecycle.close();
  });

  it("closing before any start is a no-op", async () => {
    const lifecycle = createSubgraphLifecycle("test", async () => fakeServer());
    await lifecycle.close();
    await expect(lifecycle.start()).rejects.toThrow(/closed/);
  });
});
