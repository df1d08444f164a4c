/**
 * One load run with autocannon against one endpoint: N connections, each sending the next request as
 * soon as the previous answer arrives, for a fixed time. Every response is checked against the expected
 * answer; latency percentiles are computed from every successful response (autocannon's own table has
 * no p95).
 */
import autocannon from "autocannon";
import type { BenchOperation } from "./query.js";
import { createResponseCheck } from "./response-check.js";

export interface LoadOptions {
  url: string;
  operation: BenchOperation;
  connections: number;
  /**
   * Load before measuring, on the same connections and without a pause: a separate warm-up run would
   * abandon its in-flight requests, which the server would still be working through while measured.
   */
  warmupSeconds: number;
  durationSeconds: number;
  /** The `authorization` header of each request (a new value per request defeats per-caller caching). */
  authorization: () => string;
  /** CPU seconds used so far by processes of interest (the gateway, the subgraphs), by name. */
  cpuProbes?: Readonly<Record<string, () => number | undefined>>;
}

export interface LoadResult {
  /** Complete, correct answers per second. */
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Every request that did not get the complete, error-free answer. */
  errors: number;
  /** Of which: connection errors and timeouts, non-2xx statuses, 2xx bodies that were not the answer. */
  transportErrors: number;
  non2xx: number;
  wrongBodies: number;
  completed: number;
  /** The measured window. */
  seconds: number;
  /** Requests that failed during the warm-up (not in `errors`). */
  warmupErrors: number;
  /** CPU milliseconds per correct answer in the measured window, for each probe (NaN if unreadable). */
  cpuMsPerRequest: Record<string, number>;
  /**
   * CPU seconds per second of the measured window, for each probe: 1 is one core fully busy. A server
   * well under 1 while clients wait was starved by other work on the machine, not at its limit.
   */
  cpuCores: Record<string, number>;
  /** What the first failure looked like. */
  firstFailure: string | undefined;
}

const REQUEST_TIMEOUT_SECONDS = 30;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const check = createResponseCheck(options.operation.expected);
  const latencies: number[] = [];
  let measuring = options.warmupSeconds === 0;
  let measuredFrom = performance.now();
  let completed = 0;
  let non2xx = 0;
  let transportErrors = 0;
  let warmupErrors = 0;
  let firstNon2xx: string | undefined;
  const baseHeaders = { "content-type": "application/json", accept: "application/json" };
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.warmupSeconds + options.durationSeconds,
    timeout: REQUEST_TIMEOUT_SECONDS,
    method: "POST",
    body: options.operation.body,
    requests: [
      {
        method: "POST",
        body: options.operation.body,
        setupRequest: (request) => ({ ...request, headers: { ...baseHeaders, authorization: options.authorization() } }),
        onResponse: (status, body) => {
          const ok = status >= 200 && status <= 299;
          if (!measuring) {
            if (!ok || !warmupCheck.verify(body)) warmupErrors += 1;
            return;
          }
          completed += 1;
          if (!ok) {
            non2xx += 1;
            firstNon2xx ??= `HTTP ${status}: ${body.slice(0, 600)}`;
            return;
          }
          check.verify(body);
        },
      },
    ],
  });
  const warmupCheck = createResponseCheck(options.operation.expected);
  const probes = Object.entries(options.cpuProbes ?? {});
  const sampleCpu = () => probes.map(([, probe]) => probe());
  let cpuFrom = sampleCpu();
  const startMeasuring = setTimeout(() => {
    measuring = true;
    measuredFrom = performance.now();
    cpuFrom = sampleCpu();
  }, options.warmupSeconds * 1000);
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (measuring && statusCode >= 200 && statusCode <= 299) latencies.push(responseTime);
  });
  instance.on("reqError", () => {
    if (measuring) transportErrors += 1;
    else warmupErrors += 1;
  });
  await instance;
  clearTimeout(startMeasuring);
  const cpuTo = sampleCpu();
  const seconds = (performance.now() - measuredFrom) / 1000;
  latencies.sort((a, b) => a - b);
  const correct = completed - non2xx - check.failures;
  const cpuMsPerRequest: Record<string, number> = {};
  const cpuCores: Record<string, number> = {};
  probes.forEach(([name], index) => {
    const from = cpuFrom[index];
    const to = cpuTo[index];
    const used = from === undefined || to === undefined ? Number.NaN : to - from;
    cpuMsPerRequest[name] = correct === 0 ? Number.NaN : (used * 1000) / correct;
    cpuCores[name] = seconds > 0 ? used / seconds : Number.NaN;
  });
  return {
    requestsPerSecond: seconds > 0 ? correct / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    errors: transportErrors + non2xx + check.failures,
    transportErrors,
    non2xx,
    wrongBodies: check.failures,
    completed,
    seconds,
    warmupErrors,
    cpuMsPerRequest,
    cpuCores,
    firstFailure: firstNon2xx ?? check.firstFailure,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
