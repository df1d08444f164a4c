import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "./logging.js";
import { createShutdown } from "./shutdown.js";

function quietLogger() {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      messages.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { logger: createLogger({ logLevel: "debug" }, "shutdown-test", destination), messages };
}

describe("createShutdown", () => {
  it("closes in reverse order of registration", async () => {
    const closed: string[] = [];
    const shutdown = createShutdown(quietLogger().logger);
    shutdown.add("mongo", () => void closed.push("mongo"));
    shutdown.add("redis", async () => void closed.push("redis"));
    shutdown.add("http", () => void closed.push("http"));
    await shutdown.run("test");
    expect(closed).toEqual(["http", "redis", "mongo"]);
  });

  it("runs every step even when one fails, and logs the failure", async () => {
    const closed: string[] = [];
    const { logger, messages } = quietLogger();
    const shutdown = createShutdown(logger);
    shutdown.add("first", () => void closed.push("first"));
    shutdown.add("failing", () => {
      throw new Error("socket already closed");
    });
    shutdown.add("last", () => void closed.push("last"));
    await shutdown.run("test");
    expect(closed).toEqual(["last", "first"]);
    expect(messages.join("")).toContain("socket already closed");
  });

  it("is safe to run twice: each step runs once", async () => {
    const close = vi.fn();
    const shutdown = createShutdown(quietLogger().logger);
    shutdown.add("once", close);
    await Promise.all([shutdown.run("a"), shutdown.run("b")]);
    await shutdown.run("c");
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("finishes within the time limit when a step hangs", async () => {
    const { logger, messages } = quietLogger();
    const shutdown = createShutdown(logger, { timeoutMs: 100 });
    const after = vi.fn();
    shutdown.add("after", after);
    shutdown.add("hanging", () => new Promise<void>(() => {}));
    const started = Date.now();
    await shutdown.run("test");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(messages.join("")).toContain("hanging");
    // The hanging step used up the time; the remaining one is skipped and logged.
    expect(after).not.toHaveBeenCalled();
    expect(messages.join("")).toContain("step skipped");
  });

  it("on a signal, runs and exits 0; a second signal exits 1 at once; registers only once", async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    let release: () => void = () => {};
    const shutdown = createShutdown(quietLogger().logger, { signalSource: signals, exit });
    shutdown.add("slow", () => new Promise<void>((resolve) => (release = resolve)));
    shutdown.listen();
    shutdown.listen();
    expect(signals.listenerCount("SIGTERM")).toBe(1);
    expect(signals.listenerCount("SIGINT")).toBe(1);

    signals.emit("SIGTERM");
    await new Promise((resolve) => setImmediate(resolve));
    expect(exit).not.toHaveBeenCalled();
    signals.emit("SIGINT");
    expect(exit).toHaveBeenCalledWith(1);

    release();
    await shutdown.run("wait");
    await new Promise((resolve) => setImmediate(resolve));
    expect(exit).toHaveBeenLastCalledWith(0);
  });

  it("does not exit when run() is called directly", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown(quietLogger().logger, { signalSource: new EventEmitter(), exit });
    shutdown.listen();
    await shutdown.run("tests done");
    expect(exit).not.toHaveBeenCalled();
  });
});
