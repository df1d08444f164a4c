/**
 * The gateway's spans: one server span per HTTP request (continuing the caller's `traceparent`), the
 * operation's name and type and its error codes on it, and one client span per subgraph fetch whose
 * context travels to the subgraph in `traceparent`. The tracer comes from the process's
 * `startTracing` (@situation/subgraph-kit/tracing); without an endpoint it is a no-op.
 */
import type { RemoteGraphQLDataSource } from "@apollo/gateway";
import type { ApolloServerPlugin } from "@apollo/server";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import { ErrorCode, isPlatformError } from "@situation/platform";
import { incomingTraceContext, injectTraceContext } from "@situation/subgraph-kit/tracing";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayContext } from "../context.js";
import { PayloadTooLargeError } from "../http-io.js";

type DataSourceResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>["process"]>>;

/** Starts the request's server span; it ends, with the status code, when the response is done. */
export function traceRequest(tracer: Tracer, request: IncomingMessage, response: ServerResponse, path: string, route: string): Span {
  const method = request.method ?? "GET";
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "url.path": path, "http.route": route } },
    incomingTraceContext(request.headers),
  );
  // "close" follows "finish", and also comes alone when the client goes away before the answer.
  response.once("close", () => {
    span.setAttribute("http.response.status_code", response.statusCode);
    if (response.statusCode >= 500 || !response.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return span;
}

/** The client-visible code of an error the request handler answered itself (before or outside Apollo). */
export function recordRequestError(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  const code = isPlatformError(error)
    ? error.code
    : error instanceof PayloadTooLargeError
      ? ErrorCode.BAD_USER_INPUT
      : ErrorCode.INTERNAL_SERVER_ERROR;
  span.setAttribute("error.code", code);
}

/** Puts what Apollo learns of the operation on the request's span: its name, type and error codes. */
export function tracingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, operationName }) {
          if (operation !== undefined) contextValue.span?.setAttribute("graphql.operation.type", operation.operation);
          // An anonymous operation has no name; the attribute is left out rather than invented.
          if (operationName !== null) contextValue.span?.setAttribute("graphql.operation.name", operationName);
        },
        async willSendResponse({ contextValue, response }) {
          const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          if (contextValue.span === undefined || errors === undefined || errors.length === 0) return;
          const codes = [...new Set(errors.map((error) => String(error.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)))];
          contextValue.span.setAttribute("error.code", codes[0]!);
          contextValue.span.setAttribute("graphql.error_codes", codes);
        },
      };
    },
  };
}

export interface SubgraphFetchTracing {
  /** Runs one subgraph fetch inside a client span, the child of the request's server span. */
  trace(subgraph: string, url: string, context: GatewayContext, key: object, fetch: () => Promise<DataSourceResponse>): Promise<DataSourceResponse>;
  /** Writes `traceparent` for the fetch under way for `key` into its request headers. */
  inject(key: object, headers: { set(name: string, value: string): void }): void;
}

export function createSubgraphFetchTracing(tracer: Tracer): SubgraphFetchTracing {
  // Keyed by the fetch's options object, which Apollo hands both to process and to willSendRequest.
  const spans = new WeakMap<object, Span>();
  return {
    async trace(subgraph, url, context, key, fetch) {
      const parent = context.span === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, context.span);
      const span = tracer.startSpan(
        `fetch ${subgraph}`,
        { kind: SpanKind.CLIENT, attributes: { "subgraph.name": subgraph, "url.full": url } },
        parent,
      );
      spans.set(key, span);
      try {
        const response = await fetch();
        const first = response.errors?.[0];
        if (first === undefined) {
          span.setAttribute("subgraph.outcome", "ok");
        } else {
          // The resilient data source answers a failed call with field errors carrying its reason.
          const code = first.extensions?.code;
          const failed = code === ErrorCode.UPSTREAM_FAILURE;
          span.setAttribute("subgraph.outcome", failed ? String(first.extensions?.reason ?? "failed") : "graphql-errors");
          if (typeof code === "string") span.setAttribute("error.code", code);
          if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: first.message });
        }
        return response;
      } catch (error) {
        span.setAttribute("subgraph.outcome", "failed");
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        spans.delete(key);
        span.end();
      }
    },
    inject(key, headers) {
      const span = spans.get(key);
      if (span !== undefined) injectTraceContext(trace.setSpan(ROOT_CONTEXT, span), headers);
    },
  };
}
