/**
 * The built gateway (`dist/main.js`) as a node cluster of two workers, as an operator runs it: both
 * serve the one port, a killed worker is replaced, and SIGTERM stops every process cleanly. Needs the
 * build (`npm run build`), Redis, and no subgraphs: `{ __typename }` is answered by the gateway alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

interface LogLine {
  name?: string;
  msg?: string;
  pid?: number;
  [field: string]: unknown;
}

let child: ChildProcess;
let exited: Promise<number | NodeJS.Signals | null>;
let output = "";
let url: string;

function lines(): LogLine[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Worker pids in the order the primary reported them listening. */
const listeningWorkers = () => lines().filter((line) => line.msg === "gateway worker listening").map((line) => line.pid as number);

async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms. Output:\n${output.slice(-4_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True while the process exists and is not a zombie. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `{ __typename }` on a new connection each time: the primary hands out connections, not requests. */
function typename(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: "{ __typename }" });
    const call = request(url, { method: "POST", agent: false, timeout: 5_000, headers: { "content-type": "application/json" } }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(JSON.parse(text)));
      response.on("error", reject);
    });
    call.on("error", reject);
    call.on("timeout", () => call.destroy(new Error("no answer within 5 s")));
    call.end(body);
  });
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/graphql`;
  const unreachable = "http://127.0.0.1:1/graphql";
  child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      GATEWAY_PORT: String(port),
      GATEWAY_WORKERS: "2",
      REDIS_PREFIX: `cluster-${randomUUID()}`,
      CITY_URL: unreachable,
      SERVICES_URL: unreachable,
      BUSINESS_URL: unreachable,
      MONGODB_URI: "",
      MONGO_DATA_DIR: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  await eventually(() => lines().some((line) => line.name === "gateway-primary" && line.msg === "gateway ready"), 90_000, "cluster ready");
}, 100_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    for (const pid of listeningWorkers()) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  }
});

describe("the gateway as a node cluster", () => {
  it("serves the one port from both workers", async () => {
    const workers = listeningWorkers();
    expect(new Set(workers).size).toBe(2);
    for (let request = 0; request < 20; request += 1) expect(await typename()).toEqual({ data: { __typename: "Query" } });
    const served = new Set(lines().filter((line) => line.msg === "request" && line.path === "/graphql").map((line) => line.pid));
    expect([...served].sort()).toEqual([...workers].sort());
  });

  it("replaces a worker that is killed, and keeps serving meanwhile", async () => {
    const [victim, survivor] = listeningWorkers();
    process.kill(victim!, "SIGKILL");
    // A connection the primary hands over in the instant the worker dies is lost (node:cluster cannot
    // take it back); once the primary knows, the survivor alone answers until the replacement listens.
    await eventually(() => lines().some((line) => line.msg === "gateway worker died; restarting it"), 10_000, "the primary noticing");
    for (let request = 0; request < 4; request += 1) expect(await typename()).toEqual({ data: { __typename: "Query" } });
    await eventually(() => listeningWorkers().length === 3, 60_000, "a replacement worker");
    const replacement = listeningWorkers()[2]!;
    expect([victim, survivor]).not.toContain(replacement);
    expect(isRunning(victim!)).toBe(false);
    expect(lines().some((line) => line.msg === "gateway worker died; restarting it" && line.signal === "SIGKILL")).toBe(true);
    for (let request = 0; request < 10; request += 1) expect(await typename()).toEqual({ data: { __typename: "Query" } });
  }, 70_000);

  it("stops every worker and then itself on SIGTERM, exiting 0", async () => {
    const workers = listeningWorkers().filter(isRunning);
    expect(workers).toHaveLength(2);
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running 30 s after SIGTERM:\n${output.slice(-4_000)}`)), 30_000);
      }),
    ]);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(workers.filter(isRunning)).toEqual([]);
    const stopped = lines().filter((line) => line.name === "gateway" && line.msg === "gateway stopped").map((line) => line.pid);
    expect(stopped.sort()).toEqual([...workers].sort());
  }, 40_000);
});
