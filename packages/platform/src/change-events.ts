/**
 * Change events: after a write, the owning subgraph (or a worker writing through its repositories)
 * appends a compact event (type, id, districts, owner) to one Redis stream; the gateway relays the
 * stream to operators' screens. A stream rather than pub/sub so that a client that reconnects resumes
 * from the last event it saw (`Last-Event-ID` is the stream entry id) and several gateway instances
 * read the same history.
 *
 * Events are notifications, not the record: the write has already happened, so a failure to publish
 * is logged and never fails the write; a client that missed events re-reads the data it shows.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { PlatformConfig } from "./config.js";
import type { Logger } from "./logging.js";
import { createRedisConnection } from "./redis.js";

export const CHANGE_EVENT_TYPES = [
  "outage.announced",
  "outage.started",
  "outage.updated",
  "outage.resolved",
  "outage.cancelled",
  "request.received",
  "request.status-changed",
  "request.reassigned",
  "request.escalated",
  "alert.raised",
  "alert.cleared",
  "business.incident",
  "business.event",
  "business.status-changed",
] as const;
export type ChangeEventType = (typeof CHANGE_EVENT_TYPES)[number];

/**
 * What changed, where, and whose it is: enough for a live screen to decide whether to re-read, and
 * for the gateway to decide who may receive it (the owner fields mirror the subgraphs' ownership rules).
 */
export interface ChangeEvent {
  type: ChangeEventType;
  /** The id of the changed thing (outage, request, alert, report). */
  id: string;
  /** The districts it concerns; empty when none is known (for example an outage outside every district). */
  districtIds: string[];
  /** The provider that owns it (outages, stations' alerts) or is assigned it (requests). */
  providerId?: string;
  /** The city department a request is assigned to. */
  departmentId?: string;
  /** The business that reported it. */
  businessId?: string;
  at: Date;
}

/** A change event as read back from the stream, with its stream id (the SSE event id). */
export interface StoredChangeEvent extends ChangeEvent {
  streamId: string;
}

const changeEventSchema = z.object({
  type: z.enum(CHANGE_EVENT_TYPES),
  id: z.string().min(1),
  districtIds: z.array(z.string()),
  providerId: z.string().optional(),
  departmentId: z.string().optional(),
  businessId: z.string().optional(),
  at: z.coerce.date(),
});

/** About a day of a busy city's events; `~` lets Redis trim in whole macro nodes, which is cheap. */
export const DEFAULT_CHANGE_STREAM_MAX_LENGTH = 100_000;

/** A publish that Redis has not confirmed in this time is given up (and logged): writes must not wait on it. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 2_000;

const STREAM_FIELD = "event";

export function changeStreamKey(prefix: string): string {
  return `${prefix}:change-events`;
}

export interface ChangeEventPublisher {
  /** Appends the event; never rejects (a failure is logged). */
  publish(event: Omit<ChangeEvent, "at"> & { at?: Date }): Promise<void>;
  /** Closes the connection it opened itself. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ChangeEventPublisherOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">;
  logger: Logger;
  /** A connection the caller keeps owning; without one, the publisher opens (and closes) its own. */
  connection?: Redis;
  maxLength?: number;
  timeoutMs?: number;
}

