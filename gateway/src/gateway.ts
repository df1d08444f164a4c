/**
 * The federated gateway: Apollo Gateway on Apollo Server, served by `node:http`. Behaviour lives in
 * small modules, one each: authentication, identity forwarding, the keep-alive fetcher, error masking,
 * health, metrics, the limits (operation limits, persisted documents, rate limits) and resilience
 * (subgraph timeouts and partial results, supergraph hot reload); this file wires them to HTTP and
 * owns start-up and shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloGateway, type SupergraphSdlHook } from "@apollo/gateway";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import type { Tracer } from "@opentelemetry/api";
import {
  createRedisConnection,
  ErrorCode,
  isPlatformError,
  PLATFORM_DATABASE,
  REQUEST_ID_HEADER,
  UserInputError,
  type Logger,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { defaultTracer } from "@situation/subgraph-kit/tracing";
import { createAuthentication, type Authenticate } from "./authentication.js";
import type { GatewayContext } from "./context.js";
import { errorMaskingPlugin, maskError } from "./error-masking.js";
import { checkHealth, DEFAULT_HEALTH_TIMEOUT_MS, type HealthReport } from "./health.js";
import { PayloadTooLargeError, readBody, sendError, sendJson, sendPlatformError } from "./http-io.js";
import { IdentityForwardingDataSource } from "./identity-forwarding.js";
import { createKeepAliveFetcher, type KeepAliveFetcher } from "./keep-alive-fetcher.js";
import { apolloExecutor, createOpen311Handler, OPEN311_PREFIX, type Open311Handler } from "./open311/index.js";
import { REPORTS_CSV_PATH, serveRequestReportCsv } from "./reports-csv.js";
import { createChangeStreamHub, type ChangeStreamHub } from "./live-events/change-stream-hub.js";
import { createLiveEvents, LIVE_EVENTS_PATH, type LiveEvents } from "./live-events/live-events-handler.js";
import {
  createOperationPrecheck,
  limitExtensions,
  operationLimitsPlugin,
  type CostModel,
  type OperationLimitError,
  type OperationLimits,
} from "./limits/operation-limits.js";
import {
  loadTrustedDocuments,
  persistedDocumentsPlugin,
  persistedQueriesOption,
  type TrustedDocuments,
} from "./limits/persisted-documents.js";
import { createRateLimit, RateLimitExceededError, type RateLimit, type RedisConnection } from "./limits/rate-limit.js";
import { createGatewayMetrics, METRICS_PATH, type GatewayMetrics } from "./metrics.js";
import { createQueryPlanExposure } from "./query-plan.js";
import { requestIdOf } from "./request-id.js";
import { createSubgraphFetchTracing, recordRequestError, traceRequest, tracingPlugin } from "./tracing/request-tracing.js";
import { watchedSupergraph } from "./resilience/supergraph-watcher.js";
import { loadSupergraphSdl, subgraphEndpointsOf, type SubgraphEndpoint } from "./supergraph.js";

export type GatewayConfig = Pick<
  PlatformConfig,
  | "nodeEnv"
  | "host"
  | "gatewayPort"
  | "identitySecret"
  | "jwtSecret"
  | "supergraphPath"
  | "cityUrl"
  | "servicesUrl"
  | "businessUrl"
  | "redisUrl"
  | "redisPrefix"
  | "gatewayLimits"
  | "trustedDocumentsPath"
  | "requireTrustedDocuments"
  | "rateLimitPerIp"
  | "rateLimitPerApiKey"
  | "rateLimitWindowSeconds"
  | "trustedProxyHops"
  | "metricsToken"
  | "gatewayResilience"
>;

export type GatewayLimits = PlatformConfig["gatewayLimits"] & Pick<OperationLimits, "maxRepeatedFields">;

/** Subgraph timeouts and answer size, and how often the supergraph file is checked; see resilience/. */
export type GatewayResilience = Omit<PlatformConfig["gatewayResilience"], "workers">;

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Where API keys are looked up (database `platform`). */
  mongo: Pick<MongoConnection, "db">;
  /** The supergraph itself; otherwise it is read from `supergraphPath`. */
  supergraphSdl?: string;
  /** Overrides `config.supergraphPath`. */
  supergraphPath?: string;
  /**
   * Subgraph URLs by subgraph name, overriding those composed into the supergraph. Defaults to the
   * configured `city`, `services` and `business` URLs; pass `{}` to use the supergraph's own.
   */
  subgraphUrls?: Readonly<Record<string, string>>;
  /** How long `/health` waits for each subgraph. */
  healthTimeoutMs?: number;
  /** Limits of the live event stream at `/events` (heartbeat interval, clients per process). */
  liveEvents?: { heartbeatMs?: number; maxClients?: number };
  /** The Open311 `jurisdiction_id` served at `/open311/v2/`; defaults to "krusevac.rs". */
  open311JurisdictionId?: string;
  /** Overrides `config.gatewayLimits` one by one, and the repeated-field limit (20). */
  limits?: Partial<GatewayLimits>;
  /** Per-field costs and list sizes of the cost estimate; see limits/operation-limits.ts. */
  costModel?: CostModel;
  /** The trusted documents themselves; otherwise read from `config.trustedDocumentsPath`. */
  trustedDocuments?: TrustedDocuments;
  /** Node's process metrics at /metrics; on by default (tests starting many gateways turn them off). */
  processMetrics?: boolean;
  /** Overrides `config.gatewayResilience` one by one. */
  resilience?: Partial<GatewayResilience>;
  /** Spans of requests and subgraph fetches (tracing/); defaults to the OpenTelemetry API's global tracer. */
  tracer?: Tracer;
}

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  port: number;
  /** The current supergraph's subgraphs (it may be reloaded). */
  readonly subgraphs: readonly SubgraphEndpoint[];
  /** Stops taking requests, finishes in-flight ones, then closes subgraph connections; safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = options;
  const tracer = options.tracer ?? defaultTracer();
  const fetchTracing = createSubgraphFetchTracing(tracer);
  const resilience: GatewayResilience = { ...config.gatewayResilience, ...options.resilience };
  const urlOverrides = options.subgraphUrls ?? configuredSubgraphUrls(config);
  const supergraphPath = options.supergraphPath ?? config.supergraphPath;
  // Replaced whenever the supergraph is (re)loaded; /health probes the current list.
  let subgraphs: SubgraphEndpoint[] = [];
  const useSupergraph = (supergraphSdl: string) => {
    subgraphs = subgraphEndpointsOf(supergraphSdl, urlOverrides);
  };
  let supergraph: string | SupergraphSdlHook;
  if (options.supergraphSdl !== undefined || resilience.supergraphPollMs === 0) {
    supergraph = await loadSupergraphSdl({
      ...(options.supergraphSdl === undefined ? {} : { supergraphSdl: options.supergraphSdl }),
      supergraphPath,
    });
    useSupergraph(supergraph);
  } else {
    supergraph = watchedSupergraph({
      path: supergraphPath,
      logger,
      pollIntervalMs: resilience.supergraphPollMs,
      validate: (supergraphSdl) => subgraphEndpointsOf(supergraphSdl, urlOverrides),
      onLoaded: useSupergraph,
    });
  }
  const timeoutOf = (subgraph: string) => resilience.subgraphTimeouts[subgraph] ?? resilience.subgraphTimeoutMs;

  const limits: GatewayLimits = { ...config.gatewayLimits, ...options.limits };
  const trustedDocuments =
    options.trustedDocuments ??
    (config.trustedDocumentsPath === undefined ? undefined : await loadTrustedDocuments(config.trustedDocumentsPath));
  if (config.requireTrustedDocuments && trustedDocuments === undefined) {
    throw new Error("requireTrustedDocuments is set but no trusted documents were given (GATEWAY_TRUSTED_DOCUMENTS)");
  }
  const metrics = createGatewayMetrics({
    ...(config.metricsToken === undefined ? {} : { token: config.metricsToken }),
    ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
  });

  // One connection pool per subgraph, whose socket timeouts follow that subgraph's timeout: they free
  // the connections of calls the data source gave up on (resilience/), whose own timer answers first.
  const keepAlive = createKeepAliveFetcher();
  const subgraphConnections = new Map<string, KeepAliveFetcher>();
  const connectionsTo = (subgraph: string): KeepAliveFetcher => {
    let connections = subgraphConnections.get(subgraph);
    if (connections === undefined) {
      connections = createKeepAliveFetcher({ requestTimeoutMs: timeoutOf(subgraph) + 1_000 });
      subgraphConnections.set(subgraph, connections);
    }
    return connections;
  };
  const connections = {
    close: async () => {
      await Promise.all([keepAlive, ...subgraphConnections.values()].map((each) => each.close()));
    },
  };
  const queryPlans = createQueryPlanExposure();
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph,
    // Apollo skips this in production to start faster; a reloaded file must be checked everywhere.
    validateSupergraph: true,
    logger: apolloLoggerOf(logger),
    experimental_didResolveQueryPlan: queryPlans.didResolveQueryPlan,
    buildService: ({ name, url }) => {
      const resolved = urlOverrides[name] ?? url;
      // subgraphEndpointsOf refused such a supergraph already, so this is a bug, not a configuration error.
      if (resolved === undefined) throw new Error(`Apollo asked for subgraph "${name}", which has no URL`);
      return new IdentityForwardingDataSource({
        name,
        url: resolved,
        fetcher: metrics.instrumentFetcher(name, connectionsTo(name).fetcher),
        identitySecret: config.identitySecret,
        timeoutMs: timeoutOf(name),
        maxResponseBytes: resilience.subgraphMaxResponseBytes,
        tracing: fetchTracing,
      });
    },
  });

  // Rate limits and the APQ cache share one connection; both treat Redis trouble as "let it pass".
  const redis = createRedisConnection(config, { name: "gateway" });
  watchRedis(redis, logger);
  await untilReady(redis, REDIS_READY_TIMEOUT_MS);
  const persistedDocuments = {
    trustedDocuments,
    requireTrustedDocuments: config.requireTrustedDocuments,
    redis,
    redisPrefix: config.redisPrefix,
    logger,
    onTrustedDocument: () => metrics.countPersistedQuery("trusted"),
  };
  const production = config.nodeEnv === "production";

  const httpServer = createServer();
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: apolloLoggerOf(logger),
    formatError: maskError,
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    // Without introspection, "Did you mean …?" suggestions would still reveal the schema piece by piece.
    hideSchemaDetailsFromClientErrors: production,
    // Apollo's default, stated: a browser's simple request (no preflight) cannot run an operation.
    csrfPrevention: true,
    // The parser stops at the limit, so an oversized query never reaches validation, whose work grows
    // faster than the query.
    parseOptions: { maxTokens: limits.maxTokens },
    persistedQueries: persistedQueriesOption(persistedDocuments),
    // The process's ordered shutdown (platform createShutdown) owns SIGINT/SIGTERM. Apollo's own
    // handlers would stop the server behind its back and re-send the signal, killing the process
    // before Mongo and the other steps close.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      errorMaskingPlugin(),
      // Before the persisted-documents plugin, which rewrites a trusted document's request.
      metrics.plugin(),
      persistedDocumentsPlugin(persistedDocuments),
      operationLimitsPlugin({ limits, ...(options.costModel === undefined ? {} : { cost: options.costModel }) }),
      queryPlans.plugin(),
      tracingPlugin(),
    ],
  });

  try {
    await apollo.start();
  } catch (error) {
    await connections.close();
    redis.disconnect();
    throw error;
  }

  const authenticate = createAuthentication({ jwtSecret: config.jwtSecret, apiKeys: () => options.mongo.db(PLATFORM_DATABASE) });
  const changeStream = createChangeStreamHub({ config, logger });
  const liveEvents = createLiveEvents({ hub: changeStream, authenticate, ...options.liveEvents });
  const rateLimit = createRateLimit({
    redis,
    redisPrefix: config.redisPrefix,
    perIp: config.rateLimitPerIp,
    perApiKey: config.rateLimitPerApiKey,
    windowSeconds: config.rateLimitWindowSeconds,
    trustedProxyHops: config.trustedProxyHops,
    logger,
    onLimited: (bucket) => metrics.countRateLimited(bucket),
    onFailure: () => metrics.countRateLimitFailure(),
  });
  const handle = createRequestHandler({
    apollo,
    authenticate,
    logger,
    rateLimit,
    metrics,
    tracer,
    maxBodyBytes: limits.maxBodyBytes,
    precheck: createOperationPrecheck({ limits, maxTokens: limits.maxTokens }),
    healthCheck: () => checkHealth(subgraphs, keepAlive.fetcher, options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS),
    liveEvents,
    open311: createOpen311Handler({
      execute: apolloExecutor(apollo),
      authenticate,
      ...(options.open311JurisdictionId === undefined ? {} : { jurisdictionId: options.open311JurisdictionId }),
    }),
  });
  httpServer.on("request", (request: IncomingMessage, response: ServerResponse) => void handle(request, response));

  try {
    await listen(httpServer, config.host, config.gatewayPort);
  } catch (error) {
    await apollo.stop().catch(() => undefined);
    await changeStream.close();
    await connections.close();
    redis.disconnect();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}/graphql`;
  logger.info({ url, subgraphs }, "gateway listening");

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutDown({ apollo, httpServer, connections, liveEvents, changeStream, redis, logger }));
  return {
    url,
    port,
    get subgraphs() {
      return subgraphs;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function configuredSubgraphUrls(config: GatewayConfig): Record<string, string> {
  return { city: config.cityUrl, services: config.servicesUrl, business: config.businessUrl };
}

interface RequestHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  authenticate: Authenticate;
  logger: Logger;
  healthCheck: () => Promise<HealthReport>;
  /** Open311 GeoReport v2 under `/open311/v2/`, answering in its own formats. */
  open311: Open311Handler;
  /** Server-Sent Events of the change stream at `/events`. */
  liveEvents: LiveEvents;
  rateLimit: RateLimit;
  metrics: GatewayMetrics;
  tracer: Tracer;
  maxBodyBytes: number;
  /** The shape limits on the query text, before Apollo validates it (see limits/operation-limits.ts). */
  precheck: (query: string) => OperationLimitError | undefined;
}

