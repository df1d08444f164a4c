/**
 * The HTTP server of a subgraph: Apollo Server on node:http, no framework. Only the gateway may call
 * it: every GraphQL request must carry a valid identity token, which becomes `context.identity`.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import {
  ErrorCode,
  IDENTITY_HEADER,
  REQUEST_ID_HEADER,
  UnauthenticatedError,
  verifyIdentity,
  type Identity,
  type Logger,
} from "@situation/platform";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { GraphQLSchema } from "graphql";
import type { SubgraphContext } from "./context.js";
import { errorLoggingPlugin, MASKED_ERROR_MESSAGE, maskError } from "./error-masking.js";
import { defaultTracer, incomingTraceContext } from "./tracing.js";

export interface SubgraphServerOptions {
  /** The subgraph's name (`city`, `services`, …), in logs and in `/health`. */
  name: string;
  schema: GraphQLSchema;
  host: string;
  /** 0 picks a free port; `url` reports the one chosen. */
  port: number;
  identitySecret: string;
  logger: Logger;
  /** Adds the subgraph's own parts (repositories, loaders) to each request's context. */
  context?: (base: SubgraphContext) => object | Promise<object>;
  /** Largest accepted request body; default 10 MiB (the gateway batches entity lookups). */
  maxBodyBytes?: number;
  /** Traces each GraphQL request, continuing the gateway's `traceparent`; defaults to the API's global tracer. */
  tracer?: Tracer;
}

export interface SubgraphServer {
  /** `http://host:port/graphql` */
  readonly url: string;
  readonly port: number;
  /** Stops taking requests, lets in-flight ones finish, closes the HTTP server. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const GRAPHQL_PATH = "/graphql";
export const HEALTH_PATH = "/health";
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

class RequestBodyError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RequestBodyError";
  }
}

export async function startSubgraphServer(options: SubgraphServerOptions): Promise<SubgraphServer> {
  const logger = options.logger.child({ subgraph: options.name });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tracer = options.tracer ?? defaultTracer();
  const httpServer = createServer();
  // Longer than the gateway's keep-alive, so that the gateway never reuses a socket we are closing.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;

  const apollo = new ApolloServer<SubgraphContext>({
    schema: options.schema,
    formatError: maskError,
    includeStacktraceInErrorResponses: false,
    // The process's own ordered shutdown (platform createShutdown) handles signals; Apollo's handler
    // would re-send the signal mid-shutdown and cut the remaining steps short.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Traces are for Apollo's hosted service, which a city's closed network does not reach.
      ApolloServerPluginInlineTraceDisabled(),
      errorLoggingPlugin,
    ],
  });
  await apollo.start();

  httpServer.on("request", (request: IncomingMessage, response: ServerResponse) => {
    traced(request, response);
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, "request handling failed");
      if (!response.headersSent) sendGraphQLError(response, 500, MASKED_ERROR_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR);
      else response.destroy();
    });
  });

  /** A server span per GraphQL request, the child of the gateway's fetch span when it sent `traceparent`. */
  function traced(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path !== GRAPHQL_PATH) return;
    const span = tracer.startSpan(
      `${request.method ?? "GET"} ${GRAPHQL_PATH}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method ?? "GET", "url.path": GRAPHQL_PATH, "subgraph.name": options.name } },
      incomingTraceContext(request.headers),
    );
    const end = () => {
      span.setAttribute("http.response.status_code", response.statusCode);
      if (response.statusCode >= 500 || !response.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    // "close" follows "finish", and also comes alone when the connection drops before an answer.
    response.once("close", end);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://subgraph.invalid");
    if (url.pathname === HEALTH_PATH && (request.method === "GET" || request.method === "HEAD")) {
      sendJson(response, 200, { status: "ok", name: options.name });
      return;
    }
    if (url.pathname !== GRAPHQL_PATH) {
      sendJson(response, 404, { error: "not found" });
      return;
    }
    if (request.method !== "GET" && request.method !== "POST") {
      response.setHeader("allow", "GET, POST");
      sendGraphQLError(response, 405, `method ${request.method} not allowed`, "METHOD_NOT_ALLOWED");
      return;
    }

    const requestId = headerValue(request, REQUEST_ID_HEADER) || randomUUID();
    response.setHeader(REQUEST_ID_HEADER, requestId);
    const requestLogger = logger.child({ requestId });

    let identity: Identity;
    try {
      identity = await authenticate(headerValue(request, IDENTITY_HEADER));
    } catch (error) {
      const message = error instanceof UnauthenticatedError ? error.message : "identity token rejected";
      requestLogger.warn({ reason: message }, "request without a valid identity rejected");
      sendGraphQLError(response, 401, message, ErrorCode.UNAUTHENTICATED);
      return;
    }

    let body: unknown;
    try {
      body = request.method === "POST" ? await readJsonBody(request, maxBodyBytes) : undefined;
    } catch (error) {
      if (error instanceof RequestBodyError) {
        sendGraphQLError(response, error.status, error.message, ErrorCode.BAD_USER_INPUT);
        return;
      }
      throw error;
    }

    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: request.method,
      headers,
      search: url.search,
      body,
    };
    const base: SubgraphContext = { identity, requestId, logger: requestLogger };
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => (options.context ? { ...base, ...(await options.context(base)) } : base),
    });

    response.statusCode = result.status ?? 200;
    for (const [key, value] of result.headers) response.setHeader(key, value);
    if (result.body.kind === "complete") {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  async function authenticate(token: string | undefined): Promise<Identity> {
    if (!token) {
      throw new UnauthenticatedError(`missing ${IDENTITY_HEADER}: subgraphs answer only requests forwarded by the gateway`);
    }
    return verifyIdentity(token, options.identitySecret);
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const urlHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${urlHost}:${port}${GRAPHQL_PATH}`;
  logger.info({ url }, "subgraph listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Apollo's stop() drains the HTTP server (the drain plugin) before its own shutdown hooks.
      const results = await Promise.allSettled([apollo.stop()]);
      results.push(...(await Promise.allSettled([closeHttpServer(httpServer)])));
      logger.info("subgraph closed");
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return closing;
  };
  return { url, port, close, [Symbol.asyncDispose]: close };
}

function closeHttpServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING" ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new RequestBodyError(`request body larger than ${maxBytes} bytes`, 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.length === 0) return undefined;
  const contentType = request.headers["content-type"] ?? "";
  // Apollo's CSRF prevention decides what to do with other content types; it needs the raw text.
  if (!contentType.includes("json")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestBodyError("request body is not valid JSON", 400);
  }
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

function sendGraphQLError(response: ServerResponse, status: number, message: string, code: string): void {
  sendJson(response, status, { errors: [{ message, extensions: { code } }] });
}
