/**
 * Prometheus metrics at `GET /metrics`: HTTP requests, GraphQL operations (count and latency by
 * operation name and type), errors by client-visible code, subgraph fetches (latency by subgraph and
 * outcome), persisted-query cache hits and rate-limit refusals, plus Node's process metrics.
 *
 * Each gateway has its own registry, so that several in one process (tests, benchmarks) do not share
 * counters. Operation names come from clients: only the first MAX_OPERATION_NAMES distinct names get
 * their own series, later ones are counted as "other", so that a client inventing names cannot grow
 * Prometheus's memory without bound.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode } from "@situation/platform";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { GatewayContext } from "./context.js";
import { sendError } from "./http-io.js";
import type { SubgraphFetcher } from "./keep-alive-fetcher.js";
import type { RateLimitBucket } from "./limits/rate-limit.js";

export const METRICS_PATH = "/metrics";
export const METRIC_PREFIX = "situation_gateway_";
export const MAX_OPERATION_NAMES = 500;

// Subgraph calls are milliseconds apart from whole operations; one bucket list serves both, from a
// cached lookup (2 ms) to a subgraph at its timeout (30 s).
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type PersistedQueryResult = "apq_hit" | "apq_miss" | "apq_register" | "trusted";

export interface GatewayMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC); on by default. */
  processMetrics?: boolean;
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Apollo Server plugin counting operations, their latency, errors and persisted-query results. */
  plugin(): ApolloServerPlugin<GatewayContext>;
  /** Wraps a subgraph's fetcher to time every call. */
  instrumentFetcher(subgraph: string, fetcher: SubgraphFetcher): SubgraphFetcher;
  /** Counts a finished HTTP request by route (a fixed set, never the raw path). */
  countHttpRequest(route: string, method: string, status: number): void;
  countRateLimited(bucket: RateLimitBucket): void;
  countRateLimitFailure(): void;
  countPersistedQuery(result: PersistedQueryResult): void;
  /** Counts an error answered before Apollo saw the operation (the shape limits on the query text). */
  countRefusal(code: string): void;
  /** Answers `GET /metrics`. */
  serve(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  const httpRequests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: "HTTP requests answered, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const operations = new Counter({
    name: `${METRIC_PREFIX}graphql_operations_total`,
    help: "GraphQL operations answered, by operation name and type",
    labelNames: ["operation", "type"] as const,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: `${METRIC_PREFIX}graphql_operation_duration_seconds`,
    help: "Time from receiving a GraphQL operation to its answer, by operation name and type",
    labelNames: ["operation", "type"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: `${METRIC_PREFIX}graphql_errors_total`,
    help: "Errors in GraphQL answers, by the code the client sees",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const subgraphFetches = new Histogram({
    name: `${METRIC_PREFIX}subgraph_fetch_duration_seconds`,
    help: "Calls to subgraphs until the response headers, by subgraph and outcome (ok, http_error, network_error)",
    labelNames: ["subgraph", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const persistedQueries = new Counter({
    name: `${METRIC_PREFIX}persisted_queries_total`,
    help: "Persisted-query lookups: APQ cache hits, misses and registrations, and trusted documents served by id",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: `${METRIC_PREFIX}rate_limited_total`,
    help: "Requests refused by a rate limit, by bucket (ip, api-key)",
    labelNames: ["bucket"] as const,
    registers: [registry],
  });
  const rateLimitFailures = new Counter({
    name: `${METRIC_PREFIX}rate_limit_failures_total`,
    help: "Requests let through unlimited because Redis did not answer the rate limiter",
    registers: [registry],
  });

  const knownOperationNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (name === null || name === undefined) return "(anonymous)";
    if (knownOperationNames.has(name)) return name;
    if (knownOperationNames.size >= MAX_OPERATION_NAMES) return "other";
    knownOperationNames.add(name);
    return name;
  };
  const countPersistedQuery = (result: PersistedQueryResult) => persistedQueries.inc({ result });

  const expectedAuthorization = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);

  return {
    registry,

    plugin: () => ({
      async requestDidStart({ request }) {
        const startedAt = performance.now();
        const usesApq = request.extensions?.persistedQuery !== undefined;
        return {
          async willSendResponse({ response, operation, operationName, metrics }) {
            // Before an operation is resolved (a parse error, an unknown persisted query) there is no name.
            const labels = { operation: operation === undefined ? "(unresolved)" : operationLabel(operationName), type: operation?.operation ?? "unknown" };
            operations.inc(labels);
            operationDuration.observe(labels, (performance.now() - startedAt) / 1000);
            const sent = response.body.kind === "single" ? response.body.singleResult.errors : response.body.initialResult.errors;
            for (const error of sent ?? []) {
              const code = error.extensions?.code;
              errors.inc({ code: typeof code === "string" ? code : ErrorCode.INTERNAL_SERVER_ERROR });
              if (code === "PERSISTED_QUERY_NOT_FOUND") countPersistedQuery("apq_miss");
            }
            if (usesApq && metrics.persistedQueryHit) countPersistedQuery("apq_hit");
            if (usesApq && metrics.persistedQueryRegister) countPersistedQuery("apq_register");
          },
        };
      },
    }),

    instrumentFetcher(subgraph, fetcher) {
      return async (url, init) => {
        const stop = subgraphFetches.startTimer({ subgraph });
        try {
          const response = await fetcher(url, init);
          stop({ outcome: response.ok ? "ok" : "http_error" });
          return response;
        } catch (error) {
          stop({ outcome: "network_error" });
          throw error;
        }
      };
    },

    countHttpRequest(route, method, status) {
      httpRequests.inc({ route, method, status: String(status) });
    },
    countRateLimited(bucket) {
      rateLimited.inc({ bucket });
    },
    countRateLimitFailure() {
      rateLimitFailures.inc();
    },
    countPersistedQuery,
    countRefusal(code) {
      errors.inc({ code });
    },

    async serve(request, response) {
      if (expectedAuthorization !== undefined) {
        const presented = Buffer.from(request.headers.authorization ?? "");
        if (presented.length !== expectedAuthorization.length || !timingSafeEqual(presented, expectedAuthorization)) {
          sendError(response, ErrorCode.UNAUTHENTICATED, "metrics need the scrape token: Authorization: Bearer <GATEWAY_METRICS_TOKEN>");
          return;
        }
      }
      const text = await registry.metrics();
      response.statusCode = 200;
      response.setHeader("content-type", registry.contentType);
      response.end(text);
    },
  };
}
