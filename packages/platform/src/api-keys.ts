/**
 * API keys of providers and businesses. Only a sha256 hash is stored, so a leaked database does not
 * leak usable keys; the short prefix lets an operator recognise a key in a list without revealing it.
 */
import { createHash, randomBytes } from "node:crypto";
import { ObjectId, type Db } from "mongodb";
import { ROLES, type Identity, type Role } from "./identity.js";

export const PLATFORM_DATABASE = "platform";
export const API_KEYS_COLLECTION = "apiKeys";
export const API_KEY_PREFIX = "shk_";

export interface ApiKeyDocument {
  _id: ObjectId;
  /** sha256 hex of the whole key; the key itself is never stored. */
  hash: string;
  /** The first 8 characters after `shk_`, for recognising a key in a list. */
  prefix: string;
  roles: Role[];
  providerId?: string;
  businessId?: string;
  label: string;
  createdAt: Date;
  revokedAt?: Date;
}

export interface ApiKeyOwner {
  roles: Role[];
  providerId?: string;
  businessId?: string;
  label: string;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Creates the unique index on `hash`; idempotent, so every writer may call it. */
export async function ensureApiKeyIndexes(db: Db): Promise<void> {
  await db.collection<ApiKeyDocument>(API_KEYS_COLLECTION).createIndex({ hash: 1 }, { unique: true, name: "hash_unique" });
}

/** Returns the key once, to hand to its owner; it cannot be recovered later. */
export async function createApiKey(db: Db, owner: ApiKeyOwner): Promise<{ key: string; id: string }> {
  for (const role of owner.roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new TypeError(`unknown role ${JSON.stringify(role)}`);
  }
  if (owner.roles.includes("provider") && !owner.providerId) throw new TypeError("a provider key needs providerId");
  if (owner.roles.includes("business") && !owner.businessId) throw new TypeError("a business key needs businessId");
  await ensureApiKeyIndexes(db);
  const secretPart = randomBytes(32).toString("base64url");
  const key = `${API_KEY_PREFIX}${secretPart}`;
  const document: ApiKeyDocument = {
    _id: new ObjectId(),
    hash: hashApiKey(key),
    prefix: secretPart.slice(0, 8),
    roles: [...owner.roles],
    ...(owner.providerId === undefined ? {} : { providerId: owner.providerId }),
    ...(owner.businessId === undefined ? {} : { businessId: owner.businessId }),
    label: owner.label,
    createdAt: new Date(),
  };
  await db.collection<ApiKeyDocument>(API_KEYS_COLLECTION).insertOne(document);
  return { key, id: document._id.toHexString() };
}

/** The identity behind a key, or undefined for an unknown, malformed or revoked key. */
export async function findIdentityByApiKey(db: Db, key: string): Promise<Identity | undefined> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length <= API_KEY_PREFIX.length) return undefined;
  const document = await db.collection<ApiKeyDocument>(API_KEYS_COLLECTION).findOne({ hash: hashApiKey(key) });
  if (document === null || document.revokedAt !== undefined && document.revokedAt !== null) return undefined;
  return {
    subject: `api-key:${document._id.toHexString()}`,
    roles: document.roles.filter((role): role is Role => (ROLES as readonly string[]).includes(role)),
    ...(document.providerId === undefined ? {} : { providerId: document.providerId }),
    ...(document.businessId === undefined ? {} : { businessId: document.businessId }),
  };
}

/** Marks a key revoked; returns whether a live key with that id existed. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  if (!ObjectId.isValid(id)) return false;
  const result = await db
    .collection<ApiKeyDocument>(API_KEYS_COLLECTION)
    .updateOne({ _id: new ObjectId(id), revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  return result.modifiedCount === 1;
}
