/**
 * One reader of the platform's change stream per gateway process, fanned out to every live client:
 * a blocking XREAD per client would hold one Redis connection per open screen. Clients that resume
 * (`Last-Event-ID`) read what they missed with `backlog`, on a second, non-blocking connection.
 */
import {
  changeStreamKey,
  createRedisConnection,
  latestChangeEventId,
  readChangeEvents,
  type Logger,
  type PlatformConfig,
  type StoredChangeEvent,
} from "@situation/platform";

export type ChangeListener = (event: StoredChangeEvent) => void;

export interface ChangeStreamHub {
  /** Starts delivering events appended from now on; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  /** Up to `limit` events after `after`, oldest first (what a resuming client missed). */
  backlog(after: string, limit: number): Promise<StoredChangeEvent[]>;
  /**
   * Whether events after `after` may have been trimmed from the stream (it keeps a bounded history):
   * a client resuming from there must re-read its data rather than trust the replay.
   */
  mayHaveLost(after: string): Promise<boolean>;
  /** Stops reading and closes both connections; safe twice. */
  close(): Promise<void>;
}

export interface ChangeStreamHubOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">;
  logger: Logger;
  /** How long one blocking read waits before it loops (and notices `close`). */
  blockMs?: number;
}

const MAX_RETRY_DELAY_MS = 5_000;
const CLOSE_WAIT_MS = 500;

export function createChangeStreamHub(options: ChangeStreamHubOptions): ChangeStreamHub {
  const { config } = options;
  const logger = options.logger.child({ component: "change-stream" });
  const prefix = config.redisPrefix;
  const blockMs = options.blockMs ?? 5_000;
  // Blocking reads hold their connection: the backlog and trim checks need another one.
  // The reader queues its first commands until Redis is ready, so that the stream position it starts
  // from is taken as soon as possible after start-up. Backlog queries fail at once while Redis is away
  // instead of holding a resuming client.
  const reader = createRedisConnection(config, { name: "gateway-change-reader" });
  const queries = createRedisConnection(config, { name: "gateway-change-queries", offlineQueue: false });
  for (const connection of [reader, queries]) {
    // ioredis reconnects by itself; the read loop logs failures of its own calls.
    connection.on("error", () => {});
  }
  const listeners = new Set<ChangeListener>();
  let closed = false;
  let wakeUp: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const readLoop = async (): Promise<void> => {
    let cursor: string | undefined;
    let failures = 0;
    while (!closed) {
      try {
        cursor ??= await latestChangeEventId(reader, prefix);
        const events = await readChangeEvents(reader, { prefix, after: cursor, blockMs, count: 500, logger });
        failures = 0;
        for (const event of events) {
          cursor = event.streamId;
          for (const listener of listeners) {
            try {
              listener(event);
            } catch (error) {
              logger.error({ err: error }, "a live-event listener failed");
            }
          }
        }
      } catch (error) {
        if (closed) break;
        failures += 1;
        const delay = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** failures);
        logger.warn({ err: error, retryInMs: delay }, "reading the change stream failed; retrying");
        await pause(delay);
      }
    }
  };
  const loop = readLoop();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      listeners.clear();
      wakeUp?.();
      // Disconnecting aborts the blocking XREAD at once instead of waiting out `blockMs`.
      reader.disconnect();
      queries.disconnect();
      // A command queued while Redis never became ready is not failed by `disconnect`: the loop may
      // never settle then, and must not hold shutdown (it keeps no timer or socket alive).
      await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    })();
    return closing;
  };

  return {
    subscribe(listener) {
      if (closed) throw new Error("the change stream hub is closed");
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    backlog: (after, limit) => readChangeEvents(queries, { prefix, after, count: limit, logger }),
    async mayHaveLost(after) {
      const reply = (await queries.call("XINFO", "STREAM", changeStreamKey(prefix)).catch(() => null)) as unknown[] | null;
      // No stream yet: nothing was ever appended, so nothing was trimmed.
      if (!Array.isArray(reply)) return false;
      const info = new Map<string, unknown>();
      for (let index = 0; index + 1 < reply.length; index += 2) info.set(String(reply[index]), reply[index + 1]);
      // XDEL records what it removed; trimming does not, but every trimmed entry precedes the first kept one.
      if (compareStreamIds(after, String(info.get("max-deleted-entry-id") ?? "0-0")) < 0) return true;
      const trimmed = Number(info.get("entries-added") ?? 0) > Number(info.get("length") ?? 0);
      const firstKept = info.get("recorded-first-entry-id");
      return trimmed && typeof firstKept === "string" && compareStreamIds(after, firstKept) < 0;
    },
    close,
  };
}

/** Orders two stream ids ("<ms>-<seq>") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split("-").map(BigInt) as [bigint, bigint];
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}
