import { connectMongo, createLogger, findIdentityByApiKey, loadConfig, type MongoConnection } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCredentialsCli } from "./credentials.js";

let mongo: MongoConnection;

beforeAll(async () => {
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }, { warn: () => {} });
  mongo = await connectMongo(config, { logger: createLogger(config, "credentials-test") });
});

afterAll(async () => {
  await mongo?.close();
});

describe("situation-credentials api-key", () => {
  it("stores a hashed provider key that the gateway's lookup resolves, and prints it once", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCredentialsCli(["api-key", "--role", "provider", "--provider-id", "vodovod", "--label", "JKP Vodovod"], {
      env: { MONGODB_URI: mongo.uri },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const key = out[0]!;
    const identity = await findIdentityByApiKey(mongo.db("platform"), key);
    expect(identity).toMatchObject({ roles: ["provider"], providerId: "vodovod" });
    const stored = await mongo.db("platform").collection("apiKeys").findOne({ label: "JKP Vodovod" });
    expect(JSON.stringify(stored)).not.toContain(key);
  });
});
