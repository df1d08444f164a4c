import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { startEmbeddedMongo } from "@situation/mongo-embedded";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logging.js";
import { connectMongo, redactCredentials } from "./mongo.js";

const logger = createLogger({ logLevel: "silent" }, "mongo-test");

describe("connectMongo", () => {
  it("starts the embedded server when MONGODB_URI is unset, and closes both safely twice", async () => {
    const connection = await connectMongo({ mongodbUri: undefined, mongoDataDir: undefined }, { logger });
    const databaseName = `platform-mongo-test-${randomUUID()}`;
    try {
      expect(connection.embedded).toBe(true);
      expect(connection.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
      const districts = connection.db(databaseName).collection<{ _id: string; name: string }>("districts");
      await districts.insertOne({ _id: "d1", name: "Крушевац" });
      expect(await districts.findOne({ _id: "d1" })).toEqual({ _id: "d1", name: "Крушевац" });
      await connection.db(databaseName).dropDatabase();
    } finally {
      await connection.close();
      await connection.close();
    }
    await expect(connection.db(databaseName).collection("districts").findOne({})).rejects.toThrow();
  });

  it("keeps data in MONGO_DATA_DIR across connections", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "platform-mongo-test-"));
    try {
      const first = await connectMongo({ mongodbUri: undefined, mongoDataDir: dataDir }, { logger });
      await first.db("durable").collection("notes").insertOne({ _id: "n1" as never, text: "kept" });
      await first.close();
      const second = await connectMongo({ mongodbUri: undefined, mongoDataDir: dataDir }, { logger });
      try {
        expect(await second.db("durable").collection("notes").findOne({})).toMatchObject({ text: "kept" });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("connects to MONGODB_URI when it is set, without starting a server of its own", async () => {
    const external = await startEmbeddedMongo({ logger });
    try {
      const connection = await connectMongo({ mongodbUri: external.uri, mongoDataDir: undefined }, { logger });
      try {
        expect(connection.embedded).toBe(false);
        expect(connection.uri).toBe(external.uri);
        expect(await connection.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
      } finally {
        await connection.close();
      }
      // The external server is still up after our connection closed.
      const again = await connectMongo({ mongodbUri: external.uri, mongoDataDir: undefined }, { logger });
      await again.close();
    } finally {
      await external.close();
    }
  });
});

describe("redactCredentials", () => {
  it("hides the password of a connection string", () => {
    expect(redactCredentials("mongodb://hub:s3cret@db1:27017/")).toBe("mongodb://hub:***@db1:27017/");
    expect(redactCredentials("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });
});
