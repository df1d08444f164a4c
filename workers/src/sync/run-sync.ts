import { randomUUID } from "node:crypto";
import {
  CONNECTOR_CONTRACTS,
  SyncErrorKind,
  SyncRunStatus,
  SyncTrigger,
  type CityRepositories,
  type SyncQuarantineDocument,
  type SyncRunDocument,
  type SyncSourceDocument,
} from "@situation/city-subgraph";
import type { Logger } from "@situation/platform";
import { InvalidOutageRecordError } from "@situation/services-subgraph";
import { isStreaming, type AnyConnector, type RecordReject, type RunContext } from "./connector.js";
import { fetchPages, mergePages, type PagedBody } from "./fetch-pages.js";
import { fetchSource, openSource, type FetchedSource, type FetchSourceOptions } from "./fetch-source.js";
import type { HostRateLimiter } from "./host-rate-limit.js";
import { FeedRejectedError } from "./sync-errors.js";

/** What a run reports, and what the BullMQ job returns (kept small: it lives in Redis). */
export interface SyncRunResult {
  runId: string;
  sourceId: string;
  provenance: string;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  bytes: number;
  /** Records read, valid or not. */
  fetched: number;
  /** Records stored or found unchanged. */
  accepted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  ended: number;
  quarantined: number;
  warnings: string[];
  /** The first MAX_REPORTED_REJECTS quarantined records, without their raw text (that is in syncQuarantine). */
  rejected: Omit<RecordReject, "raw">[];
}

export const MAX_REPORTED_REJECTS = 500;
/** Quarantine keeps this many records per run; a feed of 100,000 bad rows is one problem, not 100,000. */
export const MAX_QUARANTINED_PER_RUN = 1_000;

export interface RunSyncDependencies {
  city: Pick<CityRepositories, "syncSources" | "syncRuns" | "syncQuarantine">;
  connectors: ReadonlyMap<string, AnyConnector>;
  rateLimiter: HostRateLimiter;
  fetch?: Pick<FetchSourceOptions, "fetch" | "fileRoot">;
  logger: Logger;
  now?: () => Date;
}

export interface RunRequest {
  source: SyncSourceDocument;
  jobId: string;
  attempt: number;
  trigger: SyncTrigger;
  period: { from: Date; to: Date } | null;
}

/** The failure of a run, classified: the processor turns a permanent one into UnrecoverableError. */
export class SyncRunError extends Error {
  constructor(
    message: string,
    readonly kind: SyncErrorKind,
    readonly runId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SyncRunError";
  }
}

/** The provenance name stored on every record of a source. */
export function provenanceOf(source: Pick<SyncSourceDocument, "_id" | "options">): string {
  const configured = source.options.provenance;
  return typeof configured === "string" && configured.trim() !== "" ? configured : `sync:${source._id}`;
}

/**
 * One run of a source: fetch (conditional on scheduled runs), parse and validate, store through the
 * owning repository, end what a full snapshot no longer lists, quarantine what was refused, and
 * record it all in syncRuns and on the source. The caller holds the source's lock.
 */
