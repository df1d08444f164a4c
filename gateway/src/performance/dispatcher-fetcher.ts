/**
 * Subgraph calls through undici's dispatcher API instead of its `fetch`. `fetch` implements the whole
 * WHATWG machinery for each call (Request, Response and Headers objects, a web stream for the request
 * body written chunk by chunk, transferable streams for the answer), and makes much of the garbage.
 * `request` writes the headers and a string body at once and hands the answer back as a Node stream:
 * on the benchmark's heavy query (16 calls per request) the gateway's CPU per request fell by about a
 * third (13.3 to 8.6 ms, test/bench/README.md). Apollo and the resilience code need only what is
 * built here: status, headers, the body as text or read chunk by chunk (so that a size cap can stop
 * reading), and cancelling it.
 */
import { STATUS_CODES } from "node:http";
import type { Readable } from "node:stream";
import type { RemoteGraphQLDataSource } from "@apollo/gateway";
import type { Dispatcher } from "undici";

type RequestOptions = Dispatcher.RequestOptions;
export type DispatcherFetch = RemoteGraphQLDataSource["fetcher"];
type FetcherRequestInit = NonNullable<Parameters<DispatcherFetch>[1]>;
type FetcherResponse = Awaited<ReturnType<DispatcherFetch>>;
type FetcherHeaders = FetcherResponse["headers"];
type ReadResult = { done: true; value: undefined } | { done: false; value: Uint8Array };

/** The few subgraph URLs are parsed once each. */
const MAX_CACHED_URLS = 256;

export function createDispatcherFetch(dispatcher: Dispatcher): DispatcherFetch {
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError(`unsupported protocol in ${url}`);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (targets.size >= MAX_CACHED_URLS) targets.clear();
      targets.set(url, target);
    }
    return target;
  };
  return async (url: string, init: FetcherRequestInit = {}) => {
    const { origin, path } = targetOf(url);
    const options: RequestOptions = {
      origin,
      path,
      method: (init.method ?? "GET").toUpperCase() as RequestOptions["method"],
      headers: init.headers ?? {},
      body: init.body ?? null,
      ...(init.signal === undefined || init.signal === null ? {} : { signal: init.signal as AbortSignal }),
    };
    const answer = await dispatcher.request(options);
    return new DispatcherResponse(url, answer.statusCode, answer.headers, answer.body);
  };
}

/** The answer's headers, read-only: nothing changes a subgraph's answer headers. */
class AnswerHeaders implements FetcherHeaders {
  readonly #values: Map<string, string>;

  constructor(raw: Record<string, string | string[] | undefined>) {
    this.#values = new Map();
    for (const name of Object.keys(raw)) {
      const value = raw[name];
      if (value !== undefined) this.#values.set(name.toLowerCase(), Array.isArray(value) ? value.join(", ") : value);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }

  keys(): IterableIterator<string> {
    return this.#values.keys();
  }

  values(): IterableIterator<string> {
    return this.#values.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#values.entries();
  }

  append(): void {
    throw new TypeError("a subgraph answer's headers are read-only");
  }

  delete(): void {
    throw new TypeError("a subgraph answer's headers are read-only");
  }

  set(): void {
    throw new TypeError("a subgraph answer's headers are read-only");
  }
}

/** What a broken-off answer fails with under `fetch` too, so callers classify it the same way. */
function terminated(cause: unknown): TypeError {
  return new TypeError("terminated", { cause });
}

/**
 * The answer's body read chunk by chunk, shaped as much of a web ReadableStream as readers of a
 * response use (`getReader().read()`, `cancel()`, `locked`), over the Node stream undici returns.
 */
class BodyChunks {
  #reader: { read(): Promise<ReadResult>; cancel(reason?: unknown): Promise<void> } | undefined;

  constructor(private readonly stream: Readable) {}

  get locked(): boolean {
    return this.#reader !== undefined;
  }

  getReader() {
    if (this.#reader !== undefined) throw new TypeError("the body is already being read");
    const iterator = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#reader = {
      read: async () => {
        try {
          const next = await iterator.next();
          return next.done === true ? { done: true as const, value: undefined } : { done: false as const, value: next.value };
        } catch (error) {
          throw terminated(error);
        }
      },
      cancel: async (reason?: unknown) => {
        this.stream.destroy(reason instanceof Error ? reason : undefined);
      },
    };
    return this.#reader;
  }

  async cancel(): Promise<void> {
    this.stream.destroy();
  }
}

class DispatcherResponse implements FetcherResponse {
  readonly redirected = false;
  readonly headers: AnswerHeaders;
  readonly body: BodyChunks;
  #used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    rawHeaders: Record<string, string | string[] | undefined>,
    private readonly stream: Dispatcher.ResponseData["body"],
  ) {
    this.headers = new AnswerHeaders(rawHeaders);
    this.body = new BodyChunks(stream);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return STATUS_CODES[this.status] ?? "";
  }

  get bodyUsed(): boolean {
    return this.#used || this.body.locked;
  }

  async text(): Promise<string> {
    this.#consume();
    try {
      return await this.stream.text();
    } catch (error) {
      throw terminated(error);
    }
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.#consume();
    try {
      return await this.stream.arrayBuffer();
    } catch (error) {
      throw terminated(error);
    }
  }

  clone(): FetcherResponse {
    throw new TypeError("a subgraph answer is read once and cannot be cloned");
  }

  #consume(): void {
    if (this.bodyUsed) throw new TypeError("the body has already been read");
    this.#used = true;
  }
}
