import { Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createDelayedJobQueue, type DelayedJobQueue } from "./delayed-jobs.js";

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const QUEUE = "delayed-jobs-test";

describe("createDelayedJobQueue (real Redis)", () => {
  let prefix: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  function open(): { delayed: DelayedJobQueue; inspect: Queue } {
    prefix = `test-platform-${randomUUID().slice(0, 8)}`;
    const config = { redisUrl, redisPrefix: prefix };
    const delayed = createDelayedJobQueue({ config, queueName: QUEUE, jobName: "remind" });
    const inspect = new Queue(QUEUE, { connection: { url: redisUrl }, prefix });
    cleanups.push(
      () => delayed.close(),
      () => inspect.close(),
    );
    return { delayed, inspect };
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it("adds a delayed job under the given id, prefix and name, with the delay until the due time", async () => {
    const { delayed, inspect } = open();
    const before = Date.now();
    await delayed.schedule("remind-a", new Date(before + 60_000), { thing: "a" });
    const job = await Job.fromId(inspect, "remind-a");
    expect(job).toMatchObject({ name: "remind", data: { thing: "a" } });
    expect(await job!.getState()).toBe("delayed");
    expect(job!.timestamp + job!.delay).toBeGreaterThanOrEqual(before + 60_000 - 50);
    expect(job!.timestamp + job!.delay).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("moves a job scheduled again under the same id, keeping one job with the latest time and data", async () => {
    const { delayed, inspect } = open();
    await delayed.schedule("remind-b", new Date(Date.now() + 60_000), { version: 1 });
    await delayed.schedule("remind-b", new Date(Date.now() + 120_000), { version: 2 });
    expect(await inspect.getDelayedCount()).toBe(1);
    const job = await Job.fromId(inspect, "remind-b");
    expect(job!.data).toEqual({ version: 2 });
    expect(job!.timestamp + job!.delay).toBeGreaterThan(Date.now() + 100_000);

    // Moved earlier, into the past: due at once.
    await delayed.schedule("remind-b", new Date(Date.now() - 5_000), { version: 3 });
    const due = await Job.fromId(inspect, "remind-b");
    expect(due!.delay).toBe(0);
    expect(await due!.getState()).toBe("waiting");
    expect(await inspect.getDelayedCount()).toBe(0);
  });

  it("cancels a delayed job, and cancelling an unknown id is no error", async () => {
    const { delayed, inspect } = open();
    await delayed.schedule("remind-c", new Date(Date.now() + 60_000), {});
    await delayed.cancel("remind-c");
    expect(await Job.fromId(inspect, "remind-c")).toBeUndefined();
    await expect(delayed.cancel("never-scheduled")).resolves.toBeUndefined();
  });

  it("hands the job to a worker at its due time, then frees the id for another schedule", async () => {
    const { delayed } = open();
    const processed: { id: string | undefined; at: number }[] = [];
    const worker = new Worker(
      QUEUE,
      async (job) => {
        processed.push({ id: job.id, at: Date.now() });
      },
      { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix },
    );
    cleanups.unshift(() => worker.close());
    await worker.waitUntilReady();

    const due = Date.now() + 800;
    await delayed.schedule("remind-d", new Date(due), {});
    await waitFor(() => processed.length === 1);
    expect(processed[0]!.id).toBe("remind-d");
    expect(processed[0]!.at).toBeGreaterThanOrEqual(due - 20);

    await delayed.schedule("remind-d", new Date(), {});
    await waitFor(() => processed.length === 2);
  });

  it("rejects an invalid date and use after close; closes twice safely", async () => {
    const { delayed } = open();
    await expect(delayed.schedule("remind-e", new Date(Number.NaN), {})).rejects.toThrow(/invalid due time/);
    await delayed.close();
    await delayed.close();
    await expect(delayed.schedule("remind-e", new Date(), {})).rejects.toThrow(/was closed/);
  });

  it("leaves a caller's connection open", async () => {
    prefix = `test-platform-${randomUUID().slice(0, 8)}`;
    const connection = new Redis(redisUrl);
    const delayed = createDelayedJobQueue({ config: { redisUrl, redisPrefix: prefix }, queueName: QUEUE, connection });
    await delayed.schedule("remind-f", new Date(Date.now() + 60_000), {});
    await delayed.close();
    expect(await connection.ping()).toBe("PONG");
    connection.disconnect();
  });

  it("refuses a job id BullMQ cannot store (a single ':')", async () => {
    const { delayed } = open();
    await expect(delayed.schedule("escalate:123e4567", new Date(), {})).rejects.toThrow(/cannot contain :/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
