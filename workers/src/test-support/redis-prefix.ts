import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

/** A prefix of its own for each test, so tests never see each other's queues. */
export function uniqueRedisPrefix(): string {
  return `test-workers-${randomUUID().slice(0, 8)}`;
}

/** Removes every key under the prefix (BullMQ leaves queue, job and scheduler keys behind). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
