import { connectMongo, createLogger, type MongoConnection } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServicesServer } from "./server.js";
import { testConfig, uniqueDatabaseName } from "./test-support/services-test-stack.js";

describe("createServicesServer", () => {
  const config = testConfig();
  const logger = createLogger(config, "server-test");
  let mongo: MongoConnection;

  beforeAll(async () => {
    mongo = await connectMongo(config, { logger });
  });
  afterAll(async () => {
    await mongo?.close();
  });

  const create = () => createServicesServer({ config, mongo, logger, port: 0, databaseName: uniqueDatabaseName() });

  it("starts once, answers /health, and closes safely twice", async () => {
    const server = create();
    const url = await server.start();
    expect(await server.start()).toBe(url);
    const health = await fetch(new URL("/health", url));
    expect(await health.json()).toEqual({ status: "ok", name: "services" });
    await server.close();
    await server.close();
    expect(server.url).toBeUndefined();
    await expect(fetch(url)).rejects.toThrow();
    await expect(server.start()).rejects.toThrow(/closed/);
  });

  it("closes before start, and while starting without leaving a listener behind", async () => {
    await create().close();
    const server = create();
    const startOutcome = expect(server.start()).rejects.toThrow(/closed while starting/);
    await server.close();
    await startOutcome;
  });
});
