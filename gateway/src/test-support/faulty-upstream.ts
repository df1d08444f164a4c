/**
 * A stand-in for a subgraph that misbehaves on demand: it forwards to the real subgraph, or answers
 * slowly, with HTML, broken JSON, a wrong shape, an HTTP 500 or an endless body, or stops listening
 * altogether and comes back on the same port, as a crashed and restarted subgraph would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type UpstreamBehaviour =
  | { kind: "forward" }
  /** Waits, then forwards: slower than the gateway's timeout for that subgraph. */
  | { kind: "slow"; delayMs: number }
  /** Sends the headers at once, then the body one byte at a time, `intervalMs` apart. */
  | { kind: "trickle"; intervalMs: number }
  /** Answers with exactly this status, content type and body. */
  | { kind: "answer"; status: number; contentType: string; body: string }
  /** Sends the headers and half an answer, then drops the connection, as a crashing subgraph does. */
  | { kind: "cut" }
  /** A JSON body of `bytes` bytes, chunked (no content-length) or with a declared length. */
  | { kind: "huge"; bytes: number; declareLength: boolean };

export interface FaultyUpstream {
  readonly url: string;
  behave(behaviour: UpstreamBehaviour): void;
  /** Stops listening and drops open connections: the subgraph is down. */
  stop(): Promise<void>;
  /** Listens again on the same port (if stopped). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultyUpstream(targetUrl: string): Promise<FaultyUpstream> {
  let behaviour: UpstreamBehaviour = { kind: "forward" };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const current = behaviour;
    switch (current.kind) {
      case "forward":
        await forward(request, body, response, targetUrl);
        return;
      case "slow":
        later(current.delayMs, () => void forward(request, body, response, targetUrl).catch(() => response.destroy()));
        return;
      case "trickle": {
        response.writeHead(200, { "content-type": "application/json" });
        const payload = '{"data":{"outageSummary":"slowly"}}';
        let sent = 0;
        const next = () => {
          if (response.destroyed) return;
          if (sent === payload.length) return void response.end();
          response.write(payload[sent++]!);
          later(current.intervalMs, next);
        };
        next();
        return;
      }
      case "cut":
        response.writeHead(200, { "content-type": "application/json" });
        response.write('{"data":{"outageSum');
        later(20, () => response.destroy());
        return;
      case "answer":
        response.writeHead(current.status, { "content-type": current.contentType });
        response.end(current.body);
        return;
      case "huge": {
        const filler = Buffer.alloc(64 * 1024, "x");
        response.writeHead(200, {
          "content-type": "application/json",
          ...(current.declareLength ? { "content-length": String(current.bytes) } : {}),
        });
        let remaining = current.bytes;
        const pump = () => {
          while (remaining > 0 && !response.destroyed) {
            const piece = filler.subarray(0, Math.min(filler.length, remaining));
            remaining -= piece.length;
            if (!response.write(piece)) return void response.once("drain", pump);
          }
          response.end();
        };
        pump();
        return;
      }
      default:
        throw new Error(`unknown behaviour ${JSON.stringify(current satisfies never)}`);
    }
  };

  let server = createUpstreamServer(handle);
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;

  const stop = async () => {
    if (!server.listening) return;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: `http://127.0.0.1:${port}/graphql`,
    behave: (next) => {
      behaviour = next;
    },
    stop,
    restart: async () => {
      if (server.listening) return;
      server = createUpstreamServer(handle);
      await listen(server, port);
    },
    close: stop,
  };
}

function createUpstreamServer(handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>): Server {
  return createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

async function forward(request: IncomingMessage, body: Buffer, response: ServerResponse, targetUrl: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string" && name !== "host" && name !== "content-length" && name !== "connection") headers[name] = value;
  }
  const answer = await fetch(new URL(request.url ?? "/graphql", targetUrl), {
    method: request.method ?? "POST",
    headers,
    ...(request.method === "GET" || request.method === "HEAD" ? {} : { body }),
  });
  const text = await answer.text();
  response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
  response.end(text);
}
