/**
 * At most one request per host per interval, shared by every worker process through Redis, so that
 * many sources on one provider's server do not hammer it (and get us blocked).
 */
import type { Redis } from "ioredis";
import { FeedUnavailableError } from "./sync-errors.js";

export interface HostRateLimiter {
  /** Waits for the host's turn; throws FeedUnavailableError (retried later) past `maxWaitMs`. */
  acquire(url: string): Promise<void>;
}

export function createHostRateLimiter(options: {
  redis: Redis;
  prefix: string;
  /** Time between two requests to one host; 0 turns the limit off. */
  intervalMs: number;
  maxWaitMs: number;
}): HostRateLimiter {
  return {
    async acquire(url) {
      if (options.intervalMs <= 0) return;
      const parsed = new URL(url);
      // Local files have no host to protect.
      if (parsed.protocol === "file:") return;
      const key = `${options.prefix}:sync-host:${parsed.host}`;
      const deadline = Date.now() + options.maxWaitMs;
      for (;;) {
        if ((await options.redis.set(key, "1", "PX", options.intervalMs, "NX")) === "OK") return;
        const remaining = await options.redis.pttl(key);
        const wait = Math.min(remaining > 0 ? remaining : 10, options.intervalMs);
        if (Date.now() + wait > deadline) {
          throw new FeedUnavailableError(`host ${parsed.host} is rate-limited for syncs; waited ${options.maxWaitMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
  };
}
