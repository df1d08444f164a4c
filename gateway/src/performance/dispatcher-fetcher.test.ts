import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatcherFetch } from "./dispatcher-fetcher.js";

let server: Server;
let base: string;
const agent = new Agent({ connections: 4 });
const fetcher = createDispatcherFetch(agent);

function route(request: IncomingMessage, response: ServerResponse, body: string): void {
  switch (request.url) {
    case "/echo?x=1":
      response.setHeader("content-type", "application/json");
      response.setHeader("x-multi", ["a", "b"]);
      response.end(JSON.stringify({ method: request.method, identity: request.headers["x-situation-identity"], body }));
      return;
    case "/chunked":
      response.write("first,");
      setTimeout(() => response.end("second"), 10);
      return;
    case "/broken":
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"data":');
      setTimeout(() => request.socket.destroy(), 10);
      return;
    case "/missing":
      response.writeHead(404).end("nope");
      return;
    default:
      response.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => route(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("createDispatcherFetch", () => {
  it("sends method, headers and body, and answers with status, headers and the body as JSON", async () => {
    const response = await fetcher(`${base}/echo?x=1`, {
      method: "post",
      headers: { "content-type": "application/json", "x-situation-identity": "token" },
      body: '{"query":"{ a }"}',
    });
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.statusText).toBe("OK");
    expect(response.url).toBe(`${base}/echo?x=1`);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("x-multi")).toBe("a, b");
    expect(response.headers.get("x-absent")).toBeNull();
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ method: "POST", identity: "token", body: '{"query":"{ a }"}' });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(/already been read/);
  });

  it("reports a non-2xx status without failing the call", async () => {
    const response = await fetcher(`${base}/missing`, { method: "GET" });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(404);
    expect(response.statusText).toBe("Not Found");
    expect(await response.text()).toBe("nope");
  });

  it("hands the body over chunk by chunk through a reader", async () => {
    const response = await fetcher(`${base}/chunked`, { method: "GET" });
    const body = (response as unknown as { body: ReadableStream<Uint8Array> }).body;
    const reader = body.getReader();
    expect(body.locked).toBe(true);
    const chunks: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value).toString("utf8"));
    }
    expect(chunks.join("")).toBe("first,second");
    expect(chunks.length).toBeGreaterThan(1);
  });

  it("fails a broken-off answer with fetch's TypeError, and a refused connection with its code", async () => {
    const response = await fetcher(`${base}/broken`, { method: "GET" });
    const error = await response.text().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("terminated");
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetcher(`http://127.0.0.1:${port}/graphql`, { method: "GET" })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("stops a call when its signal aborts", async () => {
    await expect(fetcher(`${base}/chunked`, { method: "GET", signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
