import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { sep } from "node:path";
import { fileURLToPath } from "node:url";
import { FeedRejectedError, FeedUnavailableError } from "./sync-errors.js";

export interface FetchSourceOptions {
  /** The whole request, headers and body; default 15 s. */
  timeoutMs?: number;
  /** The largest body accepted, counted while streaming; default 5 MiB. */
  maxBytes?: number;
  /** The `Accept` header. */
  accept?: string;
  /** Validators of the body stored last; sent as If-None-Match / If-Modified-Since when given. */
  etag?: string | null;
  lastModified?: string | null;
  /** The only directory `file:` URLs may read from; without it they are refused. */
  fileRoot?: string | undefined;
  /** Tests may pass their own. */
  fetch?: typeof globalThis.fetch;
}

export type FetchedSource =
  | { kind: "not-modified" }
  | {
      kind: "body";
      bytes: Uint8Array;
      bodyHash: string;
      etag: string | null;
      lastModified: string | null;
      /** The response's headers, lower-case names (paged APIs say where the next page is in them); none for files. */
      headers?: Readonly<Record<string, string>>;
    };

/**
 * A body to read as it arrives, for feeds too large to hold (a registry export of tens of MiB):
 * `chunks` enforces the size limit and the timeout as `fetchSource` does, and can be read once;
 * `digest()` gives the size and sha256 of what was read, once it was read whole.
 */
export type OpenedSource =
  | { kind: "not-modified" }
  | {
      kind: "stream";
      chunks: AsyncIterable<Uint8Array>;
      digest(): { bytes: number; bodyHash: string };
      etag: string | null;
      lastModified: string | null;
      headers?: Readonly<Record<string, string>>;
    };

export const DEFAULT_FEED_TIMEOUT_MS = 15_000;
export const DEFAULT_FEED_MAX_BYTES = 5 * 1024 * 1024;

/** Fetches a source's body, bounded in time and size, and classifies failures as retryable or not. */
export async function fetchSource(url: string, options: FetchSourceOptions = {}): Promise<FetchedSource> {
  const opened = await openSource(url, options);
  if (opened.kind === "not-modified") return opened;
  const kept: Uint8Array[] = [];
  for await (const chunk of opened.chunks) kept.push(chunk);
  const { bytes: total, bodyHash } = opened.digest();
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of kept) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const { kind: _kind, chunks: _chunks, digest: _digest, ...validators } = opened;
  return { kind: "body", bytes, bodyHash, ...validators };
}

/** Opens a source's body as a stream, with the same limits, validators and failure classes as fetchSource. */
export async function openSource(url: string, options: FetchSourceOptions = {}): Promise<OpenedSource> {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return openFileSource(parsed, options);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new FeedRejectedError(`cannot fetch ${parsed.protocol} URLs`);
  return openHttpSource(url, options);
}

async function openHttpSource(url: string, options: FetchSourceOptions): Promise<OpenedSource> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FEED_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { accept: options.accept ?? "*/*" };
  if (options.etag) headers["if-none-match"] = options.etag;
  if (options.lastModified) headers["if-modified-since"] = options.lastModified;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(url, { signal, headers, redirect: "follow" });
  } catch (error) {
    throw new FeedUnavailableError(`feed ${url} did not answer: ${describe(error, timeoutMs)}`, { cause: error });
  }
  if (response.status === 304) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "not-modified" };
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
  return {
    kind: "stream",
    ...limited(response.body ? iterate(response.body) : emptyChunks(), url, maxBytes, timeoutMs),
    etag: response.headers.get("etag"),
    lastModified: response.headers.get("last-modified"),
    headers: Object.fromEntries(response.headers.entries()),
  };
}

/**
 * `file:` sources read only under SYNC_FILE_ROOT, after resolving symbolic links, so that a source
 * an admin configures cannot read the worker's own secrets or system files.
 */
async function openFileSource(url: URL, options: FetchSourceOptions): Promise<OpenedSource> {
  if (!options.fileRoot) throw new FeedRejectedError("file: sources are refused: SYNC_FILE_ROOT is not set on the worker");
  const maxBytes = options.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
  let path: string;
  let root: string;
  try {
    root = await realpath(options.fileRoot);
  } catch (error) {
    throw new FeedRejectedError(`SYNC_FILE_ROOT ${options.fileRoot} cannot be read`, { cause: error });
  }
  try {
    path = await realpath(fileURLToPath(url));
  } catch (error) {
    // A file not there yet (a nightly export still being written) may come: retry.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new FeedUnavailableError(`file ${url.href} does not exist (yet)`, { cause: error });
    throw new FeedRejectedError(`file ${url.href} cannot be read`, { cause: error });
  }
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) throw new FeedRejectedError(`file ${url.href} is outside SYNC_FILE_ROOT`);
  const info = await stat(path);
  if (!info.isFile()) throw new FeedRejectedError(`${url.href} is not a file`);
  if (info.size > maxBytes) throw new FeedRejectedError(`file ${url.href} is ${info.size} bytes, over the limit of ${maxBytes}`);
  return {
    kind: "stream",
    ...limited(createReadStream(path) as AsyncIterable<Uint8Array>, url.href, maxBytes, options.timeoutMs ?? DEFAULT_FEED_TIMEOUT_MS),
    etag: null,
    lastModified: info.mtime.toUTCString(),
  };
}

async function* iterate(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stops the download when the reader leaves early (over the limit).
    await reader.cancel().catch(() => undefined);
  }
}

async function* emptyChunks(): AsyncIterable<Uint8Array> {}

/** Passes chunks on, counting and hashing them, so that an endless or oversized body is cut off, not buffered. */
function limited(
  source: AsyncIterable<Uint8Array>,
  url: string,
  maxBytes: number,
  timeoutMs: number,
): { chunks: AsyncIterable<Uint8Array>; digest(): { bytes: number; bodyHash: string } } {
  const hash = createHash("sha256");
  let total = 0;
  let whole = false;
  async function* chunks(): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of source) {
        total += chunk.byteLength;
        if (total > maxBytes) throw new FeedRejectedError(`feed ${url} is over the limit of ${maxBytes} bytes`);
        hash.update(chunk);
        yield chunk;
      }
    } catch (error) {
      if (error instanceof FeedRejectedError) throw error;
      throw new FeedUnavailableError(`reading feed ${url} failed: ${describe(error, timeoutMs)}`, { cause: error });
    }
    whole = true;
  }
  let digest: { bytes: number; bodyHash: string } | undefined;
  return {
    chunks: chunks(),
    digest() {
      if (!whole) throw new Error("the body was not read whole");
      digest ??= { bytes: total, bodyHash: hash.digest("hex") };
      return digest;
    },
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no complete answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}
