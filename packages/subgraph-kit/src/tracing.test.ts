import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { createCapturingLogger } from "./test-support/capture-logger.js";
import { defaultTracer, incomingTraceContext, injectTraceContext, OTLP_ENDPOINT_VARIABLE, startTracing } from "./tracing.js";

const { logger } = createCapturingLogger("tracing");
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("startTracing", () => {
  it("is a no-op without an endpoint or exporter", async () => {
    const tracing = startTracing({ serviceName: "city", logger, env: {} });
    expect(tracing.enabled).toBe(false);
    const span = tracing.tracer.startSpan("nothing");
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.close();
    await tracing.close();
  });

  it("serves servers built without a tracer once a main.ts registers it globally, until closed", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: "city", logger, exporter, registerGlobally: true });
    defaultTracer().startSpan("while registered").end();
    // Read before close: shutting the provider down shuts the in-memory exporter, which forgets its spans.
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(["while registered"]);
    await tracing.close();
    expect(defaultTracer().startSpan("after close").isRecording()).toBe(false);
  });

  it("refuses an endpoint that is not an http(s) URL, naming the variable", () => {
    expect(() => startTracing({ serviceName: "city", logger, env: { [OTLP_ENDPOINT_VARIABLE]: "collector:4318" } })).toThrow(
      OTLP_ENDPOINT_VARIABLE,
    );
    expect(() => startTracing({ serviceName: "city", logger, env: { [OTLP_ENDPOINT_VARIABLE]: "not a url" } })).toThrow(OTLP_ENDPOINT_VARIABLE);
  });

  it("exports over OTLP/HTTP to the endpoint's /v1/traces, flushing on close", async () => {
    const received: Array<{ path: string | undefined; contentType: string | undefined; bytes: number }> = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let bytes = 0;
      request.on("data", (chunk: Buffer) => (bytes += chunk.length));
      request.on("end", () => {
        received.push({ path: request.url, contentType: request.headers["content-type"], bytes });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => collector.close(() => resolve())));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;

    const tracing = startTracing({ serviceName: "city", logger, env: { [OTLP_ENDPOINT_VARIABLE]: endpoint } });
    expect(tracing.enabled).toBe(true);
    tracing.tracer.startSpan("one request").end();
    expect(received).toEqual([]);
    await tracing.close();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ path: "/v1/traces", contentType: "application/json" });
    expect(received[0]!.bytes).toBeGreaterThan(0);
  });
});

describe("trace context propagation", () => {
  it("carries a span's context from outgoing headers to the next process's incoming ones", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const incoming = incomingTraceContext({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(trace.getSpanContext(incoming)).toMatchObject({ traceId, spanId: "00f067aa0ba902b7", isRemote: true });

    const headers = new Headers();
    injectTraceContext(incoming, headers);
    expect(headers.get("traceparent")).toBe(`00-${traceId}-00f067aa0ba902b7-01`);
  });

  it("starts afresh on a missing or malformed traceparent", () => {
    expect(trace.getSpanContext(incomingTraceContext({}))).toBeUndefined();
    expect(trace.getSpanContext(incomingTraceContext({ traceparent: "garbage" }))).toBeUndefined();
  });
});
