/**
 * `GET /events`: Server-Sent Events of the platform's change events, so that operators' screens
 * update without polling. Filtered by district and type (`?district=centar&type=outage,alert.raised`),
 * honouring the caller's identity (event-visibility.ts), resuming after `Last-Event-ID` (the header
 * browsers' EventSource sends on reconnect, or `lastEventId` in the query for clients that cannot set
 * headers).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  CHANGE_EVENT_TYPES,
  isChangeEventId,
  RateLimitedError,
  UnauthenticatedError,
  UserInputError,
  type ChangeEventType,
  type Logger,
  type StoredChangeEvent,
} from "@situation/platform";
import type { Authenticate } from "../authentication.js";
import { compareStreamIds, type ChangeStreamHub } from "./change-stream-hub.js";
import { mayReceive } from "./event-visibility.js";

export const LIVE_EVENTS_PATH = "/events";

/** Proxies and load balancers close connections that stay silent for about a minute. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_MAX_LIVE_CLIENTS = 2_000;
/** A client this far behind is cut off; it reconnects with Last-Event-ID and catches up from the stream. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const BACKLOG_PAGE = 500;
/** Beyond this, replaying is slower than re-reading: the client is told to re-read instead. */
const MAX_BACKLOG_EVENTS = 10_000;
const RECONNECT_AFTER_MS = 3_000;

export interface LiveEventsOptions {
  hub: ChangeStreamHub;
  authenticate: Authenticate;
  heartbeatMs?: number;
  maxClients?: number;
}

export interface LiveEvents {
  handle(request: IncomingMessage, response: ServerResponse, context: { requestId: string; logger: Logger }): Promise<void>;
  /** Ends every open stream (at shutdown, so that draining the HTTP server does not wait for them). */
  endAll(): void;
  readonly clientCount: number;
}

interface EventFilter {
  districts: ReadonlySet<string> | undefined;
  types: ReadonlySet<ChangeEventType> | undefined;
}

export function createLiveEvents(options: LiveEventsOptions): LiveEvents {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxClients = options.maxClients ?? DEFAULT_MAX_LIVE_CLIENTS;
  const open = new Set<ServerResponse>();

  const handle: LiveEvents["handle"] = async (request, response, { logger }) => {
    // Everything that can be refused is refused before the stream starts, as an ordinary JSON error.
    const identity = await options.authenticate(request.headers);
    if (identity.roles.length === 0) throw new UnauthenticatedError("live events need a bearer token or an API key");
    const url = new URL(request.url ?? "/", "http://gateway.invalid");
    const filter = parseFilter(url.searchParams);
    const resumeFrom = resumeIdOf(request, url.searchParams);
    if (open.size >= maxClients) throw new RateLimitedError("too many live-event clients on this gateway; retry later");

    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // nginx buffers responses unless told not to, which would hold events back.
      "x-accel-buffering": "no",
    });
    response.write(`retry: ${RECONNECT_AFTER_MS}\n: connected\n\n`);
    open.add(response);

    let lastSent = resumeFrom;
    let replaying = resumeFrom !== undefined;
    const held: StoredChangeEvent[] = [];
    const send = (event: StoredChangeEvent) => {
      if (lastSent !== undefined && compareStreamIds(event.streamId, lastSent) <= 0) return;
      lastSent = event.streamId;
      if (!matches(filter, event) || !mayReceive(identity, event)) return;
      response.write(formatEvent(event));
      if (response.writableLength > MAX_BUFFERED_BYTES) {
        logger.warn({ subject: identity.subject }, "live-event client too slow; closing its stream");
        response.end();
      }
    };
    // Subscribed before the replay, so nothing appended meanwhile falls between the two.
    const unsubscribe = options.hub.subscribe((event) => (replaying ? held.push(event) : send(event)));
    const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), heartbeatMs);
    heartbeat.unref();
    const finish = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(response);
    };
    response.on("close", finish);

    if (resumeFrom !== undefined) {
      try {
        await replay(resumeFrom, send, response);
      } catch (error) {
        logger.error({ err: error }, "replaying missed live events failed");
        response.write(resetEvent("replay-failed"));
      }
      replaying = false;
      for (const event of held.splice(0)) send(event);
    }
  };

  const replay = async (after: string, send: (event: StoredChangeEvent) => void, response: ServerResponse) => {
    if (await options.hub.mayHaveLost(after)) response.write(resetEvent("events-trimmed"));
    let cursor = after;
    for (let replayed = 0; replayed < MAX_BACKLOG_EVENTS && !response.writableEnded; ) {
      const page = await options.hub.backlog(cursor, BACKLOG_PAGE);
      if (page.length === 0) return;
      for (const event of page) send(event);
      cursor = page[page.length - 1]!.streamId;
      replayed += page.length;
    }
    if (!response.writableEnded) response.write(resetEvent("too-far-behind"));
  };

  return {
    handle,
    endAll() {
      for (const response of open) response.end();
      open.clear();
    },
    get clientCount() {
      return open.size;
    },
  };
}

function formatEvent(event: StoredChangeEvent): string {
  const { streamId, at, ...rest } = event;
  return `id: ${streamId}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...rest, at: at.toISOString() })}\n\n`;
}

/** Tells the client that the replay is incomplete, so it re-reads what it shows instead of trusting it. */
function resetEvent(reason: string): string {
  return `event: reset\ndata: ${JSON.stringify({ reason })}\n\n`;
}

function matches(filter: EventFilter, event: StoredChangeEvent): boolean {
  if (filter.types && !filter.types.has(event.type)) return false;
  if (filter.districts && !event.districtIds.some((district) => filter.districts!.has(district))) return false;
  return true;
}

/** `type` and `district` may repeat or list values separated by commas; a type may be a family ("outage"). */
export function parseFilter(parameters: URLSearchParams): EventFilter {
  const listOf = (name: string) =>
    parameters
      .getAll(name)
      .flatMap((value) => value.split(","))
      .map((value) => value.trim())
      .filter((value) => value !== "");
  const typeNames = listOf("type");
  const types = new Set<ChangeEventType>();
  for (const name of typeNames) {
    const expanded = CHANGE_EVENT_TYPES.filter((type) => type === name || type.startsWith(`${name}.`));
    if (expanded.length === 0) {
      throw new UserInputError(`unknown event type "${name}"; known: ${CHANGE_EVENT_TYPES.join(", ")}`, { field: "type" });
    }
    for (const type of expanded) types.add(type);
  }
  const districts = listOf("district");
  for (const district of districts) {
    if (district.length > 100) throw new UserInputError("a district id is at most 100 characters", { field: "district" });
  }
  return {
    types: typeNames.length > 0 ? types : undefined,
    districts: districts.length > 0 ? new Set(districts) : undefined,
  };
}

function resumeIdOf(request: IncomingMessage, parameters: URLSearchParams): string | undefined {
  const header = request.headers["last-event-id"];
  const value = (Array.isArray(header) ? header[0] : header) ?? parameters.get("lastEventId") ?? undefined;
  if (value === undefined || value.trim() === "") return undefined;
  if (!isChangeEventId(value.trim())) throw new UserInputError("Last-Event-ID is not an id this stream sent", { field: "Last-Event-ID" });
  return value.trim();
}