/**
 * Whether this process serves requests at all, for a load balancer or process manager: unlike
 * `/health` it does not depend on the subgraphs, which every instance sees alike, so a subgraph
 * being down never takes every gateway out of a balancer at once.
 */
const LIVENESS_PATH = "/health/live";

/** Paths answered without counting against a rate limit: probes and scrapes come every few seconds. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/health", LIVENESS_PATH, METRICS_PATH]);

/** A fixed label per route for the metrics: raw paths are chosen by clients and unbounded. */
function routeOf(path: string): string {
  if (path === "/graphql") return "graphql";
  if (path === "/health") return "health";
  if (path === LIVENESS_PATH) return "liveness";
  if (path === METRICS_PATH) return "metrics";
  if (path === LIVE_EVENTS_PATH) return "events";
  if (path === REPORTS_CSV_PATH) return "reports-csv";
  if (path.startsWith(OPEN311_PREFIX)) return "open311";
  return "other";
}

function createRequestHandler(options: RequestHandlerOptions) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    const requestId = requestIdOf(request.headers);
    const logger = options.logger.child({ requestId });
    response.setHeader(REQUEST_ID_HEADER, requestId);
    const path = new URL(request.url ?? "/", "http://gateway.invalid").pathname;
    response.on("finish", () => {
      const fields = { method: request.method, path, status: response.statusCode, ms: Math.round(performance.now() - startedAt) };
      // Health probes arrive every few seconds; they would drown the request log.
      if (path === "/health" || path === LIVENESS_PATH || path === METRICS_PATH) logger.debug(fields, "request");
      else logger.info(fields, "request");
      options.metrics.countHttpRequest(routeOf(path), request.method ?? "GET", response.statusCode);
    });
    // Probes and scrapes are not traced, for the same reason they are not logged at info.
    const span = UNLIMITED_PATHS.has(path) ? undefined : traceRequest(options.tracer, request, response, path, routeOf(path));
    try {
      if (!UNLIMITED_PATHS.has(path)) {
        for (const [name, value] of Object.entries(await options.rateLimit.admit(request))) response.setHeader(name, value);
      }
      if (path === LIVENESS_PATH && (request.method === "GET" || request.method === "HEAD")) {
        sendJson(response, 200, { status: "ok" });
      } else if (path === "/health" && (request.method === "GET" || request.method === "HEAD")) {
        const report = await options.healthCheck();
        sendJson(response, report.status === "ok" ? 200 : 503, report);
      } else if (path === METRICS_PATH && request.method === "GET") {
        await options.metrics.serve(request, response);
      } else if (path === "/graphql") {
        await serveGraphQL(request, response, { requestId, logger, span }, options);
      } else if (path === REPORTS_CSV_PATH && request.method === "GET") {
        await serveRequestReportCsv(request, response, { apollo: options.apollo, authenticate: options.authenticate, requestId, logger });
      } else if (path === LIVE_EVENTS_PATH && request.method === "GET") {
        await options.liveEvents.handle(request, response, { requestId, logger });
      } else if (path.startsWith(OPEN311_PREFIX)) {
        await options.open311(request, response, { requestId, logger });
      } else {
        sendError(response, ErrorCode.NOT_FOUND, `no route for ${request.method} ${path}; GraphQL is at /graphql`);
      }
    } catch (error) {
      recordRequestError(span, error);
      if (response.headersSent) {
        logger.error({ err: error }, "failed while streaming a response");
        response.destroy();
      } else if (isPlatformError(error) && error.code !== ErrorCode.INTERNAL_SERVER_ERROR) {
        if (error.code === ErrorCode.UPSTREAM_FAILURE) logger.warn({ err: error }, error.message);
        if (error instanceof RateLimitExceededError) response.setHeader("retry-after", String(error.retryAfterSeconds));
        // A rejected API key is charged to the address, so that guessing keys is rate limited too.
        if (error.code === ErrorCode.UNAUTHENTICATED) await options.rateLimit.penalize(request);
        sendPlatformError(response, error);
      } else if (error instanceof PayloadTooLargeError) {
        sendError(response, ErrorCode.BAD_USER_INPUT, error.message, { field: "body" }, 413);
      } else {
        logger.error({ err: error }, "masked an unexpected error");
        sendError(response, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", { requestId });
      }
    }
  };
}

