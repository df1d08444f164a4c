/**
 * `npm start` as a user runs it: `node packages/launcher/dist/main.js` in its own process, watched
 * through its output, stopped with Ctrl-C (SIGINT), and its process tree read from /proc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { findRepositoryRoot } from "@situation/platform";

export const LAUNCHER_MAIN = join(findRepositoryRoot(), "packages", "launcher", "dist", "main.js");
export const READY_LINE = "Situation Hub is running";

export interface LaunchedPlatform {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What the launcher printed: the gateway, health and MongoDB addresses. */
  readonly gatewayUrl: string;
  readonly healthUrl: string;
  readonly mongoUri: string;
  /** Everything written to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the launcher has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/** Ports the OS says are free now: all held open at once, so the answers differ, then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      servers.push(server);
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("a TCP server has no port");
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Starts the launcher and resolves once it prints that the platform is running; rejects if it exits first. */
export async function startLauncher(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<LaunchedPlatform> {
  const child = spawn(process.execPath, [LAUNCHER_MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  // Read both streams to the end: a full pipe would block the launcher and its children (they share it).
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal));
  });
  if (child.pid === undefined) throw new Error(`could not start ${LAUNCHER_MAIN}`);

  const deadline = Date.now() + timeoutMs;
  let exitCode: number | NodeJS.Signals | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (!output.includes(READY_LINE)) {
    if (exitCode !== undefined) throw new Error(`the launcher exited (${exitCode}) before it was running:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the launcher did not print "${READY_LINE}" within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The ready block is written in one piece, so its lines are all there once the first one is.
  const printed = (label: string, pattern: RegExp) => {
    const match = new RegExp(`${label}\\s+(${pattern.source})`).exec(output);
    if (match === null) throw new Error(`the launcher printed no ${label} address:\n${output}`);
    return match[1]!;
  };
  return {
    child,
    pid: child.pid,
    gatewayUrl: printed("GraphQL gateway", /http:\/\/\S+/),
    healthUrl: printed("health", /http:\/\/\S+/),
    mongoUri: printed("MongoDB", /mongodb:\/\/\S+/),
    output: () => output,
    exited,
  };
}

/** Resolves with the exit code, or rejects when the process is still running after `timeoutMs`. */
export async function exitWithin(platform: LaunchedPlatform, timeoutMs: number): Promise<number | NodeJS.Signals | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the launcher was still running ${timeoutMs} ms after SIGINT:\n${platform.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([platform.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every process below `pid` (children, their children, ...), from each process's parent in /proc. */
export function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat is "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(afterName[1]));
    } catch {
      // The process ended while the list was read.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, childParent] of parentOf) {
      if (childParent === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
