import {
  createSyncScheduler,
  openCityRepositories,
  SOURCE_SYNC_QUEUE,
  SYNC_TRIGGERS,
  SyncConnectorKind,
  SyncErrorKind,
  SyncTarget,
  SyncTrigger,
  syncSchedulerId,
  type BullmqSyncScheduler,
  type CityRepositories,
  type SyncJobData,
} from "@situation/city-subgraph";
import type { ChangeEventPublisher, Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { createRedisConnection } from "@situation/platform";
import { BUSINESS_DATABASE, BusinessRepository } from "@situation/business-subgraph";
import { openServicesRepositories, type ServicesRepositories } from "@situation/services-subgraph";
import { DelayedError, Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { createOutageCsvConnector } from "../connectors/outage-csv/outage-csv.connector.js";
import { createGenericConnector } from "../connectors/generic/generic.connector.js";
import { createNgsiLdConnector } from "../connectors/ngsi-ld/ngsi-ld.connector.js";
import { createOpenMeteoConnector } from "../connectors/open-meteo/open-meteo.connector.js";
import { createSensorCommunityConnector } from "../connectors/sensor-community/sensor-community.connector.js";
import { createOpen311Connector } from "../connectors/open311/open311.connector.js";
import { createBusinessRegistryCsvConnector } from "../connectors/business-registry-csv/business-registry-csv.connector.js";
import { createGtfsRealtimeConnector } from "../connectors/gtfs-realtime/gtfs-realtime.connector.js";
import { syncBackoffStrategy } from "./backoff.js";
import type { AnyConnector, Connector } from "./connector.js";
import { createHostRateLimiter } from "./host-rate-limit.js";
import { runSync, SyncRunError, type SyncRunResult } from "./run-sync.js";
import { createSourceLocks } from "./source-lock.js";

/** The id of the source that OUTAGE_FEED_URL configures. */
export const OUTAGE_FEED_SOURCE_ID = "outage-feed";
/** The queue and scheduler of the outage sync before the framework; removed at start so that nothing runs twice. */
const LEGACY_OUTAGE_QUEUE = "outage-sync";
const LEGACY_OUTAGE_SCHEDULER = "outage-feed";

/** A scheduled job of a paused source (queued before the pause) does nothing. */
export type SyncJobResult = SyncRunResult | { sourceId: string; skipped: "paused" };

export interface SyncWorkerOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix" | "outageFeedUrl" | "outageSyncIntervalMs" | "syncFileRoot"> & Partial<Pick<PlatformConfig, "readingsRetentionDays">>;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** A Redis connection made `forBullmq`; the caller keeps owning it. Without one, the worker opens (and closes) its own. */
  connection?: Redis;
  /** Other databases than the subgraphs' own (tests isolate themselves this way). */
  databaseNames?: { city?: string; services?: string; business?: string };
  /** Runs of different sources at once; runs of one source never overlap. Default 4. */
  concurrency?: number;
  /** How often a failing run is tried in all; default 5. */
  attempts?: number;
  /** The first retry's delay, about doubled each time, with jitter; default 5 s. */
  backoffDelayMs?: number;
  /** The per-source lock's TTL, renewed while a run lasts; default 30 s. */
  lockTtlMs?: number;
  /** How long a job waits when its source is already running; default 5 s. */
  lockRetryDelayMs?: number;
  /** Time between two requests to one host, across all workers; default 1 s. */
  hostIntervalMs?: number;
  /** How often the stored sources are reconciled with the schedulers in Redis; default 60 s. */
  reconcileIntervalMs?: number;
  /** BullMQ's stalled-job check and job lock (tests shorten them to see a killed worker's job retried). */
  stalledIntervalMs?: number;
  jobLockDurationMs?: number;
  /** Tests may pass their own. */
  fetch?: typeof globalThis.fetch;
  /** Where the changes synced from feeds are announced (docs/live-events.md); the caller owns (and closes) it. None when absent. */
  events?: ChangeEventPublisher;
}

export interface SyncWorker {
  readonly queue: Queue<SyncJobData, SyncJobResult>;
  readonly scheduler: BullmqSyncScheduler;
  readonly city: CityRepositories;
  readonly services: ServicesRepositories;
  /** Starts processing; ensures the OUTAGE_FEED_URL source; reconciles schedulers now and periodically. */
  start(): Promise<void>;
  /** Queues one run of a source now. */
  runNow(sourceId: string): Promise<Job<SyncJobData, SyncJobResult>>;
  /** Makes the schedulers in Redis match the stored sources. */
  reconcile(): Promise<{ upserted: number; removed: number }>;
  /** Stops taking jobs, lets the running ones finish, then closes the queue and owned connections. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { config } = options;
  const logger = options.logger.child({ component: "source-sync" });
  const ownsConnection = options.connection === undefined;
  const connection = options.connection ?? createRedisConnection(config, { name: "source-sync", forBullmq: true });
  const scheduler = createSyncScheduler({
    config,
    connection,
    logger,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.backoffDelayMs !== undefined ? { backoffDelayMs: options.backoffDelayMs } : {}),
  });
  const queue = scheduler.queue as unknown as Queue<SyncJobData, SyncJobResult>;
  const city = openCityRepositories(options.mongo, {
    syncScheduler: scheduler,
    logger,
    ...(options.databaseNames?.city ? { databaseName: options.databaseNames.city } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const services = openServicesRepositories(options.mongo, {
    ...(options.databaseNames?.services ? { databaseName: options.databaseNames.services } : {}),
    // Environment connectors write readings: every such process must pass the same retention (docs/public-services.md).
    ...(config.readingsRetentionDays !== undefined ? { readingsRetentionDays: config.readingsRetentionDays } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const businesses = new BusinessRepository(options.mongo.db(options.databaseNames?.business ?? BUSINESS_DATABASE));
  const connectors = new Map<string, AnyConnector>([
    [SyncConnectorKind.OUTAGE_CSV, createOutageCsvConnector(services) as Connector],
    [SyncConnectorKind.SENSOR_COMMUNITY, createSensorCommunityConnector(services) as Connector],
    [SyncConnectorKind.OPEN_METEO, createOpenMeteoConnector(services) as Connector],
    [SyncConnectorKind.NGSI_LD, createNgsiLdConnector(services) as Connector],
    [SyncConnectorKind.GENERIC, createGenericConnector(services) as Connector],
    [SyncConnectorKind.OPEN311, createOpen311Connector(city) as Connector],
    [SyncConnectorKind.GTFS_REALTIME, createGtfsRealtimeConnector(services, city) as Connector],
    [SyncConnectorKind.BUSINESS_REGISTRY_CSV, createBusinessRegistryCsvConnector(businesses) as AnyConnector],
  ]);
  const locks = createSourceLocks({
    redis: connection,
    prefix: config.redisPrefix,
    ttlMs: options.lockTtlMs ?? 30_000,
    onLost: (sourceId) => logger.error({ sourceId }, "a run's source lock expired while it ran; another run may overlap it"),
  });
  const rateLimiter = createHostRateLimiter({
    redis: connection,
    prefix: config.redisPrefix,
    intervalMs: options.hostIntervalMs ?? 1_000,
    maxWaitMs: 60_000,
  });
  const lockRetryDelayMs = options.lockRetryDelayMs ?? 5_000;

  const processJob = async (job: Job<SyncJobData, SyncJobResult>, token?: string): Promise<SyncJobResult> => {
    const { sourceId, trigger } = job.data ?? ({} as Partial<SyncJobData>);
    if (typeof sourceId !== "string" || !SYNC_TRIGGERS.includes(trigger as SyncTrigger)) {
      throw new UnrecoverableError(`job ${job.id} has no valid sourceId and trigger`);
    }
    const source = await city.syncSources.findById(sourceId);
    if (!source) {
      // A scheduler outliving its source (removed from the database by hand) would fail forever.
      await queue.removeJobScheduler(syncSchedulerId(sourceId));
      throw new UnrecoverableError(`sync source ${JSON.stringify(sourceId)} does not exist`);
    }
    if (source.paused && trigger === SyncTrigger.SCHEDULED) return { sourceId, skipped: "paused" };
    const period = trigger === SyncTrigger.BACKFILL && job.data.from && job.data.to ? { from: new Date(job.data.from), to: new Date(job.data.to) } : null;
    if (trigger === SyncTrigger.BACKFILL && (!period || Number.isNaN(period.from.getTime()) || Number.isNaN(period.to.getTime()))) {
      throw new UnrecoverableError(`backfill job ${job.id} has no valid from and to`);
    }

    const lock = await locks.tryAcquire(sourceId, `${job.id}-${job.attemptsStarted}`);
    if (!lock) {
      // Another run of this source is under way: wait for it, without spending an attempt.
      await job.moveToDelayed(Date.now() + lockRetryDelayMs, token);
      throw new DelayedError();
    }
    try {
      return await runSync(
        {
          city,
          connectors,
          rateLimiter,
          logger,
          fetch: { fileRoot: config.syncFileRoot, ...(options.fetch ? { fetch: options.fetch } : {}) },
        },
        { source, jobId: String(job.id), attempt: job.attemptsMade + 1, trigger: trigger as SyncTrigger, period },
      );
    } catch (error) {
      if (error instanceof SyncRunError && error.kind === SyncErrorKind.PERMANENT) {
        // Retrying cannot fix a feed that answers 4xx or changed its format: fail now.
        const unrecoverable = new UnrecoverableError(error.message);
        unrecoverable.cause = error;
        throw unrecoverable;
      }
      throw error;
    } finally {
      await lock.release().catch((error: unknown) => logger.warn({ err: error, sourceId }, "source lock not released; it expires by itself"));
    }
  };

  let worker: Worker<SyncJobData, SyncJobResult> | undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const reconcile = async () => scheduler.reconcile(await city.syncSources.findAll());

  const start = async () => {
    if (closing) throw new Error("the sync worker was closed; create a new one");
    if (worker) return;
    await Promise.all([city.syncSources.ensureIndexes(), city.syncRuns.ensureIndexes(), city.syncQuarantine.ensureIndexes(), services.ensureIndexes()]);
    // The open311 and registry imports key on unique indexes (external id, registry number): without
    // them a lookup scans the collection and nothing stops a duplicate.
    await Promise.all([city.serviceRequests.ensureIndexes(), businesses.ensureIndexes()]);
    worker = new Worker<SyncJobData, SyncJobResult>(SOURCE_SYNC_QUEUE, processJob, {
      connection,
      prefix: config.redisPrefix,
      concurrency: options.concurrency ?? 4,
      settings: { backoffStrategy: syncBackoffStrategy },
      ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
      ...(options.jobLockDurationMs !== undefined ? { lockDuration: options.jobLockDurationMs } : {}),
    });
    worker.on("error", (error) => logger.error({ err: error }, "sync worker error"));
    worker.on("failed", (job, error) =>
      logger.warn({ jobId: job?.id, sourceId: job?.data.sourceId, attemptsMade: job?.attemptsMade, err: error }, "sync attempt failed"),
    );
    await worker.waitUntilReady();

    const legacy = new Queue(LEGACY_OUTAGE_QUEUE, { connection, prefix: config.redisPrefix });
    try {
      await legacy.removeJobScheduler(LEGACY_OUTAGE_SCHEDULER);
    } finally {
      await legacy.close();
    }
    if (config.outageFeedUrl) {
      const url = new URL(config.outageFeedUrl);
      await city.syncSources.ensureConfigured(
        {
          id: OUTAGE_FEED_SOURCE_ID,
          name: "Outage feed (OUTAGE_FEED_URL)",
          kind: SyncConnectorKind.OUTAGE_CSV,
          url: config.outageFeedUrl,
          schedule: { everyMs: config.outageSyncIntervalMs },
          // The earlier outage sync's provenance name, so that outages it stored keep their identity.
          options: { provenance: `csv:${url.host}${url.pathname}` },
          target: SyncTarget.OUTAGES,
          maxAgeMs: Math.max(3 * config.outageSyncIntervalMs, 60_000),
        },
        "OUTAGE_FEED_URL",
      );
      logger.info({ feedUrl: config.outageFeedUrl, everyMs: config.outageSyncIntervalMs }, "OUTAGE_FEED_URL source ensured");
    }
    const reconciled = await reconcile();
    logger.info(reconciled, "sync schedulers reconciled with the stored sources");
    const interval = options.reconcileIntervalMs ?? 60_000;
    reconcileTimer = setInterval(() => {
      reconcile().catch((error: unknown) => logger.error({ err: error }, "sync schedulers not reconciled; trying again later"));
    }, interval);
    reconcileTimer.unref();
  };

  const runNow = async (sourceId: string) => {
    const jobId = await city.syncSources.runNow(sourceId);
    const job = await Job.fromId<SyncJobData, SyncJobResult>(queue, jobId);
    if (!job) throw new Error(`job ${jobId} vanished right after it was queued`);
    return job;
  };

  const close = () => {
    closing ??= (async () => {
      clearInterval(reconcileTimer);
      // Every step runs even if one fails; the first failure is reported.
      const steps: (() => Promise<unknown>)[] = [
        async () => worker?.close(),
        async () => scheduler.close(),
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

  return { queue, scheduler, city, services, start, runNow, reconcile, close, [Symbol.asyncDispose]: close };
}
