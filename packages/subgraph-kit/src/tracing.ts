/**
 * OpenTelemetry tracing, one setup for the gateway and every subgraph. Spans leave the process over
 * OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a test hands in an exporter); otherwise
 * the tracer is the API's no-op one, so that an untraced deployment pays a function call per span.
 *
 * Parents are passed explicitly (the incoming `traceparent`, the request's span in the GraphQL
 * context) rather than through an async-context manager: nothing here depends on a global one.
 */
import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Logger } from "@situation/platform";

export const OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT";

export interface TracingOptions {
  /** `service.name` of every span: `gateway`, `city`, … */
  serviceName: string;
  logger: Logger;
  /**
   * Where spans go instead of OTLP (tests pass an InMemorySpanExporter). Spans are then exported as
   * they end, so that a test sees them without waiting for a batch.
   */
  exporter?: SpanExporter;
  /** Read for `OTEL_EXPORTER_OTLP_ENDPOINT`; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Also install the tracer provider as the OpenTelemetry API's global one, so that servers built
   * without a `tracer` option (each subgraph's own server factory) trace too. Processes' main.ts only.
   */
  registerGlobally?: boolean;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** False when neither an exporter nor an endpoint was given: the tracer records nothing. */
  readonly enabled: boolean;
  /** Flushes the spans not yet exported and stops exporting; safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TRACER_NAME = "@situation/tracing";

export function startTracing(options: TracingOptions): Tracing {
  const endpoint = endpointOf(options.env ?? process.env);
  if (options.exporter === undefined && endpoint === undefined) {
    // An unregistered proxy provider hands out the API's no-op tracer, whatever else is installed.
    const tracer = new ProxyTracerProvider().getTracer(TRACER_NAME);
    const close = () => Promise.resolve();
    return { tracer, enabled: false, close, [Symbol.asyncDispose]: close };
  }

  const spanProcessor =
    options.exporter === undefined
      ? // Signal path for the exporter's own URL: the endpoint is the collector's base, per the spec.
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint!.replace(/\/+$/, "")}/v1/traces` }))
      : new SimpleSpanProcessor(options.exporter);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    spanProcessors: [spanProcessor],
  });
  if (options.registerGlobally === true) trace.setGlobalTracerProvider(provider);
  options.logger.info({ serviceName: options.serviceName, endpoint: endpoint ?? "(in-process exporter)" }, "tracing on");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Spans started after this are the API's no-op ones instead of ones a shut-down provider drops.
      if (options.registerGlobally === true) trace.disable();
      await provider.shutdown().catch((error: unknown) => {
        // Losing the last spans must not fail a shutdown: the collector may be the thing that is down.
        options.logger.warn({ err: error }, "tracing could not flush its last spans");
      });
    })());
  return { tracer: provider.getTracer(TRACER_NAME), enabled: true, close, [Symbol.asyncDispose]: close };
}

/** The API's tracer for servers not handed one: no-op unless a main.ts registered its provider. */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

function endpointOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[OTLP_ENDPOINT_VARIABLE]?.trim();
  if (value === undefined || value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${OTLP_ENDPOINT_VARIABLE} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${OTLP_ENDPOINT_VARIABLE} must be an http(s) URL, got "${value}"`);
  }
  return value;
}

// W3C Trace Context only: it is what collectors and other services expect in `traceparent`.
const propagator = new W3CTraceContextPropagator();

const incomingHeaderGetter: TextMapGetter<Readonly<Record<string, string | string[] | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

/** The trace context an incoming request continues (its `traceparent`), or the root for a new trace. */
export function incomingTraceContext(headers: Readonly<Record<string, string | string[] | undefined>>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, incomingHeaderGetter);
}

const fetchHeaderSetter: TextMapSetter<{ set(name: string, value: string): void }> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** Writes `traceparent` (and `tracestate`) for the span active in `context` into outgoing headers. */
export function injectTraceContext(context: Context, headers: { set(name: string, value: string): void }): void {
  propagator.inject(context, headers, fetchHeaderSetter);
}
