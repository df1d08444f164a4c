import { SYNC_BACKOFF_TYPE } from "@situation/city-subgraph";
import type { MinimalJob } from "bullmq";
import { describe, expect, it } from "vitest";
import { jitteredBackoff, MAX_SYNC_BACKOFF_MS, syncBackoffStrategy } from "./backoff.js";

describe("the sync backoff", () => {
  it("doubles per attempt, between half and all of the exponential delay", () => {
    expect([1, 2, 3, 4].map((attempt) => jitteredBackoff(attempt, 1_000, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((attempt) => jitteredBackoff(attempt, 1_000, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it("spreads retries of sources that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => jitteredBackoff(3, 5_000)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(10_000);
      expect(delay).toBeLessThanOrEqual(20_000);
    }
  });

  it("is capped, and reads the base delay from the job's backoff option", () => {
    expect(jitteredBackoff(30, 5_000, () => 1)).toBe(MAX_SYNC_BACKOFF_MS);
    const job = { opts: { backoff: { type: SYNC_BACKOFF_TYPE, delay: 200 } } } as unknown as MinimalJob;
    const delay = syncBackoffStrategy(1, SYNC_BACKOFF_TYPE, new Error("503"), job);
    expect(delay).toBeGreaterThanOrEqual(100);
    expect(delay).toBeLessThanOrEqual(200);
  });
});
