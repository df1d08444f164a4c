/**
 * Several rounds of the same measurement, summarised: on a shared machine one round can land in a busy
 * minute, so the figures are the median of the rounds, with the spread of requests/s beside them.
 */
import type { LoadResult } from "./load.js";

export interface Summary {
  rounds: number;
  requestsPerSecond: number;
  requestsPerSecondMin: number;
  requestsPerSecondMax: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Summed over the rounds. */
  errors: number;
  transportErrors: number;
  non2xx: number;
  wrongBodies: number;
  firstFailure: string | undefined;
  cpuMsPerRequest: Record<string, number>;
  cpuCores: Record<string, number>;
}

export function summarize(results: readonly LoadResult[]): Summary {
  if (results.length === 0) throw new RangeError("nothing to summarise: no rounds were measured");
  const rates = results.map((result) => result.requestsPerSecond);
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, result) => total + pick(result), 0);
  const medianOf = (pick: (result: LoadResult) => number) => median(results.map(pick));
  const byProbe = (pick: (result: LoadResult) => Record<string, number>) =>
    Object.fromEntries(Object.keys(pick(results[0]!)).map((probe) => [probe, median(results.map((result) => pick(result)[probe] ?? Number.NaN))]));
  return {
    rounds: results.length,
    requestsPerSecond: median(rates),
    requestsPerSecondMin: Math.min(...rates),
    requestsPerSecondMax: Math.max(...rates),
    p50Ms: medianOf((result) => result.p50Ms),
    p95Ms: medianOf((result) => result.p95Ms),
    p99Ms: medianOf((result) => result.p99Ms),
    errors: sum((result) => result.errors),
    transportErrors: sum((result) => result.transportErrors),
    non2xx: sum((result) => result.non2xx),
    wrongBodies: sum((result) => result.wrongBodies),
    firstFailure: results.find((result) => result.firstFailure !== undefined)?.firstFailure,
    cpuMsPerRequest: byProbe((result) => result.cpuMsPerRequest),
    cpuCores: byProbe((result) => result.cpuCores),
  };
}

/** The middle value (the mean of the two middle ones for an even count); NaN values sort last. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
