/** A local HTTP server that plays the outage feed: answers from a script of responses, counting requests. */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FeedReply = { status: number; body?: string; contentType?: string } | ((response: ServerResponse) => void);

export interface FeedServer {
  url: string;
  requests: number;
  /** Replies in order; the last one repeats. */
  reply(...replies: FeedReply[]): void;
  close(): Promise<void>;
}

export async function startFeedServer(initial: FeedReply): Promise<FeedServer> {
  let replies: FeedReply[] = [initial];
  const state = { requests: 0 };
  const server = createServer((_request, response) => {
    const reply = replies[Math.min(state.requests, replies.length - 1)] as FeedReply;
    state.requests += 1;
    if (typeof reply === "function") {
      reply(response);
      return;
    }
    response.writeHead(reply.status, { "content-type": reply.contentType ?? "text/csv; charset=utf-8" });
    response.end(reply.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/outages.csv`,
    get requests() {
      return state.requests;
    },
    reply(...next) {
      replies = next;
      state.requests = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
