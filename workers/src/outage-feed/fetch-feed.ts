import { FeedRejectedError, FeedUnavailableError } from "./feed-errors.js";

export interface FetchFeedOptions {
  /** The whole request, headers and body; default 15 s. */
  timeoutMs?: number;
  /** The largest body accepted; default 5 MiB. */
  maxBytes?: number;
  /** Tests may pass their own. */
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_FEED_TIMEOUT_MS = 15_000;
export const DEFAULT_FEED_MAX_BYTES = 5 * 1024 * 1024;

/** Fetches a feed's text, bounded in time and size, and classifies failures as retryable or not. */
export async function fetchFeedText(url: string, options: FetchFeedOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FEED_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(url, { signal, headers: { accept: "text/csv, text/plain;q=0.5" }, redirect: "follow" });
  } catch (error) {
    throw new FeedUnavailableError(`feed ${url} did not answer: ${describe(error, timeoutMs)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    // 408 and 429 say "later", like a 5xx; every other 4xx says the request itself is wrong.
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    const message = `feed ${url} answered HTTP ${response.status}`;
    throw retryable ? new FeedUnavailableError(message) : new FeedRejectedError(message);
  }
  const declaredLength = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declaredLength > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new FeedRejectedError(`feed ${url} is ${declaredLength} bytes, over the limit of ${maxBytes}`);
  }
  const bytes = await readLimited(response, url, maxBytes, timeoutMs);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FeedRejectedError(`feed ${url} is not UTF-8 text`, { cause: error });
  }
}

/** Reads the body chunk by chunk so that an endless or oversized body is cut off, not buffered. */
async function readLimited(response: Response, url: string, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new FeedRejectedError(`feed ${url} is over the limit of ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FeedRejectedError) throw error;
    throw new FeedUnavailableError(`reading feed ${url} failed: ${describe(error, timeoutMs)}`, { cause: error });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no complete answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}
