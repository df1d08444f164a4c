import type { ChangeEventPublisher, Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { NotFoundError, createRedisConnection } from "@situation/platform";
import { openCityRepositories } from "@situation/city-subgraph";
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import {
  escalateRequest,
  sweepOverdueRequests,
  type EscalationOutcome,
  type EscalationRepository,
  type SweepResult,
} from "./escalate-overdue.js";
import {
  DEFAULT_ESCALATION_ATTEMPTS,
  DEFAULT_ESCALATION_BACKOFF_MS,
  DEFAULT_SWEEP_BATCH_SIZE,
  DEFAULT_SWEEP_INTERVAL_MS,
  REQUEST_ESCALATION_QUEUE,
  SWEEP_OVERDUE_JOB,
  SWEEP_OVERDUE_SCHEDULER_ID,
  type EscalateRequestJobData,
  type SweepOverdueJobData,
} from "./request-escalation-queue.js";

export type RequestEscalationJobData = EscalateRequestJobData | SweepOverdueJobData;
export type RequestEscalationResult = EscalationOutcome | SweepResult;

export interface RequestEscalationWorkerOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** A Redis connection made `forBullmq`; the caller keeps owning it. Without one, the worker opens (and closes) its own. */
  connection?: Redis;
  /** How often the sweep runs; default 60 s. */
  sweepIntervalMs?: number;
  sweepBatchSize?: number;
  /** How often a failing escalation is tried in all; default 5. */
  attempts?: number;
  /** The first retry's delay, doubled each time; default 5 s. */
  backoffDelayMs?: number;
  /** Another database than the city subgraph's own (tests isolate themselves this way). */
  databaseName?: string;
  /** The requests' repository; by default the city subgraph's own, whose indexes `start()` ensures. */
  repository?: EscalationRepository;
  /** The clock that decides what is overdue. */
  now?: () => Date;
  /** Where escalations are announced (`request.escalated`) when the default repository is used; the caller owns (and closes) it. */
  events?: ChangeEventPublisher;
}

export interface RequestEscalationWorker {
  /** The queue the city subgraph schedules escalations on and the sweep runs on. */
  readonly queue: Queue<RequestEscalationJobData, RequestEscalationResult>;
  /** Starts processing and schedules the sweep. */
  start(): Promise<void>;
  /** Queues one sweep now (besides the scheduled ones). */
  sweepNow(): Promise<Job<RequestEscalationJobData, RequestEscalationResult>>;
  /** Stops taking jobs, lets running ones finish, then closes the queue and owned connections. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Processes the `request-escalation` queue: the delayed job the city subgraph schedules per request
 * (due at its `resolutionDueAt`), and a sweep every minute that escalates what is overdue but whose
 * job was lost (scheduled while Redis was down, or before this worker existed). Both go through the
 * repository's idempotent `escalateIfOverdue`, so a job run twice, or a request both swept and
 * processed, is escalated once.
 */
export function createRequestEscalationWorker(options: RequestEscalationWorkerOptions): RequestEscalationWorker {
  const { config } = options;
  const logger = options.logger.child({ component: "request-escalation" });
  const now = options.now ?? (() => new Date());
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const sweepBatchSize = options.sweepBatchSize ?? DEFAULT_SWEEP_BATCH_SIZE;
  const ownsConnection = options.connection === undefined;
  const connection = options.connection ?? createRedisConnection(config, { name: "request-escalation", forBullmq: true });
  const { repository, ensureIndexes } = openRepository(options);
  const jobOptions: JobsOptions = {
    attempts: options.attempts ?? DEFAULT_ESCALATION_ATTEMPTS,
    backoff: { type: "exponential", delay: options.backoffDelayMs ?? DEFAULT_ESCALATION_BACKOFF_MS },
    removeOnComplete: true,
    removeOnFail: { count: 1_000 },
  };
  const queue = new Queue<RequestEscalationJobData, RequestEscalationResult>(REQUEST_ESCALATION_QUEUE, {
    connection,
    prefix: config.redisPrefix,
    defaultJobOptions: jobOptions,
  });
  queue.on("error", (error) => logger.error({ err: error }, "request-escalation queue error"));

  const process = async (job: Job<RequestEscalationJobData, RequestEscalationResult>): Promise<RequestEscalationResult> => {
    const jobLogger = logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    if (job.name === SWEEP_OVERDUE_JOB) return sweepOverdueRequests(repository, now(), jobLogger, sweepBatchSize);
    // Every other job is a request's own escalation, whatever name its producer gave it.
    const requestId = (job.data as Partial<EscalateRequestJobData>).requestId;
    if (typeof requestId !== "string" || requestId.length === 0) {
      // Retrying cannot fix a job without a request id.
      throw new UnrecoverableError(`escalation job ${job.id} has no requestId`);
    }
    try {
      return await escalateRequest(repository, requestId, now(), jobLogger);
    } catch (error) {
      // A request that does not exist will not appear by retrying; store and conflict errors may pass.
      if (error instanceof NotFoundError) {
        const unrecoverable = new UnrecoverableError(error.message);
        unrecoverable.cause = error;
        throw unrecoverable;
      }
      throw error;
    }
  };

  let worker: Worker<RequestEscalationJobData, RequestEscalationResult> | undefined;
  let closing: Promise<void> | undefined;

  const start = async () => {
    if (closing) throw new Error("the request-escalation worker was closed; create a new one");
    if (worker) return;
    await ensureIndexes();
    worker = new Worker<RequestEscalationJobData, RequestEscalationResult>(REQUEST_ESCALATION_QUEUE, process, {
      connection,
      prefix: config.redisPrefix,
      // Escalations are short database writes; a handful at once drains a backlog after downtime quickly.
      concurrency: 4,
    });
    worker.on("error", (error) => logger.error({ err: error }, "request-escalation worker error"));
    worker.on("failed", (job, error) =>
      logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, "request escalation attempt failed"),
    );
    await worker.waitUntilReady();
    await queue.upsertJobScheduler(
      SWEEP_OVERDUE_SCHEDULER_ID,
      { every: sweepIntervalMs },
      { name: SWEEP_OVERDUE_JOB, data: {}, opts: { ...jobOptions, attempts: 1 } },
    );
    logger.info({ sweepEveryMs: sweepIntervalMs }, "request escalation started");
  };

  const sweepNow = () => queue.add(SWEEP_OVERDUE_JOB, {}, { attempts: 1 });

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

  return { queue, start, sweepNow, close, [Symbol.asyncDispose]: close };
}

/** The city subgraph's own repository (whose indexes this process ensures, as every writer does), or the one handed in. */
function openRepository(options: RequestEscalationWorkerOptions): { repository: EscalationRepository; ensureIndexes(): Promise<void> } {
  if (options.repository) return { repository: options.repository, ensureIndexes: async () => {} };
  const { serviceRequests } = openCityRepositories(options.mongo, {
    ...(options.databaseName ? { databaseName: options.databaseName } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  return { repository: serviceRequests, ensureIndexes: () => serviceRequests.ensureIndexes() };
}
