import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startFeedServer, type FeedServer } from "../test-support/feed-server.js";
import { fetchSource } from "./fetch-source.js";
import { FeedRejectedError, FeedUnavailableError } from "./sync-errors.js";

const text = (fetched: Awaited<ReturnType<typeof fetchSource>>) => (fetched.kind === "body" ? new TextDecoder().decode(fetched.bytes) : fetched.kind);

describe("fetchSource over HTTP", () => {
  let server: FeedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("returns the body with its sha256 and validators, and 304 as not modified when they are sent back", async () => {
    server = await startFeedServer({ status: 200, body: "external_id\nБ-1\n", etag: '"v1"' });
    const first = await fetchSource(server.url);
    expect(text(first)).toBe("external_id\nБ-1\n");
    expect(first).toMatchObject({ kind: "body", etag: '"v1"', bodyHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await fetchSource(server.url, { etag: '"v1"' })).toEqual({ kind: "not-modified" });
    expect(server.lastHeaders["if-none-match"]).toBe('"v1"');
  });

  it("treats 5xx, 408 and 429 as worth retrying and other 4xx as not", async () => {
    server = await startFeedServer({ status: 503 });
    await expect(fetchSource(server.url)).rejects.toBeInstanceOf(FeedUnavailableError);
    server.reply({ status: 429 });
    await expect(fetchSource(server.url)).rejects.toBeInstanceOf(FeedUnavailableError);
    server.reply({ status: 408 });
    await expect(fetchSource(server.url)).rejects.toBeInstanceOf(FeedUnavailableError);
    server.reply({ status: 404 });
    await expect(fetchSource(server.url)).rejects.toBeInstanceOf(FeedRejectedError);
    server.reply({ status: 403 });
    await expect(fetchSource(server.url)).rejects.toThrow(/answered HTTP 403/);
  });

  it("cuts off a body over the size limit, declared or streamed", async () => {
    server = await startFeedServer({ status: 200, body: "x".repeat(2_000) });
    await expect(fetchSource(server.url, { maxBytes: 1_000 })).rejects.toThrow(/over the limit of 1000/);
    server.reply((response) => {
      // No content-length: chunked, so only counting while reading catches it.
      response.writeHead(200, { "content-type": "text/csv" });
      for (let chunk = 0; chunk < 20; chunk += 1) response.write("y".repeat(100));
      response.end();
    });
    await expect(fetchSource(server.url, { maxBytes: 1_000 })).rejects.toBeInstanceOf(FeedRejectedError);
  });

  it("gives up on a feed that does not answer in time", async () => {
    server = await startFeedServer(() => {
      // never answers
    });
    await expect(fetchSource(server.url, { timeoutMs: 200 })).rejects.toThrow(/no complete answer within 200 ms/);
  });

  it("reports a refused connection as unavailable", async () => {
    server = await startFeedServer({ status: 200 });
    const url = server.url;
    await server.close();
    server = undefined;
    await expect(fetchSource(url)).rejects.toBeInstanceOf(FeedUnavailableError);
  });
});

describe("fetchSource of file: URLs", () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = undefined;
  });

  it("reads a file under the root, and refuses files outside it, through links, or without a root", async () => {
    root = await mkdtemp(join(tmpdir(), "sync-files-"));
    const outside = await mkdtemp(join(tmpdir(), "sync-outside-"));
    try {
      await writeFile(join(root, "feed.csv"), "external_id\nA\n");
      await writeFile(join(outside, "secret.txt"), "secret");
      await symlink(join(outside, "secret.txt"), join(root, "link.txt"));
      expect(text(await fetchSource(pathToFileURL(join(root, "feed.csv")).href, { fileRoot: root }))).toBe("external_id\nA\n");
      await expect(fetchSource(pathToFileURL(join(outside, "secret.txt")).href, { fileRoot: root })).rejects.toThrow(/outside SYNC_FILE_ROOT/);
      await expect(fetchSource(pathToFileURL(join(root, "link.txt")).href, { fileRoot: root })).rejects.toThrow(/outside SYNC_FILE_ROOT/);
      await expect(fetchSource(pathToFileURL(join(root, "feed.csv")).href)).rejects.toThrow(/SYNC_FILE_ROOT is not set/);
      await expect(fetchSource(pathToFileURL(join(root, "later.csv")).href, { fileRoot: root })).rejects.toBeInstanceOf(FeedUnavailableError);
      await expect(fetchSource(pathToFileURL(join(root, "feed.csv")).href, { fileRoot: root, maxBytes: 4 })).rejects.toBeInstanceOf(FeedRejectedError);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
