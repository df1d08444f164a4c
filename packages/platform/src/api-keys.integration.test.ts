import { randomUUID } from "node:crypto";
import type { Db } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_KEYS_COLLECTION, createApiKey, findIdentityByApiKey, hashApiKey, revokeApiKey, type ApiKeyDocument } from "./api-keys.js";
import { createLogger } from "./logging.js";
import { connectMongo, type MongoConnection } from "./mongo.js";

let connection: MongoConnection;
let db: Db;

beforeAll(async () => {
  connection = await connectMongo({ mongodbUri: undefined, mongoDataDir: undefined }, { logger: createLogger({ logLevel: "silent" }, "api-keys-test") });
});

afterAll(async () => {
  await connection?.close();
});

beforeEach(async (context) => {
  // One database per test, dropped afterwards: tests never see each other's keys.
  db = connection.db(`platform-api-keys-test-${randomUUID()}`);
  context.onTestFinished(async () => {
    await db.dropDatabase();
  });
});

describe("API keys", () => {
  it("creates a key in the documented format and finds its identity", async () => {
    const { key, id } = await createApiKey(db, { roles: ["provider"], providerId: "jkp-krusevac", label: "water utility feed" });
    expect(key).toMatch(/^shk_[A-Za-z0-9_-]{43}$/);
    expect(await findIdentityByApiKey(db, key)).toEqual({ subject: `api-key:${id}`, roles: ["provider"], providerId: "jkp-krusevac" });
  });

  it("stores only the hash and a short prefix, never the key", async () => {
    const { key } = await createApiKey(db, { roles: ["business"], businessId: "b-42", label: "bakery" });
    const [stored] = await db.collection<ApiKeyDocument>(API_KEYS_COLLECTION).find({}).toArray();
    expect(stored?.hash).toBe(hashApiKey(key));
    expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.prefix).toBe(key.slice(4, 12));
    expect(stored?.label).toBe("bakery");
    expect(stored?.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(stored)).not.toContain(key.slice(4));
  });

  it("has a unique index on the hash", async () => {
    await createApiKey(db, { roles: ["admin"], label: "ops" });
    const indexes = await db.collection(API_KEYS_COLLECTION).indexes();
    expect(indexes.find((index) => index.key.hash === 1)).toMatchObject({ unique: true });
    const [stored] = await db.collection<ApiKeyDocument>(API_KEYS_COLLECTION).find({}).toArray();
    await expect(
      db.collection(API_KEYS_COLLECTION).insertOne({ ...stored, _id: undefined as never, label: "copy" }),
    ).rejects.toThrow(/duplicate key/i);
  });

  it("finds nothing for a revoked key", async () => {
    const { key, id } = await createApiKey(db, { roles: ["business"], businessId: "b-7", label: "shop" });
    expect(await revokeApiKey(db, id)).toBe(true);
    expect(await revokeApiKey(db, id)).toBe(false);
    expect(await findIdentityByApiKey(db, key)).toBeUndefined();
  });

  it("finds nothing for unknown or malformed keys", async () => {
    await createApiKey(db, { roles: ["admin"], label: "ops" });
    expect(await findIdentityByApiKey(db, `shk_${"A".repeat(43)}`)).toBeUndefined();
    expect(await findIdentityByApiKey(db, "not-a-key")).toBeUndefined();
    expect(await findIdentityByApiKey(db, "shk_")).toBeUndefined();
  });

  it("refuses a scoped role without its scope", async () => {
    await expect(createApiKey(db, { roles: ["provider"], label: "no provider" })).rejects.toThrow(/providerId/);
  });
});
