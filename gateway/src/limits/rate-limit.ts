/**
 * Rate limits per API key and per client address, counted in Redis so that every gateway instance
 * (and every process of a node cluster) draws from the same budget.
 *
 * A request that presents an API key is counted against that key (by its hash: raw keys never reach
 * Redis), so that many clients of one business behind one NAT address do not starve each other. Every
 * other request is counted against its client address. A presented key that turns out to be unknown
 * is charged to the address as well (`penalize`), and a request with a key is refused while its address
 * is over the limit: otherwise inventing a new key for every request would escape both limits.
 *
 * When Redis fails the request is let through and a warning is logged (at most every
 * WARNING_INTERVAL_MS). The choice: a Redis outage already degrades change events and the persisted
 * query cache; refusing every caller as well would turn it into a full outage of the public API, which
 * is worse than a few minutes without a limit for a platform whose subgraphs have their own protections
 * (operation limits, timeouts). Operators see the warning and the `rate_limit_failures_total` metric.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { RateLimitedError, type createRedisConnection, type Logger } from "@situation/platform";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { API_KEY_HEADER } from "../authentication.js";

/** The platform's ioredis connection (the gateway names no Redis client of its own). */
export type RedisConnection = ReturnType<typeof createRedisConnection>;

export type RateLimitBucket = "ip" | "api-key";

export interface RateLimitOptions {
  redis: RedisConnection;
  /** The platform's Redis key prefix; the counters live under `<prefix>:rate-limit:`. */
  redisPrefix: string;
  /** Requests per window per client address; 0 turns the limit off. */
  perIp: number;
  /** Requests per window per API key; 0 turns the limit off. */
  perApiKey: number;
  windowSeconds: number;
  /** Reverse proxies in front of the gateway that append to X-Forwarded-For. */
  trustedProxyHops: number;
  logger: Logger;
  /** How long a Redis call may take before the request is let through. */
  timeoutMs?: number;
  /** Told about every refused request (for metrics). */
  onLimited?: (bucket: RateLimitBucket) => void;
  /** Told about every Redis failure (for metrics). */
  onFailure?: () => void;
}

/** Headers that tell an admitted caller where it stands (IETF draft `RateLimit` fields). */
export type RateLimitHeaders = Readonly<Record<string, string>>;

export interface RateLimit {
  /** Counts the request; throws `RateLimitExceededError` when its bucket is over the limit. */
  admit(request: IncomingMessage): Promise<RateLimitHeaders>;
  /** Charges a request whose API key was rejected to its client address. */
  penalize(request: IncomingMessage): Promise<void>;
}

/** RATE_LIMITED (HTTP 429); the answer carries `Retry-After: <retryAfterSeconds>`. */
export class RateLimitExceededError extends RateLimitedError {
  readonly retryAfterSeconds: number;

  constructor(bucket: RateLimitBucket, retryAfterSeconds: number) {
    super(
      bucket === "api-key"
        ? `too many requests with this API key; retry in ${retryAfterSeconds} s`
        : `too many requests from this address; retry in ${retryAfterSeconds} s`,
      { details: { bucket, retryAfterSeconds } },
    );
    this.name = "RateLimitExceededError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const DEFAULT_RATE_LIMIT_TIMEOUT_MS = 250;
const WARNING_INTERVAL_MS = 30_000;

export function createRateLimit(options: RateLimitOptions): RateLimit {
  const limiter = (bucket: RateLimitBucket, points: number) =>
    points === 0
      ? undefined
      : new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix: `${options.redisPrefix}:rate-limit:${bucket}`,
          points,
          duration: options.windowSeconds,
          // Without it, commands queue in ioredis while Redis is away and every request waits.
          rejectIfRedisNotReady: true,
        });
  const byIp = limiter("ip", options.perIp);
  const byApiKey = limiter("api-key", options.perApiKey);
  const timeoutMs = options.timeoutMs ?? DEFAULT_RATE_LIMIT_TIMEOUT_MS;
  let lastWarning = -Infinity;
  let failuresSinceWarning = 0;