async function serveGraphQL(
  request: IncomingMessage,
  response: ServerResponse,
  { requestId, logger, span }: Omit<GatewayContext, "identity">,
  options: RequestHandlerOptions,
): Promise<void> {
  // Authenticate before reading the operation: a bad credential is refused with 401 whatever it asks.
  const identity = await options.authenticate(request.headers);
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = {
    method: (request.method ?? "GET").toUpperCase(),
    headers,
    search: new URL(request.url ?? "/", "http://gateway.invalid").search,
    body: await parsedBodyOf(request, headers, options.maxBodyBytes),
  };
  const query = queryTextOf(httpGraphQLRequest);
  const exceeded = query === undefined ? undefined : options.precheck(query);
  if (exceeded !== undefined) {
    options.metrics.countRefusal(ErrorCode.BAD_USER_INPUT);
    sendError(response, ErrorCode.BAD_USER_INPUT, exceeded.message, limitExtensions(exceeded.limit, exceeded.maximum, exceeded.actual));
    return;
  }
  const result = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: async () => ({ identity, requestId, logger, ...(span === undefined ? {} : { span }) }),
  });
  response.statusCode = result.status ?? 200;
  for (const [name, value] of result.headers) response.setHeader(name, value);
  if (result.body.kind === "complete") {
    response.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

/** The query text of a single GraphQL request (a JSON body's `query`, or GET's `?query=`), if any. */
function queryTextOf(request: HTTPGraphQLRequest): string | undefined {
  const body = request.body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const query = (body as { query?: unknown }).query;
    return typeof query === "string" ? query : undefined;
  }
  if (request.method === "GET") return new URLSearchParams(request.search).get("query") ?? undefined;
  return undefined;
}