export async function runSync(dependencies: RunSyncDependencies, request: RunRequest): Promise<SyncRunResult> {
  const { city, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const { source, trigger, period } = request;
  const startedAt = now();
  const runId = randomUUID();
  const provenance = provenanceOf(source);
  const runLogger = logger.child({ sourceId: source._id, runId, trigger, attempt: request.attempt });

  // We hold the lock: a run still marked running is one whose worker died.
  const abandoned = await city.syncRuns.abandonRunning(source._id, startedAt);
  if (abandoned > 0) runLogger.warn({ abandoned }, "runs left by a worker that stopped were marked abandoned");
  const run: SyncRunDocument = {
    _id: runId,
    sourceId: source._id,
    jobId: request.jobId,
    attempt: request.attempt,
    trigger,
    from: period?.from ?? null,
    to: period?.to ?? null,
    status: SyncRunStatus.RUNNING,
    startedAt,
    finishedAt: null,
    bytes: 0,
    fetched: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    ended: 0,
    quarantined: 0,
    warnings: [],
    error: null,
    errorKind: null,
  };
  await city.syncRuns.start(run);
  await city.syncSources.recordRunStarted(source._id, { runId, status: SyncRunStatus.RUNNING, startedAt, finishedAt: null, error: null });

  const result: SyncRunResult = {
    runId,
    sourceId: source._id,
    provenance,
    trigger,
    status: SyncRunStatus.RUNNING,
    bytes: 0,
    fetched: 0,
    accepted: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    ended: 0,
    quarantined: 0,
    warnings: [],
    rejected: [],
  };
  let body: Uint8Array | undefined;
  try {
    const connector = dependencies.connectors.get(source.kind);
    if (!connector) throw new FeedRejectedError(`no connector of kind ${source.kind} is installed in this worker`);
    const options = CONNECTOR_CONTRACTS[source.kind].options.safeParse(source.options);
    if (!options.success) throw new FeedRejectedError(`the source's options no longer validate: ${options.error.message}`);
    // Only scheduled runs may skip work: run-now and backfill reprocess (the content hashes still keep writes away).
    const conditional = trigger === SyncTrigger.SCHEDULED;
    const queried = period ?? connector.requestPeriod?.(options.data, now()) ?? null;
    const url = queried ? fillPeriod(source.url, queried) : source.url;

    const fetchedAt = now();
    const fetchOptions = { ...dependencies.fetch, timeoutMs: options.data.timeoutMs as number, maxBytes: options.data.maxBytes as number, accept: connector.accept };
    if (isStreaming(connector)) {
      await dependencies.rateLimiter.acquire(url);
      const opened = await openSource(url, { ...fetchOptions, ...(conditional ? { etag: source.etag, lastModified: source.lastModified } : {}) });
      if (opened.kind === "not-modified") {
        result.status = SyncRunStatus.UNCHANGED;
        await finish(dependencies, run, result, startedAt, now(), { succeeded: true });
        runLogger.info({ notModified: true }, "sync source unchanged");
        return result;
      }
      const context: RunContext = { source, options: options.data, provenance, fetchedAt, period, logger: runLogger };
      // Stored batch by batch while the body arrives. Its hash is known only at its end, so an
      // unchanged body is read through; the records' content hashes keep writes away.
      const consumed = await connector.consume(opened.chunks, context);
      const { bytes, bodyHash } = opened.digest();
      result.bytes = bytes;
      result.fetched = consumed.total;
      result.warnings.push(...consumed.warnings);
      result.inserted = consumed.inserted;
      result.updated = consumed.updated;
      result.unchanged = consumed.unchanged;
      result.accepted = consumed.inserted + consumed.updated + consumed.unchanged;
      if (!period && connector.isFullSnapshot(options.data)) {
        if (consumed.complete) result.ended = await connector.endMissing(consumed.listedIds, context);
        else result.warnings.push("records missing from this body were not ended, since the body is damaged");
      }
      const rejects = [...consumed.rejects].sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
      await quarantine(dependencies, run, rejects, now());
      result.quarantined = Math.max(consumed.rejectedCount, rejects.length);
      result.rejected = rejects.slice(0, MAX_REPORTED_REJECTS).map(({ raw: _raw, ...reject }) => reject);
      if (result.quarantined > MAX_QUARANTINED_PER_RUN) {
        result.warnings.push(`${result.quarantined} records were refused; the first ${MAX_QUARANTINED_PER_RUN} are in quarantine`);
      }
      result.status = SyncRunStatus.SUCCEEDED;
      await finish(dependencies, run, result, startedAt, now(), {
        succeeded: true,
        validators: { etag: opened.etag, lastModified: opened.lastModified, bodyHash },
      });
      runLogger[result.quarantined > 0 || result.warnings.length > 0 ? "warn" : "info"]({ ...result, rejected: result.rejected.slice(0, 20) }, "sync source synced");
      return result;
    }
    let paged: PagedBody | null = null;
    let fetched: FetchedSource;
    if (connector.paging) {
      paged = await fetchPages(url, connector.paging, options.data, fetchOptions, (pageUrl) => dependencies.rateLimiter.acquire(pageUrl));
      fetched = { kind: "body", bytes: paged.pages[0]?.body ?? new Uint8Array(), bodyHash: paged.bodyHash, etag: null, lastModified: null };
    } else {
      await dependencies.rateLimiter.acquire(url);
      fetched = await fetchSource(url, { ...fetchOptions, ...(conditional ? { etag: source.etag, lastModified: source.lastModified } : {}) });
    }
    if (fetched.kind === "not-modified" || (conditional && fetched.bodyHash === source.bodyHash)) {
      result.status = SyncRunStatus.UNCHANGED;
      if (fetched.kind === "body") result.bytes = paged?.bytes ?? fetched.bytes.byteLength;
      await finish(dependencies, run, result, startedAt, now(), {
        succeeded: true,
        ...(fetched.kind === "body" ? { validators: { etag: fetched.etag, lastModified: fetched.lastModified, bodyHash: fetched.bodyHash } } : {}),
      });
      runLogger.info({ notModified: fetched.kind === "not-modified" }, "sync source unchanged");
      return result;
    }
    body = fetched.bytes;
    result.bytes = paged?.bytes ?? body.byteLength;

    const context: RunContext = { source, options: options.data, provenance, fetchedAt, period, logger: runLogger };
    const parsed = paged ? mergePages(paged.pages.map((page) => connector.parse(page.body, context))) : connector.parse(body, context);
    if (paged && !paged.complete) {
      parsed.complete = false;
      parsed.warnings.push(`stopped after ${paged.pages.length} pages (the source's page limit): records on later pages were not read, and nothing was ended`);
    }
    result.fetched = parsed.total;
    result.warnings.push(...parsed.warnings);
    const records = period ? parsed.records.filter(({ record }) => connector.inPeriod(record, period)) : parsed.records;
    const stored = await connector.store(records, context);
    result.inserted = stored.inserted;
    result.updated = stored.updated;
    result.unchanged = stored.unchanged;
    result.accepted = stored.inserted + stored.updated + stored.unchanged;

    if (!period && connector.isFullSnapshot(options.data)) {
      if (parsed.complete) {
        result.ended = await connector.endMissing(parsed.listedIds, context);
      } else {
        result.warnings.push("records missing from this body were not ended, since the body is damaged");
      }
    }
    const rejects = [...parsed.rejects, ...stored.rejects].sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
    await quarantine(dependencies, run, rejects, now());
    result.quarantined = rejects.length;
    result.rejected = rejects.slice(0, MAX_REPORTED_REJECTS).map(({ raw: _raw, ...reject }) => reject);
    if (rejects.length > MAX_QUARANTINED_PER_RUN) {
      result.warnings.push(`${rejects.length} records were refused; the first ${MAX_QUARANTINED_PER_RUN} are in quarantine`);
    }
    result.status = SyncRunStatus.SUCCEEDED;
    await finish(dependencies, run, result, startedAt, now(), {
      succeeded: true,
      // Stored last: a run that dies before this point fetches the whole body again next time.
      validators: { etag: fetched.etag, lastModified: fetched.lastModified, bodyHash: fetched.bodyHash },
    });
    runLogger[rejects.length > 0 || result.warnings.length > 0 ? "warn" : "info"](
      { ...result, rejected: result.rejected.slice(0, 20) },
      "sync source synced",
    );
    return result;
  } catch (error) {
    const permanent = error instanceof FeedRejectedError || error instanceof InvalidOutageRecordError;
    const kind = permanent ? SyncErrorKind.PERMANENT : SyncErrorKind.TRANSIENT;
    const message = error instanceof Error ? error.message : String(error);
    result.status = SyncRunStatus.FAILED;
    try {
      if (permanent && body) {
        // The format changed: keep the start of the body, so that an admin sees what arrived.
        await quarantine(dependencies, run, [{ line: null, externalId: null, field: "(file)", reason: message, raw: new TextDecoder().decode(body.subarray(0, 10_000)) }], now());
        result.quarantined += 1;
      }
      await finish(dependencies, run, result, startedAt, now(), { succeeded: false, error: message, errorKind: kind });
    } catch (recordError) {
      runLogger.error({ err: recordError }, "the failed run could not be recorded");
    }
    throw new SyncRunError(message, kind, runId, { cause: error });
  }
}

async function finish(
  dependencies: RunSyncDependencies,
  run: SyncRunDocument,
  result: SyncRunResult,
  startedAt: Date,
  finishedAt: Date,
  outcome: { succeeded: boolean; validators?: { etag: string | null; lastModified: string | null; bodyHash: string | null }; error?: string; errorKind?: SyncErrorKind },
): Promise<void> {
  await dependencies.city.syncRuns.finish(run._id, {
    status: result.status,
    finishedAt,
    bytes: result.bytes,
    fetched: result.fetched,
    inserted: result.inserted,
    updated: result.updated,
    unchanged: result.unchanged,
    ended: result.ended,
    quarantined: result.quarantined,
    warnings: result.warnings,
    error: outcome.error ?? null,
    errorKind: outcome.errorKind ?? null,
  });
  await dependencies.city.syncSources.recordRunFinished(run.sourceId, {
    summary: { runId: run._id, status: result.status, startedAt, finishedAt, error: outcome.error ?? null },
    succeeded: outcome.succeeded,
    ...(outcome.validators ? { validators: outcome.validators } : {}),
  });
}

async function quarantine(dependencies: RunSyncDependencies, run: SyncRunDocument, rejects: readonly RecordReject[], at: Date): Promise<void> {
  const documents: SyncQuarantineDocument[] = rejects.slice(0, MAX_QUARANTINED_PER_RUN).map((reject) => ({
    _id: randomUUID(),
    sourceId: run.sourceId,
    runId: run._id,
    line: reject.line,
    externalId: reject.externalId,
    field: reject.field,
    reason: reject.reason,
    raw: reject.raw,
    quarantinedAt: at,
  }));
  await dependencies.city.syncQuarantine.addMany(documents);
}

/** A backfill's URL: `{from}` and `{to}` (also percent-encoded, as URLs store them) become the period's ISO instants. */
export function fillPeriod(url: string, period: { from: Date; to: Date }): string {
  const from = encodeURIComponent(period.from.toISOString());
  const to = encodeURIComponent(period.to.toISOString());
  return url.replaceAll(/\{from\}|%7Bfrom%7D/gi, from).replaceAll(/\{to\}|%7Bto%7D/gi, to);
}
