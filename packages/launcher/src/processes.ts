/**
 * Child processes of the platform: started with the environment they need, watched, and stopped
 * with SIGTERM (then SIGKILL past a deadline) so that each closes its own connections in order.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "@situation/platform";

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

export function startServiceProcess(
  name: string,
  entry: string,
  options: { env: NodeJS.ProcessEnv; logger: Logger; onUnexpectedExit: (name: string, code: number | null) => void },
): ServiceProcess {
  // Its own process group, so Ctrl-C reaches only the launcher, which stops the services in order;
  // the IPC channel lets the child notice when the launcher is gone (platform createShutdown).
  const child = spawn(process.execPath, ["--enable-source-maps", entry], {
    env: options.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    detached: true,
  });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      if (!stopping) options.onUnexpectedExit(name, code ?? (signal ? 128 : null));
      resolve(code);
    });
  });
  options.logger.debug({ service: name, pid: child.pid }, "started");
  return {
    name,
    child,
    exited,
    async stop(timeoutMs = 10_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const deadline = setTimeout(() => {
        options.logger.warn({ service: name }, `did not stop within ${timeoutMs} ms; killing it`);
        child.kill("SIGKILL");
      }, timeoutMs);
      await exited;
      clearTimeout(deadline);
    },
  };
}

/** Polls a health URL until it answers 200, the process exits, or the time is up. */
export async function waitUntilHealthy(service: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${service.name} exited before it became healthy`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${service.name} was not healthy at ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
