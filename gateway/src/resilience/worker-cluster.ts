/**
 * Several gateway processes on one machine (`GATEWAY_WORKERS`), sharing one port through node:cluster
 * (the primary accepts connections and hands them round-robin to the workers). The primary serves
 * nothing itself: it starts the workers, restarts one that dies, with a delay that doubles while it
 * keeps dying soon after start so that a crash loop does not spin, and on shutdown asks every worker to
 * stop (each runs its own ordered shutdown) and waits for them, killing one that overstays.
 *
 * Workers keep no state that another needs: rate limits and the APQ cache are in Redis, live events
 * are read from Redis by each worker, API keys are in MongoDB. The same holds for instances on several
 * machines behind a load balancer.
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "@situation/platform";

/** What the primary sends a worker to stop it; the worker answers by shutting down and exiting. */
export const WORKER_SHUTDOWN_MESSAGE = "situation:gateway-shutdown";

export interface WorkerClusterOptions {
  workers: number;
  logger: Logger;
  /** Added to each worker's environment (the primary's own is inherited). */
  env?: Readonly<Record<string, string>>;
  /** How long a worker may take to stop before it is killed. Default 15 s. */
  stopTimeoutMs?: number;
  /** First restart delay after a crash; doubles with each crash in a row. Default 500 ms. */
  restartDelayMs?: number;
  /** Longest restart delay. Default 30 s. */
  maxRestartDelayMs?: number;
  /** A worker that ran this long before dying is not part of a crash loop. Default 30 s. */
  stableAfterMs?: number;
}

export interface WorkerCluster {
  /** Resolves once every worker listens; rejects if a worker dies before any ever listened. */
  readonly ready: Promise<void>;
  /** The workers' process ids, current ones only. */
  pids(): number[];
  /** Stops every worker and waits until all have exited; safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** One worker position: it keeps its crash count across the processes that fill it. */
interface Slot {
  index: number;
  worker: Worker | undefined;
  startedAt: number;
  crashesInARow: number;
  listening: boolean;
  restartTimer: NodeJS.Timeout | undefined;
}

export function startWorkerCluster(options: WorkerClusterOptions): WorkerCluster {
  if (!cluster.isPrimary) throw new Error("startWorkerCluster runs in the cluster's primary process only");
  const { logger } = options;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const restartDelayMs = options.restartDelayMs ?? 500;
  const maxRestartDelayMs = options.maxRestartDelayMs ?? 30_000;
  const stableAfterMs = options.stableAfterMs ?? 30_000;

  let stopping = false;
  let everListened = false;
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A rejection nobody awaited yet would crash the primary; the caller awaits `ready` right away.
  ready.catch(() => undefined);
  const exits = new Map<Worker, Promise<void>>();

  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    crashesInARow: 0,
    listening: false,
    restartTimer: undefined,
  }));

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    if (stopping) return;
    const worker = cluster.fork({ ...options.env });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listening = false;
    exits.set(worker, new Promise<void>((resolve) => worker.once("exit", () => resolve())));
    worker.once("listening", () => {
      slot.listening = true;
      everListened = true;
      logger.info({ worker: slot.index, pid: worker.process.pid }, "gateway worker listening");
      if (slots.every((each) => each.listening)) resolveReady();
    });
    worker.once("exit", (code, signal) => {
      exits.delete(worker);
      if (slot.worker === worker) slot.worker = undefined;
      if (stopping) return;
      if (!everListened) {
        // Nothing ever started: a configuration or dependency problem that a restart will not fix.
        rejectReady(new Error(`gateway worker ${slot.index} exited (${signal ?? code}) before listening`));
        return;
      }
      const ranMs = Date.now() - slot.startedAt;
      slot.crashesInARow = ranMs >= stableAfterMs ? 1 : slot.crashesInARow + 1;
      const delayMs = Math.min(restartDelayMs * 2 ** (slot.crashesInARow - 1), maxRestartDelayMs);
      logger.error(
        { worker: slot.index, pid: worker.process.pid, code, signal, ranMs, crashesInARow: slot.crashesInARow, restartInMs: delayMs },
        "gateway worker died; restarting it",
      );
      slot.restartTimer = setTimeout(() => fork(slot), delayMs);
    });
  };

  for (const slot of slots) fork(slot);

  const stopWorker = async (worker: Worker) => {
    const exited = exits.get(worker);
    if (exited === undefined) return;
    if (worker.isConnected()) {
      worker.send({ type: WORKER_SHUTDOWN_MESSAGE }, (error: Error | null) => {
        if (error !== null) worker.process.kill("SIGTERM");
      });
    } else {
      worker.process.kill("SIGTERM");
    }
    let timer: NodeJS.Timeout | undefined;
    const overstayed = new Promise<"overstayed">((resolve) => {
      timer = setTimeout(() => resolve("overstayed"), stopTimeoutMs);
    });
    if ((await Promise.race([exited, overstayed])) === "overstayed") {
      logger.error({ pid: worker.process.pid, stopTimeoutMs }, "gateway worker did not stop in time; killing it");
      worker.process.kill("SIGKILL");
      await exited;
    }
    clearTimeout(timer);
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping = true;
      rejectReady(new Error("the gateway cluster was stopped before it was ready"));
      for (const slot of slots) clearTimeout(slot.restartTimer);
      await Promise.all([...exits.keys()].map(stopWorker));
      logger.info("gateway workers stopped");
    })());

  return {
    ready,
    pids: () => slots.flatMap((slot) => (slot.worker?.process.pid === undefined ? [] : [slot.worker.process.pid])),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * In a worker: stops when the primary asks. `shutdown` is the worker's ordered shutdown (platform
 * createShutdown), which also stops the worker if the primary dies (its IPC channel closes).
 */
export function stopWhenPrimaryAsks(shutdown: { run(reason: string): Promise<void> }, exit: (code: number) => void): void {
  process.on("message", (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== WORKER_SHUTDOWN_MESSAGE) return;
    void shutdown.run("the cluster primary is stopping").then(() => exit(0));
  });
}
