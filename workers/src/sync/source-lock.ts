/**
 * One run at a time per source, across every worker process: a Redis key per source holding the
 * run's token, with a TTL that the holder renews while it runs. A worker that dies (kill -9) stops
 * renewing, so the key expires and the retried job can take it.
 */
import type { Redis } from "ioredis";

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  /** False once a renewal found the lock gone (expired while the process was stalled, then taken). */
  readonly held: boolean;
  release(): Promise<void>;
}

export interface SourceLocks {
  /** Takes the source's lock, or answers null when another run holds it. */
  tryAcquire(sourceId: string, token: string): Promise<HeldLock | null>;
}

export function createSourceLocks(options: { redis: Redis; prefix: string; ttlMs: number; onLost?: (sourceId: string) => void }): SourceLocks {
  const { redis, ttlMs } = options;
  const keyOf = (sourceId: string) => `${options.prefix}:sync-lock:${sourceId}`;
  return {
    async tryAcquire(sourceId, token) {
      const key = keyOf(sourceId);
      const taken = await redis.set(key, token, "PX", ttlMs, "NX");
      if (taken !== "OK") return null;
      let held = true;
      const timer = setInterval(() => {
        redis
          .eval(RENEW, 1, key, token, String(ttlMs))
          .then((renewed) => {
            if (Number(renewed) !== 1 && held) {
              held = false;
              options.onLost?.(sourceId);
            }
          })
          // A failed renewal is retried at the next tick; the TTL leaves room for two misses.
          .catch(() => undefined);
      }, Math.max(100, Math.floor(ttlMs / 3)));
      timer.unref();
      let released: Promise<void> | undefined;
      return {
        get held() {
          return held;
        },
        release() {
          released ??= (async () => {
            clearInterval(timer);
            held = false;
            await redis.eval(RELEASE, 1, key, token);
          })();
          return released;
        },
      };
    },
  };
}
