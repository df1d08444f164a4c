import type { Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { createRedisConnection } from "@situation/platform";
import { InvalidOutageRecordError, openServicesRepositories } from "@situation/services-subgraph";
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { FeedRejectedError } from "./outage-feed/feed-errors.js";
import type { FetchFeedOptions } from "./outage-feed/fetch-feed.js";
import {
  DEFAULT_SYNC_ATTEMPTS,
  DEFAULT_SYNC_BACKOFF_MS,
  OUTAGE_SYNC_JOB,
  OUTAGE_SYNC_QUEUE,
  OUTAGE_SYNC_SCHEDULER_ID,
  type OutageSyncJobData,
} from "./outage-sync/outage-sync-queue.js";
import { syncOutageFeed, type OutageSyncResult } from "./outage-sync/sync-outage-feed.js";

export interface OutageSyncWorkerOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix" | "outageFeedUrl" | "outageSyncIntervalMs">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** A Redis connection made `forBullmq`; the caller keeps owning it. Without one, the worker opens (and closes) its own. */
  connection?: Redis;
  /** How often a failing sync is tried in all; default 5. */
  attempts?: number;
  /** The first retry's delay, doubled each time; default 5 s. */
  backoffDelayMs?: number;
  /** Time and size limits of the feed request. */
  feed?: FetchFeedOptions;
  /** Another database than the services subgraph's own (tests isolate themselves this way). */
  databaseName?: string;
}

export interface OutageSyncWorker {
  readonly queue: Queue<OutageSyncJobData, OutageSyncResult>;
  /** Starts processing, and schedules the periodic sync when `config.outageFeedUrl` is set. */
  start(): Promise<void>;
  /** Queues one sync now, of the configured feed or the given one. */
  syncNow(feedUrl?: string): Promise<Job<OutageSyncJobData, OutageSyncResult>>;
  /** Stops taking jobs, lets the running one finish, then closes the queue and owned connections. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createOutageSyncWorker(options: OutageSyncWorkerOptions): OutageSyncWorker {
  const { config } = options;
  const logger = options.logger.child({ component: "outage-sync" });
  const ownsConnection = options.connection === undefined;
  const connection = options.connection ?? createRedisConnection(config, { name: "outage-sync", forBullmq: true });
  const repositories = openServicesRepositories(options.mongo, options.databaseName ? { databaseName: options.databaseName } : {});
  const jobOptions: JobsOptions = {
    attempts: options.attempts ?? DEFAULT_SYNC_ATTEMPTS,
    backoff: { type: "exponential", delay: options.backoffDelayMs ?? DEFAULT_SYNC_BACKOFF_MS },
    // Keep enough history to see what happened, not every run since the beginning.
    removeOnComplete: { count: 100 },
    removeOnFail: { count: 500 },
  };
  const queue = new Queue<OutageSyncJobData, OutageSyncResult>(OUTAGE_SYNC_QUEUE, {
    connection,
    prefix: config.redisPrefix,
    defaultJobOptions: jobOptions,
  });
  queue.on("error", (error) => logger.error({ err: error }, "outage-sync queue error"));

  const process = async (job: Job<OutageSyncJobData, OutageSyncResult>): Promise<OutageSyncResult> => {
    try {
      return await syncOutageFeed({
        feedUrl: job.data.feedUrl,
        repositories,
        logger: logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 }),
        ...(options.feed ? { fetch: options.feed } : {}),
      });
    } catch (error) {
      // Retrying cannot fix a feed that answers 4xx or unreadable CSV, nor a bad URL or record: fail now.
      if (error instanceof FeedRejectedError || error instanceof InvalidOutageRecordError || error instanceof TypeError) {
        const unrecoverable = new UnrecoverableError(error.message);
        unrecoverable.cause = error;
        throw unrecoverable;
      }
      throw error;
    }
  };

  let worker: Worker<OutageSyncJobData, OutageSyncResult> | undefined;
  let closing: Promise<void> | undefined;

  const start = async () => {
    if (closing) throw new Error("the outage-sync worker was closed; create a new one");
    if (worker) return;
    await repositories.ensureIndexes();
    worker = new Worker<OutageSyncJobData, OutageSyncResult>(OUTAGE_SYNC_QUEUE, process, {
      connection,
      prefix: config.redisPrefix,
      concurrency: 1,
    });
    worker.on("error", (error) => logger.error({ err: error }, "outage-sync worker error"));
    worker.on("failed", (job, error) =>
      logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, "outage sync attempt failed"),
    );
    await worker.waitUntilReady();
    if (config.outageFeedUrl) {
      await queue.upsertJobScheduler(
        OUTAGE_SYNC_SCHEDULER_ID,
        { every: config.outageSyncIntervalMs },
        { name: OUTAGE_SYNC_JOB, data: { feedUrl: config.outageFeedUrl }, opts: jobOptions },
      );
      logger.info({ feedUrl: config.outageFeedUrl, everyMs: config.outageSyncIntervalMs }, "outage feed sync scheduled");
    } else {
      // A scheduler left from an earlier configuration would keep syncing a feed nobody configured.
      await queue.removeJobScheduler(OUTAGE_SYNC_SCHEDULER_ID);
      logger.info("OUTAGE_FEED_URL is not set; no outage feed is synced");
    }
  };

  const syncNow = async (feedUrl?: string) => {
    const url = feedUrl ?? config.outageFeedUrl;
    if (!url) throw new Error("no feed URL: pass one or set OUTAGE_FEED_URL");
    return queue.add(OUTAGE_SYNC_JOB, { feedUrl: url });
  };

  const close = () => {
    closing ??= (async () => {
      // Every step runs even if one fails; the first failure is reported.
      const steps: (() => Promise<unknown>)[] = [
        async () => worker?.close(),
        async () => queue.close(),
        async () => {
          if (ownsConnection) await connection.quit().catch(() => connection.disconnect());
        },
      ];
      const failures: unknown[] = [];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
    })();
    return closing;
  };

  return { queue, start, syncNow, close, [Symbol.asyncDispose]: close };
}
