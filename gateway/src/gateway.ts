/**
 * The federated gateway: Apollo Gateway on Apollo Server, served by `node:http`. Behaviour lives in
 * small modules, one each: authentication, identity forwarding, the keep-alive fetcher, error masking
 * and health; this file wires them to HTTP and owns start-up and shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ErrorCode,
  isPlatformError,
  PLATFORM_DATABASE,
  REQUEST_ID_HEADER,
  UserInputError,
  type Logger,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { createAuthentication, type Authenticate } from "./authentication.js";
import type { GatewayContext } from "./context.js";
import { errorMaskingPlugin, maskError } from "./error-masking.js";
import { checkHealth, DEFAULT_HEALTH_TIMEOUT_MS, type HealthReport } from "./health.js";
import { PayloadTooLargeError, readBody, sendError, sendJson, sendPlatformError } from "./http-io.js";
import { IdentityForwardingDataSource } from "./identity-forwarding.js";
import { createKeepAliveFetcher, type KeepAliveFetcher } from "./keep-alive-fetcher.js";
import { apolloExecutor, createOpen311Handler, OPEN311_PREFIX, type Open311Handler } from "./open311/index.js";
import { REPORTS_CSV_PATH, serveRequestReportCsv } from "./reports-csv.js";
import { requestIdOf } from "./request-id.js";
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
>;

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
  /** The Open311 `jurisdiction_id` served at `/open311/v2/`; defaults to "krusevac.rs". */
  open311JurisdictionId?: string;
}

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  port: number;
  subgraphs: readonly SubgraphEndpoint[];
  /** Stops taking requests, finishes in-flight ones, then closes subgraph connections; safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = options;
  const supergraphSdl = await loadSupergraphSdl({
    ...(options.supergraphSdl === undefined ? {} : { supergraphSdl: options.supergraphSdl }),
    supergraphPath: options.supergraphPath ?? config.supergraphPath,
  });
  const subgraphs = subgraphEndpointsOf(supergraphSdl, options.subgraphUrls ?? configuredSubgraphUrls(config));
  const urlBySubgraph = new Map(subgraphs.map((endpoint) => [endpoint.name, endpoint.url]));

  const keepAlive = createKeepAliveFetcher();
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: apolloLoggerOf(logger),
    buildService: ({ name }) => {
      const url = urlBySubgraph.get(name);
      // subgraphEndpointsOf read the same join__Graph enum, so this is a bug, not a configuration error.
      if (url === undefined) throw new Error(`Apollo asked for subgraph "${name}", which the supergraph does not list`);
      return new IdentityForwardingDataSource({ name, url, fetcher: keepAlive.fetcher, identitySecret: config.identitySecret });
    },
  });

  const httpServer = createServer();
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: apolloLoggerOf(logger),
    formatError: maskError,
    includeStacktraceInErrorResponses: false,
    introspection: config.nodeEnv !== "production",
    // The process's ordered shutdown (platform createShutdown) owns SIGINT/SIGTERM. Apollo's own
    // handlers would stop the server behind its back and re-send the signal, killing the process
    // before Mongo and the other steps close.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), errorMaskingPlugin()],
  });

  try {
    await apollo.start();
  } catch (error) {
    await keepAlive.close();
    throw error;
  }

  const authenticate = createAuthentication({ jwtSecret: config.jwtSecret, apiKeys: () => options.mongo.db(PLATFORM_DATABASE) });
  const handle = createRequestHandler({
    apollo,
    authenticate,
    logger,
    healthCheck: () => checkHealth(subgraphs, keepAlive.fetcher, options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS),
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
    await keepAlive.close();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}/graphql`;
  logger.info({ url, subgraphs }, "gateway listening");

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutDown(apollo, httpServer, keepAlive, logger));
  return { url, port, subgraphs, close, [Symbol.asyncDispose]: close };
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
      if (path === "/health") logger.debug(fields, "request");
      else logger.info(fields, "request");
    });
    try {
      if (path === "/health" && (request.method === "GET" || request.method === "HEAD")) {
        const report = await options.healthCheck();
        sendJson(response, report.status === "ok" ? 200 : 503, report);
      } else if (path === "/graphql") {
        await serveGraphQL(request, response, requestId, logger, options);
      } else if (path === REPORTS_CSV_PATH && request.method === "GET") {
        await serveRequestReportCsv(request, response, { apollo: options.apollo, authenticate: options.authenticate, requestId, logger });
      } else if (path.startsWith(OPEN311_PREFIX)) {
        await options.open311(request, response, { requestId, logger });
      } else {
        sendError(response, ErrorCode.NOT_FOUND, `no route for ${request.method} ${path}; GraphQL is at /graphql`);
      }
    } catch (error) {
      if (response.headersSent) {
        logger.error({ err: error }, "failed while streaming a response");
        response.destroy();
      } else if (isPlatformError(error) && error.code !== ErrorCode.INTERNAL_SERVER_ERROR) {
        if (error.code === ErrorCode.UPSTREAM_FAILURE) logger.warn({ err: error }, error.message);
        sendPlatformError(response, error);
      } else if (error instanceof PayloadTooLargeError) {
        sendError(response, ErrorCode.BAD_USER_INPUT, error.message, {}, 413);
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
  requestId: string,
  logger: Logger,
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
    body: await parsedBodyOf(request, headers),
  };
  const result = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: async () => ({ identity, requestId, logger }),
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

async function parsedBodyOf(request: IncomingMessage, headers: HeaderMap): Promise<unknown> {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const text = await readBody(request);
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
async function shutDown(
  apollo: ApolloServer<GatewayContext>,
  httpServer: Server,
  keepAlive: KeepAliveFetcher,
  logger: Logger,
): Promise<void> {
  const failures: unknown[] = [];
  // Apollo's drain plugin stops the HTTP server taking connections and waits for in-flight requests.
  await apollo.stop().catch((error: unknown) => failures.push(error));
  if (httpServer.listening) {
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  }
  await keepAlive.close().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) {
    logger.error({ err: failures[0] }, "gateway shutdown had failures");
    throw failures[0];
  }
  logger.info("gateway stopped");
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
