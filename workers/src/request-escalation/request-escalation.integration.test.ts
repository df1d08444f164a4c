import { openCityRepositories, type CityRepositories } from "@situation/city-subgraph";
import {
  connectMongo,
  createChangeEventPublisher,
  createDelayedJobQueue,
  createLogger,
  createRedisConnection,
  loadConfig,
  readChangeEvents,
  type DelayedJobQueue,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { Job, QueueEvents } from "bullmq";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deleteRedisKeys, uniqueRedisPrefix } from "../test-support/redis-prefix.js";
import { seedTestCategory, submitRequestDueIn } from "../test-support/service-requests.js";
import {
  ESCALATE_REQUEST_JOB,
  REQUEST_ESCALATION_QUEUE,
  SWEEP_OVERDUE_SCHEDULER_ID,
  escalationJobId,
} from "./request-escalation-queue.js";
import { createRequestEscalationWorker, type RequestEscalationWorker, type RequestEscalationWorkerOptions } from "./request-escalation.worker.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

describe("request escalation (real Redis, embedded MongoDB)", () => {
  let mongo: MongoConnection;
  let config: PlatformConfig;
  let databaseName: string;
  let repositories: CityRepositories;
  // Everything a test opens, closed after it in reverse order (a test may close some itself first: close is safe twice).
  const opened: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    const bootConfig = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL }, { warn: () => {} });
    mongo = await connectMongo(bootConfig, { logger: createLogger(bootConfig, "escalation-test") });
  });

  afterAll(async () => {
    await mongo?.close();
  });

  beforeEach(async () => {
    config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix() }, { warn: () => {} });
    databaseName = `escalation_test_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    repositories = openCityRepositories(mongo, { databaseName });
    await repositories.ensureIndexes();
    await seedTestCategory(repositories);
  });

  afterEach(async () => {
    for (const resource of opened.splice(0).reverse()) await resource.close();
    await deleteRedisKeys(REDIS_URL, config.redisPrefix);
    await mongo.db(databaseName).dropDatabase();
  });

  /** A worker process's part: new connections every time, the same prefix and store. */
  async function startWorker(overrides: Partial<RequestEscalationWorkerOptions> = {}): Promise<RequestEscalationWorker> {
    const worker = createRequestEscalationWorker({
      config,
      mongo,
      logger: createLogger(config, "escalation-test"),
      databaseName,
      backoffDelayMs: 100,
      ...overrides,
    });
    opened.push(worker);
    await worker.start();
    return worker;
  }

  /** The city subgraph's part: what `main.ts` hands the server as its escalation scheduler. */
  function openScheduler(): DelayedJobQueue {
    const queue = createDelayedJobQueue({ config, queueName: REQUEST_ESCALATION_QUEUE, jobName: ESCALATE_REQUEST_JOB });
    opened.push(queue);
    return queue;
  }

  /**
   * Removes the sweep's scheduler (and its next run), so that only the delayed job can escalate: the
   * sweep would otherwise, rightly, escalate the overdue request whenever its next minute comes.
   */
  async function stopSweeping(worker: RequestEscalationWorker): Promise<void> {
    await worker.queue.removeJobScheduler(SWEEP_OVERDUE_SCHEDULER_ID);
  }

  async function openQueueEvents(): Promise<QueueEvents> {
    const events = new QueueEvents(REQUEST_ESCALATION_QUEUE, {
      // Options rather than a connection, so that QueueEvents owns (and closes) its blocking connection.
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: config.redisPrefix,
    });
    opened.push(events);
    await events.waitUntilReady();
    return events;
  }

  async function escalationAudit(requestId: string) {
    return (await repositories.serviceRequests.auditTrail(requestId)).filter((entry) => entry.kind === "escalation");
  }

  async function waitUntilEscalated(requestId: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const request = await repositories.serviceRequests.findById(requestId);
      if (request && request.escalationLevel > 0) return request;
      if (Date.now() > deadline) throw new Error(`request ${requestId} was not escalated within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it("escalates a request when its delayed job falls due, not before", async () => {
    const request = await submitRequestDueIn(repositories, 1_200);
    const scheduler = openScheduler();
    await scheduler.schedule(escalationJobId(request.id), request.resolutionDueAt, { requestId: request.id });
    await stopSweeping(await startWorker());

    await sleep(300);
    expect(await repositories.serviceRequests.findById(request.id)).toMatchObject({ escalationLevel: 0, overdue: false });

    const escalated = await waitUntilEscalated(request.id);
    expect(Date.now()).toBeGreaterThanOrEqual(request.resolutionDueAt.getTime());
    expect(escalated).toMatchObject({ escalationLevel: 1, overdue: true });
    expect(await escalationAudit(request.id)).toHaveLength(1);
  });

  it("escalates once when the same request's job is processed twice, one after the other or at once", async () => {
    const worker = await startWorker();
    const events = await openQueueEvents();
    const run = async (requestId: string, jobId: string) => {
      const job = await worker.queue.add(ESCALATE_REQUEST_JOB, { requestId }, { jobId });
      return job.waitUntilFinished(events, 15_000);
    };

    const one = await submitRequestDueIn(repositories, -60_000);
    expect(await run(one.id, escalationJobId(one.id))).toBe("escalated");
    // The finished job was removed, so the same id runs again.
    expect(await run(one.id, escalationJobId(one.id))).toBe("already-escalated");
    expect(await repositories.serviceRequests.findById(one.id)).toMatchObject({ escalationLevel: 1, overdue: true });
    expect(await escalationAudit(one.id)).toHaveLength(1);

    const two = await submitRequestDueIn(repositories, -60_000);
    const outcomes = await Promise.all([run(two.id, `${escalationJobId(two.id)}-a`), run(two.id, `${escalationJobId(two.id)}-b`)]);
    expect(outcomes.sort()).toEqual(["already-escalated", "escalated"]);
    expect(await escalationAudit(two.id)).toHaveLength(1);
  });

  it("escalates across a restart: a job scheduled before the stop fires in the next worker", async () => {
    const request = await submitRequestDueIn(repositories, 2_500);
    const scheduler = openScheduler();
    await scheduler.schedule(escalationJobId(request.id), request.resolutionDueAt, { requestId: request.id });
    const first = await startWorker();

    // The processes stop: worker, queue and scheduler close their connections; the job stays in Redis.
    await first.close();
    await scheduler.close();
    await sleep(300);

    const second = await startWorker();
    const events = await openQueueEvents();
    const completed = new Promise<unknown>((resolve) =>
      events.on("completed", ({ jobId, returnvalue }) => {
        if (jobId === escalationJobId(request.id)) resolve(returnvalue);
      }),
    );
    await stopSweeping(second);
    expect(await second.queue.getJobState(escalationJobId(request.id))).toBe("delayed");
    // Any sweep ran before the request fell due, and no more will run: what escalates it is the
    // delayed job scheduled before the restart.
    expect(await completed).toBe("escalated");
    expect(await repositories.serviceRequests.findById(request.id)).toMatchObject({ escalationLevel: 1, overdue: true });
    expect(await escalationAudit(request.id)).toHaveLength(1);
  });

  it("escalates across a restart when the request fell due while no worker ran", async () => {
    const request = await submitRequestDueIn(repositories, 800);
    const scheduler = openScheduler();
    await scheduler.schedule(escalationJobId(request.id), request.resolutionDueAt, { requestId: request.id });
    await scheduler.close();

    await sleep(1_500);
    expect(await repositories.serviceRequests.findById(request.id)).toMatchObject({ escalationLevel: 0 });

    const events = await openQueueEvents();
    const completed = new Promise<unknown>((resolve) =>
      events.on("completed", ({ jobId, returnvalue }) => {
        if (jobId === escalationJobId(request.id)) resolve(returnvalue);
      }),
    );
    await startWorker();
    // The start-up sweep and the overdue job race; either escalates, the other finds it done.
    expect(["escalated", "already-escalated"]).toContain(await completed);
    expect(await waitUntilEscalated(request.id)).toMatchObject({ escalationLevel: 1, overdue: true });
    expect(await escalationAudit(request.id)).toHaveLength(1);
  });

  it("does not escalate when the job was cancelled", async () => {
    const request = await submitRequestDueIn(repositories, 800);
    const scheduler = openScheduler();
    await scheduler.schedule(escalationJobId(request.id), request.resolutionDueAt, { requestId: request.id });
    const worker = await startWorker();
    await stopSweeping(worker);
    await scheduler.cancel(escalationJobId(request.id));

    await sleep(2_000);
    expect(await Job.fromId(worker.queue, escalationJobId(request.id))).toBeUndefined();
    expect(await repositories.serviceRequests.findById(request.id)).toMatchObject({ escalationLevel: 0, overdue: false });
    expect(await escalationAudit(request.id)).toHaveLength(0);
  });

  it("sweeps: escalates overdue requests that had no job, and leaves the rest alone", async () => {
    const overdue = [await submitRequestDueIn(repositories, -3_600_000), await submitRequestDueIn(repositories, -1_000)];
    const notDue = await submitRequestDueIn(repositories, 3_600_000);
    const worker = await startWorker({ sweepIntervalMs: 1_000, sweepBatchSize: 1 });
    expect(await worker.queue.getJobSchedulers()).toEqual([expect.objectContaining({ key: SWEEP_OVERDUE_SCHEDULER_ID, every: 1_000 })]);

    for (const request of overdue) {
      expect(await waitUntilEscalated(request.id)).toMatchObject({ escalationLevel: 1, overdue: true });
      expect(await escalationAudit(request.id)).toHaveLength(1);
    }
    await sleep(1_200);
    expect(await repositories.serviceRequests.findById(notDue.id)).toMatchObject({ escalationLevel: 0, overdue: false });
    for (const request of overdue) expect(await escalationAudit(request.id)).toHaveLength(1);
  });

  it("announces each escalation it makes, once, through the change-event publisher it is given", async () => {
    const events = createChangeEventPublisher({ config, logger: createLogger(config, "escalation-test") });
    // Opened before the worker, so closed after it: its last job may still publish.
    opened.push(events);
    const request = await submitRequestDueIn(repositories, -1_000);
    await startWorker({ sweepIntervalMs: 1_000, events });
    await waitUntilEscalated(request.id);
    // Another sweep comes and finds nothing to do: still one event.
    await sleep(1_200);
    const redis = createRedisConnection(config, { name: "escalation-test-events" });
    try {
      const found = await readChangeEvents(redis, { prefix: config.redisPrefix, after: "0-0" });
      expect(found.map(({ type, id, districtIds }) => ({ type, id, districtIds }))).toEqual([
        { type: "request.escalated", id: request.id, districtIds: expect.any(Array) },
      ]);
      expect(found[0]!.providerId ?? found[0]!.departmentId).toBeDefined();
    } finally {
      redis.disconnect();
    }
  });

  it("fails a job without a request id, or for a request that does not exist, at once; closes twice safely", async () => {
    const worker = await startWorker();
    const events = await openQueueEvents();
    const job = await worker.queue.add(ESCALATE_REQUEST_JOB, {} as { requestId: string });
    await expect(job.waitUntilFinished(events, 15_000)).rejects.toThrow(/has no requestId/);
    expect((await Job.fromId(worker.queue, job.id as string))?.attemptsMade).toBe(1);

    const missing = await worker.queue.add(ESCALATE_REQUEST_JOB, { requestId: "no-such-request" });
    await expect(missing.waitUntilFinished(events, 15_000)).rejects.toThrow(/no service request/);
    expect((await Job.fromId(worker.queue, missing.id as string))?.attemptsMade).toBe(1);
    await worker.close();
    await worker.close();
    await expect(worker.start()).rejects.toThrow(/was closed/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
