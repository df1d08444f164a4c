/**
 * One job per thing, due at a given time, kept in Redis (BullMQ delayed jobs) so that it survives a
 * restart of whoever scheduled it and of whoever processes it. The producer side only: the worker
 * that processes the queue lives with the code that knows what the job means.
 */
import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { PlatformConfig } from "./config.js";
import type { Logger } from "./logging.js";
import { createRedisConnection } from "./redis.js";

export interface DelayedJobQueueOptions {
  config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">;
  /** The BullMQ queue; `config.redisPrefix` is its prefix. */
  queueName: string;
  /** The jobs' name, which the worker may dispatch on; default `queueName`. */
  jobName?: string;
  /** A Redis connection the caller keeps owning. Without one, the queue opens (and closes) its own. */
  connection?: Redis;
  /** Merged over {@link DEFAULT_DELAYED_JOB_OPTIONS}; `jobId` and `delay` are set per job. */
  jobOptions?: Omit<JobsOptions, "jobId" | "delay">;
  logger?: Logger;
}

export interface DelayedJobQueue {
  /**
   * Schedules `data` to be processed at `at` (at once if `at` has passed) under `jobId`. A job already
   * scheduled under the same id is replaced, so the latest call decides the time and data; a job that
   * a worker is running at this moment is left to finish (BullMQ keeps one job per id).
   */
  schedule(jobId: string, at: Date, data: object): Promise<void>;
  /** Removes the job unless a worker is running it right now; no job under the id is no error. */
  cancel(jobId: string): Promise<void>;
  /** Closes the queue and the connection it opened itself. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Finished jobs are removed so that the id can be scheduled again (BullMQ ignores an `add` whose id
 * still exists) and Redis does not keep one job per thing ever scheduled; failures are kept a while
 * for operators to see. Processors must be idempotent: a job may run again after a crash.
 */
export const DEFAULT_DELAYED_JOB_OPTIONS: Readonly<Omit<JobsOptions, "jobId" | "delay">> = Object.freeze({
  attempts: 5,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
});

export function createDelayedJobQueue(options: DelayedJobQueueOptions): DelayedJobQueue {
  const { config, queueName } = options;
  const jobName = options.jobName ?? queueName;
  const ownsConnection = options.connection === undefined;
  // A producer must not wait forever for Redis (that is for blocking workers), so no `forBullmq` here.
  const connection = options.connection ?? createRedisConnection(config, { name: `${queueName}-producer` });
  const queue = new Queue(queueName, {
    connection,
    prefix: config.redisPrefix,
    defaultJobOptions: { ...DEFAULT_DELAYED_JOB_OPTIONS, ...options.jobOptions },
  });
  // Without a listener a connection error would be an unhandled 'error' event; the failing call still rejects.
  queue.on("error", (error) => options.logger?.error({ err: error, queue: queueName }, "delayed-job queue error"));
  let closing: Promise<void> | undefined;

  const ensureOpen = () => {
    if (closing) throw new Error(`the delayed-job queue "${queueName}" was closed`);
  };

  const schedule = async (jobId: string, at: Date, data: object): Promise<void> => {
    ensureOpen();
    const time = at.getTime();
    if (Number.isNaN(time)) throw new TypeError(`invalid due time for job "${jobId}"`);
    // Remove, then add: `add` alone would keep an existing job's old time. `remove` answers 0 when a
    // worker holds the job; the `add` is then a no-op and the running job stands.
    await queue.remove(jobId);
    await queue.add(jobName, data, { jobId, delay: Math.max(0, time - Date.now()) });
  };

  const cancel = async (jobId: string): Promise<void> => {
    ensureOpen();
    await queue.remove(jobId);
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

  return { schedule, cancel, close, [Symbol.asyncDispose]: close };
}
