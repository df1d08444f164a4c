import { SYNC_BACKOFF_TYPE } from "@situation/city-subgraph";
import type { MinimalJob } from "bullmq";

export const MAX_SYNC_BACKOFF_MS = 15 * 60_000;

/**
 * Exponential backoff with "equal jitter": half the exponential delay plus a random part of the
 * other half, so that sources failing together (one provider down) do not retry together, while
 * each retry still waits at least half as long as plain exponential backoff would.
 */
export function jitteredBackoff(attemptsMade: number, baseDelayMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_SYNC_BACKOFF_MS, baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** BullMQ's `settings.backoffStrategy`: ours for SYNC_BACKOFF_TYPE; -1 (no retry) is never returned. */
export function syncBackoffStrategy(attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob): number {
  const backoff = job?.opts.backoff;
  const base = typeof backoff === "object" && typeof backoff.delay === "number" ? backoff.delay : 5_000;
  if (type !== SYNC_BACKOFF_TYPE) return base;
  return jitteredBackoff(attemptsMade, base);
}
