import { createServer, type Socket } from "node:net";
import { createLogger } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { compareStreamIds, createChangeStreamHub } from "./change-stream-hub.js";

const logger = createLogger({ logLevel: "silent" }, "change-stream-hub-test");

describe("the change stream hub", () => {
  it("closes at once even when Redis never answers", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const hub = createChangeStreamHub({ config: { redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: "unreachable" }, logger, blockMs: 200 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(hub.backlog("0-0", 10)).rejects.toThrow();
      const started = Date.now();
      await hub.close();
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("orders stream ids numerically, not as text", () => {
    expect(compareStreamIds("9-0", "10-0")).toBe(-1);
    expect(compareStreamIds("10-2", "10-10")).toBe(-1);
    expect(compareStreamIds("10-10", "10-10")).toBe(0);
    expect(compareStreamIds("11-0", "10-99")).toBe(1);
  });
});