  const failedOpen = (error: unknown): undefined => {
    options.onFailure?.();
    failuresSinceWarning += 1;
    const now = Date.now();
    if (now - lastWarning >= WARNING_INTERVAL_MS) {
      options.logger.warn(
        { err: error, failures: failuresSinceWarning },
        "rate limits are not enforced: Redis did not answer; requests pass unlimited",
      );
      lastWarning = now;
      failuresSinceWarning = 0;
    }
    return undefined;
  };

  /** The limiter's answer, or undefined when Redis failed (the request passes). */
  const consult = async (operation: () => Promise<RateLimiterRes | null>): Promise<RateLimiterRes | null | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        operation(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      // rate-limiter-flexible rejects with the RateLimiterRes itself when the points are used up.
      if (error instanceof RateLimiterRes) return error;
      return failedOpen(error);
    } finally {
      clearTimeout(timer);
    }
  };

  const refuse = (bucket: RateLimitBucket, result: RateLimiterRes): never => {
    options.onLimited?.(bucket);
    throw new RateLimitExceededError(bucket, Math.max(1, Math.ceil(result.msBeforeNext / 1000)));
  };

  const headersOf = (points: number, result: RateLimiterRes | null | undefined): RateLimitHeaders =>
    result === null || result === undefined
      ? {}
      : {
          "ratelimit-limit": String(points),
          "ratelimit-remaining": String(Math.max(0, result.remainingPoints)),
          "ratelimit-reset": String(Math.ceil(result.msBeforeNext / 1000)),
        };

  return {
    async admit(request) {
      const apiKey = apiKeyOf(request);
      const address = clientAddressOf(request, options.trustedProxyHops);
      if (apiKey !== undefined && byApiKey !== undefined) {
        if (byIp !== undefined) {
          const standing = await consult(() => byIp.get(address));
          // Exhausted already (not "over": looking does not consume), e.g. by rejected keys.
          if (standing !== null && standing !== undefined && standing.consumedPoints >= options.perIp) refuse("ip", standing);
        }
        const result = await consult(() => byApiKey.consume(keyIdOf(apiKey)));
        if (result !== null && result !== undefined && result.consumedPoints > options.perApiKey) refuse("api-key", result);
        return headersOf(options.perApiKey, result);
      }
      if (byIp === undefined) return {};
      const result = await consult(() => byIp.consume(address));
      if (result !== null && result !== undefined && result.consumedPoints > options.perIp) refuse("ip", result);
      return headersOf(options.perIp, result);
    },

    async penalize(request) {
      if (byIp === undefined || apiKeyOf(request) === undefined) return;
      await consult(() => byIp.penalty(clientAddressOf(request, options.trustedProxyHops)));
    },
  };
}

function apiKeyOf(request: IncomingMessage): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A key's bucket name: a hash, so Redis never holds a usable credential. */
function keyIdOf(apiKey: string): string {
  return createHash("sha256").update(`rate-limit:${apiKey}`).digest("base64url").slice(0, 32);
}

/**
 * The client's address: the TCP peer, or with `trustedProxyHops` proxies in front, the X-Forwarded-For
 * entry that the outermost trusted proxy wrote. Entries further left are the client's own claim.
 * IPv6 addresses are bucketed by their /64, which one subscriber usually holds whole.
 */
export function clientAddressOf(request: Pick<IncomingMessage, "headers" | "socket">, trustedProxyHops: number): string {
  const peer = request.socket.remoteAddress ?? "unknown";
  let address = peer;
  if (trustedProxyHops > 0) {
    const header = request.headers["x-forwarded-for"];
    const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    const chain = [...forwarded, peer];
    address = chain[Math.max(0, chain.length - 1 - trustedProxyHops)]!;
  }
  return bucketOfAddress(address);
}

function bucketOfAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: missing }, () => "0"), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
}
