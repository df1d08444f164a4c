/** Redis connections (ioredis) for caches, change events and BullMQ. */
import { Redis } from "ioredis";
import type { PlatformConfig } from "./config.js";
import { RedisUnavailableError } from "./errors.js";
import { redactCredentials } from "./mongo.js";

export interface RedisConnectionOptions {
  /** Shown by `CLIENT LIST`, so that an operator sees which process holds a connection. */
  name: string;
  /** BullMQ requires `maxRetriesPerRequest: null` on the connections its workers block on. */
  forBullmq?: boolean;
  /**
   * False fails commands at once while disconnected instead of queueing them until Redis is back:
   * for callers that retry by themselves and must not hang (a blocking reader that has to close).
   */
  offlineQueue?: boolean;
}

/**
 * No ioredis `keyPrefix`: BullMQ rejects it and pub/sub channels ignore it. Callers put
 * `config.redisPrefix` into their key names, queue `prefix` and channel names themselves.
 */
export function createRedisConnection(config: Pick<PlatformConfig, "redisUrl">, options: RedisConnectionOptions): Redis {
  return new Redis(config.redisUrl, {
    connectionName: options.name,
    ...(options.forBullmq ? { maxRetriesPerRequest: null } : {}),
    ...(options.offlineQueue === false ? { enableOfflineQueue: false } : {}),
  });
}

export const DEFAULT_REDIS_CHECK_TIMEOUT_MS = 2_000;

/** Resolves when Redis at `url` answers PING within the time limit; otherwise says how to start one. */
export async function checkRedis(url: string, timeoutMs: number = DEFAULT_REDIS_CHECK_TIMEOUT_MS): Promise<void> {
  const shownUrl = redactCredentials(url);
  const unavailable = (cause: unknown) =>
    new RedisUnavailableError(
      `Redis is not answering at ${shownUrl}. Start one with \`redis-server --daemonize yes\`, or set REDIS_URL to a running Redis.`,
      { cause },
    );
  let client: Redis;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // One attempt: a start-up check must answer quickly, not retry forever.
      retryStrategy: () => null,
    });
  } catch (error) {
    throw unavailable(error);
  }
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  client.on("error", () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeout,
    ]);
  } catch (error) {
    throw unavailable(error);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
