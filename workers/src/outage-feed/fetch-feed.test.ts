import { afterEach, describe, expect, it } from "vitest";
import { startFeedServer, type FeedServer } from "../test-support/feed-server.js";
import { FeedRejectedError, FeedUnavailableError } from "./feed-errors.js";
import { fetchFeedText } from "./fetch-feed.js";

describe("fetchFeedText", () => {
  let server: FeedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("returns the feed's text", async () => {
    server = await startFeedServer({ status: 200, body: "external_id\nБ-1\n" });
    expect(await fetchFeedText(server.url)).toBe("external_id\nБ-1\n");
  });

  it("treats 5xx, 408 and 429 as worth retrying and other 4xx as not", async () => {
    server = await startFeedServer({ status: 503 });
    await expect(fetchFeedText(server.url)).rejects.toBeInstanceOf(FeedUnavailableError);
    server.reply({ status: 429 });
    await expect(fetchFeedText(server.url)).rejects.toBeInstanceOf(FeedUnavailableError);
    server.reply({ status: 404 });
    await expect(fetchFeedText(server.url)).rejects.toBeInstanceOf(FeedRejectedError);
    server.reply({ status: 403 });
    await expect(fetchFeedText(server.url)).rejects.toThrow(/answered HTTP 403/);
  });

  it("cuts off a body over the size limit, declared or streamed", async () => {
    server = await startFeedServer({ status: 200, body: "x".repeat(2_000) });
    await expect(fetchFeedText(server.url, { maxBytes: 1_000 })).rejects.toThrow(/over the limit of 1000/);
    server.reply((response) => {
      // No content-length: chunked, so only counting while reading catches it.
      response.writeHead(200, { "content-type": "text/csv" });
      for (let chunk = 0; chunk < 20; chunk += 1) response.write("y".repeat(100));
      response.end();
    });
    await expect(fetchFeedText(server.url, { maxBytes: 1_000 })).rejects.toBeInstanceOf(FeedRejectedError);
  });

  it("gives up on a feed that does not answer in time", async () => {
    server = await startFeedServer(() => {
      // never answers
    });
    await expect(fetchFeedText(server.url, { timeoutMs: 200 })).rejects.toThrow(/no complete answer within 200 ms/);
  });

  it("reports a refused connection as unavailable", async () => {
    server = await startFeedServer({ status: 200 });
    const url = server.url;
    await server.close();
    server = undefined;
    await expect(fetchFeedText(url)).rejects.toBeInstanceOf(FeedUnavailableError);
  });

  it("rejects a body that is not UTF-8", async () => {
    server = await startFeedServer((response) => {
      response.writeHead(200, { "content-type": "text/csv" });
      response.end(Buffer.from([0x65, 0xff, 0xfe, 0x0a]));
    });
    await expect(fetchFeedText(server.url)).rejects.toThrow(/not UTF-8/);
  });
});
