import type { IncomingMessage } from "node:http";
import { createRedisConnection } from "@situation/platform";
import { afterAll, describe, expect, it } from "vitest";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { clientAddressOf, createRateLimit } from "./rate-limit.js";

function requestFrom(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe("clientAddressOf", () => {
  it("uses the TCP peer and ignores X-Forwarded-For when no proxy is trusted", () => {
    expect(clientAddressOf(requestFrom("203.0.113.7", { "x-forwarded-for": "198.51.100.1" }), 0)).toBe("203.0.113.7");
  });

  it("takes the entry written by the outermost trusted proxy, not the client's own claims", () => {
    const request = requestFrom("10.0.0.2", { "x-forwarded-for": "1.1.1.1, 198.51.100.9, 10.0.0.1" });
    expect(clientAddressOf(request, 2)).toBe("198.51.100.9");
    expect(clientAddressOf(request, 1)).toBe("10.0.0.1");
    // More hops configured than entries: the leftmost is the best there is.
    expect(clientAddressOf(requestFrom("10.0.0.2", { "x-forwarded-for": "198.51.100.9" }), 5)).toBe("198.51.100.9");
  });

  it("unwraps IPv4-mapped addresses and buckets IPv6 clients by their /64", () => {
    expect(clientAddressOf(requestFrom("::ffff:192.0.2.4"), 0)).toBe("192.0.2.4");
    expect(clientAddressOf(requestFrom("2001:db8:1:2:aaaa::1"), 0)).toBe("2001:db8:1:2::/64");
    expect(clientAddressOf(requestFrom("2001:db8:1:2:bbbb:cccc:dddd:eeee"), 0)).toBe("2001:db8:1:2::/64");
    expect(clientAddressOf(requestFrom("2001:db8::7"), 0)).toBe("2001:db8:0:0::/64");
  });
});

describe("createRateLimit without Redis", () => {
  // Nothing listens on port 1: every call fails the way it does while Redis is down.
  const redis = createRedisConnection({ redisUrl: "redis://127.0.0.1:1" }, { name: "rate-limit-test" });
  redis.on("error", () => {});
  afterAll(() => redis.disconnect());

  it("lets requests through at once, counts the failures and logs one warning", async () => {
    const capture = createCapturingLogger("rate-limit-test");
    let failures = 0;
    const rateLimit = createRateLimit({
      redis,
      redisPrefix: "rate-limit-test",
      perIp: 1,
      perApiKey: 1,
      windowSeconds: 60,
      trustedProxyHops: 0,
      logger: capture.logger,
      onFailure: () => (failures += 1),
    });
    const startedAt = performance.now();
    for (let request = 0; request < 5; request += 1) {
      await expect(rateLimit.admit(requestFrom("192.0.2.1"))).resolves.toEqual({});
    }
    await expect(rateLimit.admit(requestFrom("192.0.2.1", { "x-api-key": "shk_any" }))).resolves.toEqual({});
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(failures).toBe(7);
    const warnings = capture.lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/rate limits are not enforced/);
  });
});
