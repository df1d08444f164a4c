import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  changeStreamKey,
  createChangeEventPublisher,
  isChangeEventId,
  latestChangeEventId,
  readChangeEvents,
} from "./change-events.js";
import { createLogger } from "./logging.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = createLogger({ logLevel: "silent" }, "change-events-test");

describe("change events on a Redis stream", () => {
  const prefix = `test-${randomUUID()}`;
  const config = { redisUrl, redisPrefix: prefix };
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });

  afterAll(async () => {
    await redis.del(changeStreamKey(prefix));
    await redis.quit();
  });

  it("publishes events that a reader gets back in order, resuming after the last id it saw", async () => {
    await using publisher = createChangeEventPublisher({ config, logger });
    const start = await latestChangeEventId(redis, prefix);
    expect(start).toBe("0-0");
    await publisher.publish({ type: "outage.started", id: "o-1", districtIds: ["centar"], providerId: "water" });
    await publisher.publish({ type: "request.received", id: "r-1", districtIds: [], departmentId: "roads" });

    const all = await readChangeEvents(redis, { prefix, after: start });
    expect(all.map((event) => [event.type, event.id])).toEqual([
      ["outage.started", "o-1"],
      ["request.received", "r-1"],
    ]);
    expect(all[0]).toMatchObject({ districtIds: ["centar"], providerId: "water" });
    expect(all[0]!.at).toBeInstanceOf(Date);
    expect(all[1]).not.toHaveProperty("providerId");
    expect(all.every((event) => isChangeEventId(event.streamId))).toBe(true);

    const afterFirst = await readChangeEvents(redis, { prefix, after: all[0]!.streamId });
    expect(afterFirst.map((event) => event.id)).toEqual(["r-1"]);
    expect(await latestChangeEventId(redis, prefix)).toBe(all[1]!.streamId);
  });

  it("wakes a blocked reader when an event is appended", async () => {
    const reader = new Redis(redisUrl);
    try {
      await using publisher = createChangeEventPublisher({ config, logger });
      const from = await latestChangeEventId(redis, prefix);
      const waiting = readChangeEvents(reader, { prefix, after: from, blockMs: 5_000 });
      await publisher.publish({ type: "alert.raised", id: "a-1", districtIds: ["pepeljevac"] });
      expect((await waiting).map((event) => event.id)).toEqual(["a-1"]);
    } finally {
      reader.disconnect();
    }
  });

  it("skips entries that do not parse instead of failing the read", async () => {
    const from = await latestChangeEventId(redis, prefix);
    await redis.xadd(changeStreamKey(prefix), "*", "event", "{not json");
    await redis.xadd(changeStreamKey(prefix), "*", "event", JSON.stringify({ type: "no.such-type", id: "x", districtIds: [], at: new Date() }));
    await using publisher = createChangeEventPublisher({ config, logger });
    await publisher.publish({ type: "business.incident", id: "b-1", districtIds: [], businessId: "b" });
    const warn = vi.fn();
    const events = await readChangeEvents(redis, { prefix, after: from, logger: { warn } as never });
    expect(events.map((event) => event.id)).toEqual(["b-1"]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("rejects a resume id that is not a stream id", async () => {
    await expect(readChangeEvents(redis, { prefix, after: "1; DROP" })).rejects.toThrow(/not a change event id/);
  });

  it("never fails the caller when Redis is unreachable: the publish gives up within its time limit", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const error = vi.fn();
    const warn = vi.fn();
    const publisher = createChangeEventPublisher({
      config: { redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: prefix },
      logger: { error, warn } as never,
      timeoutMs: 200,
    });
    try {
      const started = Date.now();
      await expect(publisher.publish({ type: "outage.resolved", id: "o-2", districtIds: [] })).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(warn.mock.calls.length + error.mock.calls.length).toBe(1);
    } finally {
      // The server never answers, so QUIT is never confirmed: close must still end.
      await publisher.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
