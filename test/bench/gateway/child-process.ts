/**
 * Every gateway and subgraph of the benchmark runs in a process of its own, so that none shares an event
 * loop with another or with the load generator. A child announces its URL over the IPC channel when it is
 * ready, and stops when asked (SIGTERM) or when the channel closes (the runner died, even by `kill -9`).
 */
import { fork, type ChildProcess } from "node:child_process";

export interface ReadyMessage {
  type: "ready";
  url: string;
  /** What the child runs, e.g. the package versions it loaded. */
  description?: string;
}

const TAIL_LINES = 40;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** In the child: tell the runner where it listens. */
export function announceReady(message: Omit<ReadyMessage, "type">): void {
  if (process.send === undefined) {
    console.log(JSON.stringify({ type: "ready", ...message }));
    return;
  }
  process.send({ type: "ready", ...message } satisfies ReadyMessage);
}

/** In the child: close once on SIGTERM/SIGINT or when the runner goes away, then exit. */
export function stopWith(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop);
}

/** In the child: report a start-up failure and exit non-zero (the runner shows the output). */
export function failStart(error: unknown): void {
  console.error(error);
  process.exit(1);
}

export interface RunningChild {
  name: string;
  pid: number;
  ready: ReadyMessage;
  /** SIGTERM, then SIGKILL after a grace period; safe twice. */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  name: string;
  module: URL;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  execArgv?: readonly string[];
  cwd?: string;
  startTimeoutMs?: number;
  /**
   * For a program that cannot announce itself (a third-party CLI): it is ready once `probe` answers
   * 2xx, and it serves GraphQL at `url`.
   */
  httpReadiness?: { probe: string; url: string };
}

export class ChildStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChildStartError";
  }
}

export function startChild(options: StartChildOptions): Promise<RunningChild> {
  const child = fork(options.module, [...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    execArgv: [...(options.execArgv ?? ["--enable-source-maps"])],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // Output is kept, not shown: a gateway logging under load would drown the figures; it is printed when
    // the child fails to start or dies during the run.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const output = () => (tail.length === 0 ? "(no output)" : tail.join("\n"));

  return new Promise<RunningChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new ChildStartError(`${options.name} did not start within ${options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms:\n${output()}`));
    }, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new ChildStartError(`${options.name} exited during start-up (${signal ?? `code ${code}`}):\n${output()}`));
    };
    child.once("exit", onExit);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new ChildStartError(`${options.name} could not be started`, { cause: error }));
    });
    const onReady = (message: ReadyMessage) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      let stopping: Promise<void> | undefined;
      child.once("exit", (code, signal) => {
        if (!stopping) console.error(`\n${options.name} (pid ${child.pid}) died (${signal ?? `code ${code}`}):\n${output()}`);
      });
      resolve({
        name: options.name,
        pid: child.pid ?? -1,
        ready: message,
        stop: () => (stopping ??= stopProcess(child)),
      });
    };
    child.on("message", (message: unknown) => {
      if (isReadyMessage(message)) onReady(message);
    });
    const readiness = options.httpReadiness;
    if (readiness !== undefined) {
      void pollUntilReady(readiness.probe, child).then((ready) => {
        if (ready) onReady({ type: "ready", url: readiness.url });
      });
    }
  });
}

const PROBE_INTERVAL_MS = 200;

async function pollUntilReady(probe: string, child: ChildProcess): Promise<boolean> {
  while (child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(probe, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  return false;
}

function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === "object" && message !== null && (message as ReadyMessage).type === "ready" && typeof (message as ReadyMessage).url === "string";
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
