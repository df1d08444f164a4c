import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { RedisUnavailableError } from "./errors.js";
import { checkRedis, createRedisConnection } from "./redis.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("checkRedis", () => {
  it("resolves when Redis answers", async () => {
    await expect(checkRedis(redisUrl)).resolves.toBeUndefined();
  });

  it("says where Redis is not answering and how to start one", async () => {
    const url = `redis://127.0.0.1:${await unusedPort()}`;
    const error = await checkRedis(url, 500).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toContain(`Redis is not answering at ${url}`);
    expect((error as Error).message).toContain("redis-server --daemonize yes");
    expect((error as Error).message).toContain("REDIS_URL");
  });

  it("gives up within the time limit on a server that accepts but never answers", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      await expect(checkRedis(`redis://127.0.0.1:${port}`, 300)).rejects.toBeInstanceOf(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });
});

describe("createRedisConnection", () => {
  it("connects under its name and reads back what it wrote", async () => {
    const name = `platform-test-${randomUUID()}`;
    const redis = createRedisConnection({ redisUrl }, { name });
    const key = `situation-test:${randomUUID()}`;
    try {
      await redis.set(key, "value", "EX", 60);
      expect(await redis.get(key)).toBe("value");
      expect(await redis.client("GETNAME")).toBe(name);
    } finally {
      await redis.del(key);
      await redis.quit();
    }
  });

  it("sets maxRetriesPerRequest to null for BullMQ connections only", async () => {
    const forBullmq = createRedisConnection({ redisUrl }, { name: `bullmq-${randomUUID()}`, forBullmq: true });
    const plain = createRedisConnection({ redisUrl }, { name: `plain-${randomUUID()}` });
    try {
      expect(forBullmq.options.maxRetriesPerRequest).toBeNull();
      expect(plain.options.maxRetriesPerRequest).not.toBeNull();
    } finally {
      await Promise.all([forBullmq.quit(), plain.quit()]);
    }
  });
});