async function parsedBodyOf(request: IncomingMessage, headers: HeaderMap, maxBodyBytes: number): Promise<unknown> {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const text = await readBody(request, maxBodyBytes);
  if (!(headers.get("content-type") ?? "").toLowerCase().includes("json")) return text;
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UserInputError("the request body is not valid JSON", { field: "body" });
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Every step runs even if an earlier one fails; the first failure is reported after all have run. */
async function shutDown(parts: {
  apollo: ApolloServer<GatewayContext>;
  httpServer: Server;
  /** Every keep-alive pool: the health probes' and each subgraph's. */
  connections: Pick<KeepAliveFetcher, "close">;
  liveEvents: LiveEvents;
  changeStream: ChangeStreamHub;
  redis: RedisConnection;
  logger: Logger;
}): Promise<void> {
  const { apollo, httpServer, connections, liveEvents, changeStream, redis, logger } = parts;
  const failures: unknown[] = [];
  // Live streams never end by themselves: ended first, clients reconnect (with Last-Event-ID) to another instance.
  liveEvents.endAll();
  await changeStream.close().catch((error: unknown) => failures.push(error));
  // Apollo's drain plugin stops the HTTP server taking connections and waits for in-flight requests.
  await apollo.stop().catch((error: unknown) => failures.push(error));
  if (httpServer.listening) {
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  }
  await connections.close().catch((error: unknown) => failures.push(error));
  // After Apollo stopped: in-flight requests may still register persisted queries. QUIT would wait in
  // ioredis's offline queue for a Redis that is away, so a connection not ready is dropped instead.
  if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  if (failures.length > 0) {
    logger.error({ err: failures[0] }, "gateway shutdown had failures");
    throw failures[0];
  }
  logger.info("gateway stopped");
}

/** How long start-up waits for Redis: long enough for a local one, short enough not to hold a start without it. */
const REDIS_READY_TIMEOUT_MS = 2_000;

/**
 * Waits until the connection is ready, so that the first requests are already counted; a Redis that
 * does not answer in time does not stop the gateway starting (limits and APQ cache then pass).
 */
async function untilReady(redis: RedisConnection, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    timer = setTimeout(done, timeoutMs);
    redis.on("ready", done);
  });
}

/**
 * ioredis reconnects by itself; without a listener its errors would be unhandled events. One warning
 * per outage: the rate limiter and the APQ cache report what they skipped.
 */
function watchRedis(redis: RedisConnection, logger: Logger): void {
  let reported = false;
  redis.on("error", (error: unknown) => {
    if (reported) return;
    reported = true;
    logger.warn({ err: error }, "the gateway's Redis connection failed; rate limits and the APQ cache are bypassed until it returns");
  });
  redis.on("ready", () => {
    if (reported) logger.info("the gateway's Redis connection is back");
    reported = false;
  });
}

/** Apollo's logger interface takes one message argument; pino's overloads do not fit it directly. */
function apolloLoggerOf(logger: Logger) {
  const apolloLogger = logger.child({ component: "apollo" });
  return {
    debug: (message?: unknown) => apolloLogger.debug(String(message)),
    info: (message?: unknown) => apolloLogger.info(String(message)),
    warn: (message?: unknown) => apolloLogger.warn(String(message)),
    error: (message?: unknown) => apolloLogger.error(String(message)),
  };
}
