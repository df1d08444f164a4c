/**
 * The sync queue's contract, shared by whoever schedules syncs (this subgraph's mutations, and the
 * worker when it reconciles) and whoever runs them (`@situation/workers`), kept here because the
 * workers depend on this subgraph, not the other way round.
 */
import type { Logger, PlatformConfig } from "@situation/platform";
import { createRedisConnection } from "@situation/platform";
import { getNextMillis, Queue, type JobsOptions } from "bullmq";
import type { SyncSourceDocument, SyncTrigger } from "./sync-source.model.js";

export const SOURCE_SYNC_QUEUE = "source-sync";
export const SOURCE_SYNC_JOB = "sync-source";
/** The custom backoff the worker registers: exponential, with jitter so that many sources failing together do not retry together. */
export const SYNC_BACKOFF_TYPE = "exponential-jitter";
export const DEFAULT_SYNC_ATTEMPTS = 5;
export const DEFAULT_SYNC_BACKOFF_MS = 5_000;

/** BullMQ refuses custom ids with a ':', so the separator is '-'. */
export function syncSchedulerId(sourceId: string): string {
  return `source-${sourceId}`;
}

export interface SyncJobData {
  sourceId: string;
  trigger: SyncTrigger;
  /** A backfill's period, ISO 8601. */
  from?: string;
  to?: string;
}

export interface SyncSchedule {
  /** A cron pattern (5 fields, or 6 with seconds), as BullMQ's job schedulers read it. */
  pattern: string | null;
  /** Or a fixed interval. */
  everyMs: number | null;
  /** The cron pattern's time zone (IANA name); default the worker's. */
  timezone: string | null;
}

export const MIN_SYNC_INTERVAL_MS = 1_000;
export const MAX_SYNC_INTERVAL_MS = 31 * 24 * 3_600_000;

/**
 * Checks a schedule with the parser BullMQ itself uses for job schedulers (`getNextMillis`), so a
 * pattern accepted here is one the scheduler will run; returns the field and why, or null.
 */
export function checkSchedule(schedule: SyncSchedule): { field: string; message: string } | null {
  const hasPattern = schedule.pattern !== null && schedule.pattern !== undefined;
  const hasEvery = schedule.everyMs !== null && schedule.everyMs !== undefined;
  if (hasPattern === hasEvery) return { field: "schedule", message: "must have either a cron pattern or everyMs, not both" };
  if (hasEvery) {
    const every = schedule.everyMs as number;
    if (!Number.isInteger(every) || every < MIN_SYNC_INTERVAL_MS || every > MAX_SYNC_INTERVAL_MS) {
      return { field: "schedule.everyMs", message: `must be an integer from ${MIN_SYNC_INTERVAL_MS} to ${MAX_SYNC_INTERVAL_MS} (ms)` };
    }
    if (schedule.timezone) return { field: "schedule.timezone", message: "applies only to a cron pattern" };
    return null;
  }
  const pattern = (schedule.pattern as string).trim();
  const fields = pattern.split(/\s+/).length;
  // cron-parser also takes aliases like "@daily"; five or six fields keep the stored schedules readable.
  if (fields < 5 || fields > 6) return { field: "schedule.pattern", message: "must be a cron pattern of 5 fields (or 6, with seconds first)" };
  if (schedule.timezone) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: schedule.timezone });
    } catch {
      return { field: "schedule.timezone", message: "is not an IANA time zone, e.g. Europe/Belgrade" };
    }
  }
  try {
    const next = getNextMillis(Date.now(), { pattern, ...(schedule.timezone ? { tz: schedule.timezone } : {}) });
    if (next === undefined || Number.isNaN(next)) return { field: "schedule.pattern", message: "never fires" };
  } catch (error) {
    return { field: "schedule.pattern", message: `is not a valid cron pattern: ${(error as Error).message}` };
  }
  return null;
}

/**
 * What the sources' mutations call after their database write. The BullMQ implementation is
 * {@link createSyncScheduler}; the default, {@link NO_SYNC_SCHEDULING}, leaves it to the worker's
 * reconciliation.
 */
export interface SyncScheduler {
  /** Creates or replaces the source's job scheduler, or removes it when the source is paused. */
  apply(source: SyncSourceDocument): Promise<void>;
  /** Queues one run now; returns the job's id. */
  enqueue(data: SyncJobData): Promise<string>;
}

export const NO_SYNC_SCHEDULING: SyncScheduler = Object.freeze({
  async apply() {},
  async enqueue(): Promise<string> {
    throw new Error("no sync scheduler is configured: this process cannot queue syncs");
  },
});

