/** A local HTTP server that plays an outage feed provider: it serves whatever CSV the test gives it. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FeedServer {
  url: string;
  /** How many times the feed was fetched. */
  readonly requests: number;
  serve(csv: string): void;
  close(): Promise<void>;
}

export async function startFeedServer(csv: string): Promise<FeedServer> {
  let body = csv;
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { "content-type": "text/csv; charset=utf-8" });
    response.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/e2e/outages.csv`,
    get requests() {
      return requests;
    },
    serve(next) {
      body = next;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The worker's fetch may keep a connection alive; it must not hold the close up.
        server.closeAllConnections();
      })),
  };
}
