/** The embedded store in a child process, for tests that measure this process's memory without the store's data in it. */
import { spawn, type ChildProcess } from "node:child_process";

export interface StoreProcess {
  uri: string;
  close(): Promise<void>;
}

const SCRIPT = `
import { startEmbeddedMongo } from "@situation/mongo-embedded";
const store = await startEmbeddedMongo({ logger: { info() {}, warn() {}, error() {}, debug() {}, child() { return this; } } });
process.stdout.write(store.uri + "\\n");
process.on("SIGTERM", async () => { await store.close(); process.exit(0); });
// Never outlive the test process, even when it dies without closing this one.
const parent = Number(process.argv[1]);
setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 1000).unref();
`;

export async function startStoreProcess(): Promise<StoreProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", SCRIPT, String(process.pid)], { stdio: ["ignore", "pipe", "inherit"] });
  const uri = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.once("exit", (code) => reject(new Error(`the store process exited with ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = output.split("\n").find((candidate) => candidate.startsWith("mongodb://"));
      if (line) resolve(line.trim());
    });
  });
  let closing: Promise<void> | undefined;
  return {
    uri,
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
      return closing;
    },
  };
}
