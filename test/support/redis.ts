/** Redis hygiene for the tests: a prefix of each test's own, and every key under it removed afterwards. */
import { randomUUID } from "node:crypto";
import { createRedisConnection } from "@situation/platform";

/** Unique per call, so that queues and schedulers of different tests (and runs) never meet. */
export function uniqueRedisPrefix(testName: string): string {
  return `e2e-${testName}-${randomUUID().slice(0, 8)}`;
}

/** Removes every key under `prefix:` (BullMQ leaves queue, job and scheduler keys behind); returns how many. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = createRedisConnection({ redisUrl }, { name: "e2e-cleanup" });
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** How many keys exist under `prefix:` (to show the cleanup worked, or that a process used the prefix). */
export async function countRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = createRedisConnection({ redisUrl }, { name: "e2e-count" });
  let count = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      count += keys.length;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return count;
}