export function createChangeEventPublisher(options: ChangeEventPublisherOptions): ChangeEventPublisher {
  const { config, logger } = options;
  const ownsConnection = options.connection === undefined;
  const connection = options.connection ?? createRedisConnection(config, { name: "change-events" });
  // Without a listener a connection error would be an unhandled 'error' event; each publish reports its own failure.
  if (ownsConnection) connection.on("error", () => {});
  const key = changeStreamKey(config.redisPrefix);
  const maxLength = options.maxLength ?? DEFAULT_CHANGE_STREAM_MAX_LENGTH;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  let closing: Promise<void> | undefined;

  const publish = async (input: Omit<ChangeEvent, "at"> & { at?: Date }): Promise<void> => {
    if (closing) {
      logger.warn({ event: input.type, id: input.id }, "change event not published: the publisher is closed");
      return;
    }
    const event: ChangeEvent = { ...input, at: input.at ?? new Date() };
    let timer: NodeJS.Timeout | undefined;
    try {
      const appended = connection.xadd(key, "MAXLEN", "~", maxLength, "*", STREAM_FIELD, JSON.stringify(event));
      const outcome = await Promise.race([
        appended.then(() => "done" as const),
        new Promise<"timed-out">((resolve) => {
          timer = setTimeout(() => resolve("timed-out"), timeoutMs);
        }),
      ]);
      if (outcome === "timed-out") {
        // The append may still happen; a late event is harmless, a blocked write is not.
        appended.catch(() => {});
        logger.warn({ event: event.type, id: event.id, timeoutMs }, "change event not confirmed in time");
      }
    } catch (error) {
      logger.error({ err: error, event: event.type, id: event.id }, "change event not published");
    } finally {
      clearTimeout(timer);
    }
  };

  const close = (): Promise<void> => {
    closing ??= ownsConnection ? quitWithin(connection, timeoutMs) : Promise.resolve();
    return closing;
  };

  return { publish, close, [Symbol.asyncDispose]: close };
}

/** QUIT lets queued commands finish; a connection that never became ready would wait forever, so it is cut after the limit. */
async function quitWithin(connection: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // Already closed or broken: disconnecting below is all that is left to do.
  } finally {
    clearTimeout(timer);
    connection.disconnect();
  }
}

/** For code paths (tests, tools) that write without anyone listening. */
export const NO_CHANGE_EVENTS: ChangeEventPublisher = Object.freeze({
  publish: async () => {},
  close: async () => {},
  [Symbol.asyncDispose]: async () => {},
});

export interface ReadChangeEventsOptions {
  prefix: string;
  /** Read events after this stream id; "$" (default) means only those appended from now on. */
  after?: string;
  /** Wait this long for a first event; 0 or absent answers at once. */
  blockMs?: number;
  count?: number;
  logger?: Logger;
}

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Whether `id` is a stream entry id this module hands out (what a client may send back as Last-Event-ID). */
export function isChangeEventId(id: string): boolean {
  return STREAM_ID.test(id);
}

/**
 * Events after `after`, oldest first. A blocking read needs a connection of its own (it holds the
 * connection while it waits). Entries that do not parse are skipped with a warning: a bad event
 * must not stop the stream for everyone.
 */
export async function readChangeEvents(redis: Redis, options: ReadChangeEventsOptions): Promise<StoredChangeEvent[]> {
  const after = options.after ?? "$";
  if (after !== "$" && !isChangeEventId(after)) throw new TypeError(`not a change event id: ${after}`);
  const count = options.count ?? 100;
  const key = changeStreamKey(options.prefix);
  const reply =
    options.blockMs && options.blockMs > 0
      ? await redis.xread("COUNT", count, "BLOCK", options.blockMs, "STREAMS", key, after)
      : await redis.xread("COUNT", count, "STREAMS", key, after);
  if (!reply) return [];
  const events: StoredChangeEvent[] = [];
  for (const [, entries] of reply) {
    for (const [streamId, fields] of entries) {
      const event = parseEntry(fields);
      if (event) events.push({ ...event, streamId });
      else options.logger?.warn({ streamId }, "skipping a change event that does not parse");
    }
  }
  return events;
}

/** The id of the newest event, or "0-0" when there is none: where a new reader without Last-Event-ID starts. */
export async function latestChangeEventId(redis: Redis, prefix: string): Promise<string> {
  const newest = await redis.xrevrange(changeStreamKey(prefix), "+", "-", "COUNT", 1);
  return newest[0]?.[0] ?? "0-0";
}

function parseEntry(fields: string[]): ChangeEvent | undefined {
  const index = fields.indexOf(STREAM_FIELD);
  if (index < 0 || index + 1 >= fields.length) return undefined;
  try {
    const parsed = changeEventSchema.safeParse(JSON.parse(fields[index + 1]!));
    if (!parsed.success) return undefined;
    const { providerId, departmentId, businessId, ...rest } = parsed.data;
    return {
      ...rest,
      ...(providerId !== undefined ? { providerId } : {}),
      ...(departmentId !== undefined ? { departmentId } : {}),
      ...(businessId !== undefined ? { businessId } : {}),
    };
  } catch {
    return undefined;
  }
}
