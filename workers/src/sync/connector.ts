/** What a connector is to the run pipeline: it reads a body into records and stores them through the owning repository. */
import type { SyncConnectorKind, SyncSourceDocument } from "@situation/city-subgraph";
import type { Logger } from "@situation/platform";

/** A record that passed the connector's validation, with where it came from. */
export interface ParsedRecord<TRecord> {
  /** The line of the file it starts on (the header is line 1), when the format has lines. */
  line: number | null;
  externalId: string;
  record: TRecord;
  /** The record as read, for quarantine should the target refuse it. */
  raw: string;
}

/** A record refused, kept in quarantine with the reason and the raw text. */
export interface RecordReject {
  line: number | null;
  externalId: string | null;
  /** The field at fault; `(row)` for a record's shape, `(encoding)` for bytes that are not UTF-8, `(file)` for the whole body. */
  field: string;
  reason: string;
  raw: string;
}

export interface ParseResult<TRecord> {
  /** Records read, valid or not. */
  total: number;
  records: ParsedRecord<TRecord>[];
  rejects: RecordReject[];
  /** Every external id the body lists, also of rejected records: none of them has disappeared. */
  listedIds: Set<string>;
  /**
   * False when the body is damaged (truncated, not UTF-8): it still lands its good records, but
   * whatever it lacks may just be cut off, so nothing is marked ended.
   */
  complete: boolean;
  warnings: string[];
}

export interface RunContext {
  source: SyncSourceDocument;
  /** The options, validated by the connector's schema when the source was saved. */
  options: Record<string, unknown>;
  /** The provenance name stored on every record. */
  provenance: string;
  fetchedAt: Date;
  /** A backfill's period; null for a normal run. */
  period: { from: Date; to: Date } | null;
  logger: Logger;
}

export interface StoreResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records the target refused (e.g. an unknown provider); they go to quarantine. */
  rejects: RecordReject[];
}

/** One page of a paged API, as the connector sees it to find the next. */
export interface FetchedPage {
  url: string;
  /** 0 for the first page. */
  index: number;
  body: Uint8Array;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string>>;
}

/**
 * How a paged API is walked. The run fetches page after page (each through the host's rate limit,
 * all within `maxBytes` together), parses each, and merges them into one result; the run is then
 * unchanged when every page's bytes are.
 */
export interface ConnectorPaging {
  /** The first request's URL, from the source's (e.g. with `limit` and `offset` added). */
  first(url: string, options: Record<string, unknown>): string;
  /** The next request's URL, or null after the last page. */
  next(previous: FetchedPage, options: Record<string, unknown>): string | null;
  /** Requests per run at most; past it the run warns and is treated as incomplete. */
  maxPages(options: Record<string, unknown>): number;
}

export interface Connector<TRecord = unknown> {
  readonly kind: SyncConnectorKind;
  /** The `Accept` header of its requests. */
  readonly accept: string;
  /** Parses and validates a body; throws FeedRejectedError only when no record of it can be trusted (a changed format). */
  parse(body: Uint8Array, context: RunContext): ParseResult<TRecord>;
  /**
   * The period a normal (not backfill) run asks for, filled into `{from}`/`{to}` of the source's URL:
   * for feeds queried by time, like Open311's `start_date`/`end_date`. Absent: the URL as it is.
   */
  requestPeriod?(options: Record<string, unknown>, now: Date): { from: Date; to: Date };
  /** Whether a record falls in a backfill's period. */
  inPeriod(record: TRecord, period: { from: Date; to: Date }): boolean;
  /** Writes the records idempotently through the owning subgraph's repository. */
  store(records: readonly ParsedRecord<TRecord>[], context: RunContext): Promise<StoreResult>;
  /** Marks stored records of this provenance that a full snapshot no longer lists as ended; returns how many. */
  endMissing(listedIds: ReadonlySet<string>, context: RunContext): Promise<number>;
  /** Whether the source's records form a full snapshot (so that missing ones have ended). */
  isFullSnapshot(options: Record<string, unknown>): boolean;
  /** Present for APIs that answer in pages; absent, a source is one request. */
  readonly paging?: ConnectorPaging;
}

/** What a streaming connector reports once it has read a body and stored it batch by batch. */
export interface ConsumeResult extends StoreResult {
  /** Records read, valid or not. */
  total: number;
  /** Every refused record, of which `rejects` keeps at most the first MAX_QUARANTINED_PER_RUN (with their raw text). */
  rejectedCount: number;
  /** As ParseResult's: every id the body lists; empty when the connector never ends records. */
  listedIds: Set<string>;
  complete: boolean;
  warnings: string[];
}

/**
 * A connector for bodies too large to hold (tens of MiB): it reads the body as it arrives and
 * stores through the owning repository in batches as it goes, so memory stays bounded by a batch.
 * It must read `chunks` to the end (or throw). The period filter of a backfill is its own business.
 */
export interface StreamingConnector<TRecord = unknown> extends Omit<Connector<TRecord>, "parse" | "store"> {
  consume(chunks: AsyncIterable<Uint8Array>, context: RunContext): Promise<ConsumeResult>;
}

export type AnyConnector = Connector | StreamingConnector;

export function isStreaming(connector: AnyConnector): connector is StreamingConnector {
  return "consume" in connector;
}