export interface SyncSchedulerOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">;
  /** A Redis connection the caller keeps owning. Without one, the scheduler opens (and closes) its own. */
  connection?: ReturnType<typeof createRedisConnection>;
  logger?: Logger;
  attempts?: number;
  backoffDelayMs?: number;
}

export interface BullmqSyncScheduler extends SyncScheduler {
  readonly queue: Queue<SyncJobData>;
  /**
   * Makes Redis match the stored sources: a scheduler for each active one, none for paused or
   * removed ones. Heals whatever a failed `apply` or a lost Redis left behind.
   */
  reconcile(sources: readonly SyncSourceDocument[]): Promise<{ upserted: number; removed: number }>;
  /** Closes the queue and the connection it opened itself. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function syncJobOptions(options: { attempts?: number; backoffDelayMs?: number } = {}): JobsOptions {
  return {
    attempts: options.attempts ?? DEFAULT_SYNC_ATTEMPTS,
    backoff: { type: SYNC_BACKOFF_TYPE, delay: options.backoffDelayMs ?? DEFAULT_SYNC_BACKOFF_MS },
    // Run history lives in the syncRuns collection; Redis keeps only enough to debug the queue.
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1_000 },
  };
}

export function createSyncScheduler(options: SyncSchedulerOptions): BullmqSyncScheduler {
  const ownsConnection = options.connection === undefined;
  // A producer must not wait forever for Redis (that is for blocking workers), so no `forBullmq` here.
  const connection = options.connection ?? createRedisConnection(options.config, { name: `${SOURCE_SYNC_QUEUE}-producer` });
  const jobOptions = syncJobOptions(options);
  const queue = new Queue<SyncJobData>(SOURCE_SYNC_QUEUE, { connection, prefix: options.config.redisPrefix, defaultJobOptions: jobOptions });
  queue.on("error", (error) => options.logger?.error({ err: error, queue: SOURCE_SYNC_QUEUE }, "sync queue error"));
  let closing: Promise<void> | undefined;

  const ensureOpen = () => {
    if (closing) throw new Error("the sync scheduler was closed");
  };

  const apply = async (source: SyncSourceDocument): Promise<void> => {
    ensureOpen();
    const id = syncSchedulerId(source._id);
    if (source.paused) {
      await queue.removeJobScheduler(id);
      return;
    }
    const { pattern, everyMs, timezone } = source.schedule;
    await queue.upsertJobScheduler(
      id,
      pattern ? { pattern, ...(timezone ? { tz: timezone } : {}) } : { every: everyMs as number },
      { name: SOURCE_SYNC_JOB, data: { sourceId: source._id, trigger: "scheduled" }, opts: jobOptions },
    );
  };

  const enqueue = async (data: SyncJobData): Promise<string> => {
    ensureOpen();
    const job = await queue.add(SOURCE_SYNC_JOB, data);
    return job.id as string;
  };

  const reconcile = async (sources: readonly SyncSourceDocument[]) => {
    ensureOpen();
    const wanted = new Set(sources.filter((source) => !source.paused).map((source) => syncSchedulerId(source._id)));
    // Listed whole before removing anything, so that removals do not shift the pages.
    const existing = new Map<string, { every?: number | null; pattern?: string | null; tz?: string | null }>();
    for (let start = 0; ; start += 100) {
      const page = await queue.getJobSchedulers(start, start + 99, true);
      for (const scheduler of page) existing.set(scheduler.key, scheduler);
      if (page.length < 100) break;
    }
    let removed = 0;
    for (const key of existing.keys()) {
      if (key.startsWith("source-") && !wanted.has(key)) {
        await queue.removeJobScheduler(key);
        removed += 1;
      }
    }
    // Only missing or changed schedulers are written: reconciliation runs every minute on every worker.
    let upserted = 0;
    for (const source of sources) {
      if (source.paused) continue;
      const current = existing.get(syncSchedulerId(source._id));
      const { pattern, everyMs, timezone } = source.schedule;
      const same =
        current !== undefined &&
        (current.every ?? null) === everyMs &&
        (current.pattern ?? null) === pattern &&
        (current.tz ?? null) === timezone;
      if (same) continue;
      await apply(source);
      upserted += 1;
    }
    return { upserted, removed };
  };

  const close = () => {
    closing ??= (async () => {
      try {
        await queue.close();
      } finally {
        if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
      }
    })();
    return closing;
  };

  return { queue, apply, enqueue, reconcile, close, [Symbol.asyncDispose]: close };
}
