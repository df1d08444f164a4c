import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeepAliveFetcher } from "./keep-alive-fetcher.js";

let server: Server;
let url: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((_request, response) => response.end('{"data":{"ok":true}}'));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("keep-alive fetcher", () => {
  it("reuses connections for sequential subgraph calls instead of opening one per call", async () => {
    const keepAlive = createKeepAliveFetcher();
    connections = 0;
    for (let call = 0; call < 10; call++) {
      const response = await keepAlive.fetcher(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(await response.json()).toEqual({ data: { ok: true } });
    }
    // undici may open a second socket when the next call starts before the first socket is marked free
    // (same tick as the body ends); after that the two are reused. Without keep-alive this would be 10.
    expect(connections).toBeLessThanOrEqual(2);
    await keepAlive.close();
    await keepAlive.close();
  });

  it("opens no more than the configured connections for a burst", async () => {
    const keepAlive = createKeepAliveFetcher({ connectionsPerOrigin: 2 });
    connections = 0;
    await Promise.all(Array.from({ length: 20 }, () => keepAlive.fetcher(url, { method: "GET" }).then((response) => response.text())));
    expect(connections).toBeLessThanOrEqual(2);
    await keepAlive.close();
  });
});
