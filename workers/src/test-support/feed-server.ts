/** A local HTTP server that plays a feed: answers from a script of responses, counting requests, honouring ETags. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FeedReply =
  | { status: number; body?: string | Uint8Array; contentType?: string; etag?: string; lastModified?: string }
  | ((response: ServerResponse) => void);

export interface FeedServer {
  url: string;
  /** Requests since the last `reply` (or start). */
  requests: number;
  /** Of these, answered 304. */
  notModified: number;
  /** The last request's headers and path with query. */
  lastHeaders: IncomingHttpHeaders;
  lastUrl: string | undefined;
  /** Replies in order; the last one repeats. */
  reply(...replies: FeedReply[]): void;
  close(): Promise<void>;
}

export async function startFeedServer(initial: FeedReply, path = "/outages.csv"): Promise<FeedServer> {
  let replies: FeedReply[] = [initial];
  const state = { requests: 0, notModified: 0, lastHeaders: {} as IncomingHttpHeaders, lastUrl: undefined as string | undefined };
  const server = createServer((request, response) => {
    const reply = replies[Math.min(state.requests, replies.length - 1)] as FeedReply;
    state.requests += 1;
    state.lastHeaders = request.headers;
    state.lastUrl = request.url;
    if (typeof reply === "function") {
      reply(response);
      return;
    }
    // As a real server would: the same ETag asked for again is answered 304 without a body.
    if (reply.status === 200 && reply.etag && request.headers["if-none-match"] === reply.etag) {
      state.notModified += 1;
      response.writeHead(304, { etag: reply.etag });
      response.end();
      return;
    }
    const headers: Record<string, string> = { "content-type": reply.contentType ?? "text/csv; charset=utf-8" };
    if (reply.etag) headers.etag = reply.etag;
    if (reply.lastModified) headers["last-modified"] = reply.lastModified;
    response.writeHead(reply.status, headers);
    response.end(reply.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get requests() {
      return state.requests;
    },
    get notModified() {
      return state.notModified;
    },
    get lastHeaders() {
      return state.lastHeaders;
    },
    get lastUrl() {
      return state.lastUrl;
    },
    reply(...next) {
      replies = next;
      state.requests = 0;
      state.notModified = 0;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
