/**
 * Ordered shutdown. Resources register their `close` where they are created; on SIGINT/SIGTERM (or
 * `run()`), they close in reverse order (stop taking work first, dependencies last), every step runs
 * even if one fails, and the whole shutdown is bounded in time.
 */
import type { Logger } from "./logging.js";

export interface Shutdown {
  /** Registers a step; steps run in reverse order of registration. */
  add(name: string, close: () => Promise<void> | void): void;
  /** Runs every step once; safe to call twice (the second call waits for the first). */
  run(reason: string): Promise<void>;
  /** Runs on SIGINT/SIGTERM, then exits 0; a second signal during shutdown exits 1 at once. Registers once. */
  listen(): void;
}

export interface ShutdownOptions {
  /** The whole shutdown's limit; steps that have not started by then are skipped and logged. Default 10 s. */
  timeoutMs?: number;
  /** For tests: where signals come from and how the process exits. */
  signalSource?: Pick<NodeJS.EventEmitter, "on">;
  exit?: (code: number) => void;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export function createShutdown(logger: Logger, options: ShutdownOptions = {}): Shutdown {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signalSource = options.signalSource ?? process;
  const steps: { name: string; close: () => Promise<void> | void }[] = [];
  let running: Promise<void> | undefined;
  let listening = false;

  const runSteps = async (reason: string) => {
    logger.info({ reason, steps: steps.length }, "shutting down");
    const deadline = Date.now() + timeoutMs;
    let outOfTime = false;
    for (const step of [...steps].reverse()) {
      const remaining = deadline - Date.now();
      if (outOfTime || remaining <= 0) {
        logger.error({ step: step.name, timeoutMs }, "shutdown time limit reached; step skipped");
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const outcome = await Promise.race([
          Promise.resolve()
            .then(step.close)
            .then(() => "closed" as const),
          new Promise<"timed-out">((resolve) => {
            timer = setTimeout(() => resolve("timed-out"), remaining);
          }),
        ]);
        if (outcome === "timed-out") {
          outOfTime = true;
          logger.error({ step: step.name, timeoutMs }, "shutdown step did not finish in time");
        } else {
          logger.debug({ step: step.name }, "closed");
        }
      } catch (error) {
        logger.error({ step: step.name, err: error }, "shutdown step failed");
      } finally {
        clearTimeout(timer);
      }
    }
    logger.info({ reason }, "shut down");
  };

  const run = (reason: string) => {
    running ??= runSteps(reason);
    return running;
  };

  const onSignal = (signal: string) => {
    if (running !== undefined) {
      logger.warn({ signal }, "second signal during shutdown; exiting now");
      exit(1);
      return;
    }
    void run(signal).then(() => exit(0));
  };

  return {
    add(name, close) {
      if (running !== undefined) logger.warn({ step: name }, "step added after shutdown started; it will not run");
      steps.push({ name, close });
    },
    run,
    listen() {
      if (listening) return;
      listening = true;
      signalSource.on("SIGINT", () => onSignal("SIGINT"));
      signalSource.on("SIGTERM", () => onSignal("SIGTERM"));
      // A process started by the launcher has an IPC channel to it: when the launcher is gone
      // (even killed with -9), the channel closes and the process stops instead of lingering.
      if (signalSource === process && process.channel) {
        process.channel.unref();
        process.once("disconnect", () => onSignal("parent exited"));
      }
    },
  };
}
