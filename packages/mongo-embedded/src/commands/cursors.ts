/**
 * Open cursors: what find, aggregate and listings hand out in batches and getMore continues.
 * Ids are int64 (a JS number would be sent as int32, which the driver rejects as a cursor id).
 */
import { BSON, Long } from "bson";
import type { Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";

/** mongod's default first batch; getMore batches are bounded only by size unless batchSize says so. */
const DEFAULT_FIRST_BATCH = 101;
/** A reply must stay under the 16 MiB document limit with room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** mongod's cursorTimeoutMillis default. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  readonly ns: string;
  readonly connectionId: number;
  readonly source: Iterator<Doc>;
  /** A document read from the source that did not fit in the previous batch. */
  pending: Doc | undefined;
  lastUsed: number;
}

export type CursorReply = {
  cursor: { firstBatch?: Doc[]; nextBatch?: Doc[]; id: Long; ns: string };
  ok: 1;
};

export class CursorStore {
  readonly #cursors = new Map<string, OpenCursor>();
  #nextId = 1n;
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.#sweeper = setInterval(() => this.#closeIdle(), 60_000);
    this.#sweeper.unref();
  }

  /** The first batch of a result; the rest stays open under a cursor id unless `singleBatch`. */
  open(
    ns: string,
    documents: Iterable<Doc>,
    options: { batchSize?: number; singleBatch?: boolean; connectionId: number },
  ): CursorReply {
    const source = documents[Symbol.iterator]();
    const cursor: OpenCursor = { ns, connectionId: options.connectionId, source, pending: undefined, lastUsed: this.now() };
    // batchSize 0 asks for an open cursor with an empty first batch (drivers use it to start lazily).
    const limit = options.singleBatch ? Number.POSITIVE_INFINITY : options.batchSize ?? DEFAULT_FIRST_BATCH;
    const { batch, exhausted } = limit === 0 ? { batch: [], exhausted: false } : takeBatch(cursor, limit);
    if (exhausted || options.singleBatch) return { cursor: { firstBatch: batch, id: Long.ZERO, ns }, ok: 1 };
    const id = this.#nextId++;
    this.#cursors.set(id.toString(), cursor);
    return { cursor: { firstBatch: batch, id: Long.fromBigInt(id), ns }, ok: 1 };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): CursorReply {
    const key = id.toString();
    const cursor = this.#cursors.get(key);
    if (!cursor) throw new MongoCommandError(ErrorCodes.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.ns !== ns) {
      throw new MongoCommandError(
        ErrorCodes.Unauthorized,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    cursor.lastUsed = this.now();
    const { batch, exhausted } = takeBatch(cursor, batchSize || Number.POSITIVE_INFINITY);
    if (exhausted) this.#cursors.delete(key);
    return { cursor: { nextBatch: batch, id: exhausted ? Long.ZERO : id, ns }, ok: 1 };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.#cursors.delete(id.toString()) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  connectionClosed(connectionId: number): void {
    for (const [key, cursor] of this.#cursors) if (cursor.connectionId === connectionId) this.#cursors.delete(key);
  }

  get size(): number {
    return this.#cursors.size;
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#cursors.clear();
  }

  #closeIdle(): void {
    const cutoff = this.now() - IDLE_TIMEOUT_MS;
    for (const [key, cursor] of this.#cursors) if (cursor.lastUsed < cutoff) this.#cursors.delete(key);
  }
}

function takeBatch(cursor: OpenCursor, limit: number): { batch: Doc[]; exhausted: boolean } {
  const batch: Doc[] = [];
  let bytes = 0;
  while (batch.length < limit) {
    const next = cursor.pending ?? nextFromSource(cursor);
    cursor.pending = undefined;
    if (next === undefined) return { batch, exhausted: true };
    const size = BSON.calculateObjectSize(next);
    if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) {
      cursor.pending = next;
      return { batch, exhausted: false };
    }
    batch.push(next);
    bytes += size;
  }
  if (cursor.pending !== undefined) return { batch, exhausted: false };
  const lookahead = nextFromSource(cursor);
  if (lookahead === undefined) return { batch, exhausted: true };
  cursor.pending = lookahead;
  return { batch, exhausted: false };
}

function nextFromSource(cursor: OpenCursor): Doc | undefined {
  const step = cursor.source.next();
  return step.done ? undefined : step.value;
}
