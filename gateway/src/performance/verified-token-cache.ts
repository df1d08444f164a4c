/**
 * Verified bearer tokens, remembered until shortly before they expire. Verifying one (jose, WebCrypto
 * HMAC and claim checks) costs about 130 µs of CPU, and a client sends the same token with every
 * request for as long as it lives. Only successes are remembered, keyed by the token's SHA-256 (the
 * cache holds no usable credential); a rejected token is verified again each time it is presented,
 * so its error is always the current one, and a remembered token is dropped before its `exp`, after
 * which verification itself rejects it as expired.
 */
import { createHash } from "node:crypto";
import type { Identity } from "@situation/platform";
import { BoundedLru } from "./bounded-lru.js";

export interface VerifiedTokenCacheOptions {
  /** The full check: signature, issuer, audience, expiry, claims; throws for a rejected token. */
  verify: (token: string) => Promise<Identity>;
  /** Forgotten this long before the token's `exp`, so a cached answer never outlives the token. */
  marginMs?: number;
  /** Distinct tokens remembered; the least recently presented is forgotten first. */
  maxEntries?: number;
  /** Milliseconds since the epoch; tests pass their own. */
  now?: () => number;
}

export type VerifyToken = (token: string) => Promise<Identity>;

interface Entry {
  identity: Identity;
  /** Milliseconds since the epoch after which the token is verified again. */
  validUntil: number;
}

export const DEFAULT_EXPIRY_MARGIN_MS = 1_000;
export const DEFAULT_VERIFIED_TOKEN_ENTRIES = 10_000;

export function createVerifiedTokenCache(options: VerifiedTokenCacheOptions): VerifyToken {
  const marginMs = options.marginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
  const now = options.now ?? Date.now;
  const entries = new BoundedLru<string, Entry>(options.maxEntries ?? DEFAULT_VERIFIED_TOKEN_ENTRIES);
  return async (token) => {
    const key = createHash("sha256").update(token).digest("base64url");
    const cached = entries.get(key);
    if (cached !== undefined) {
      if (now() < cached.validUntil) return copyOf(cached.identity);
      entries.delete(key);
    }
    const identity = await options.verify(token);
    const expiresAt = expiryOf(token);
    // A token without a readable `exp` is not remembered: verification required one, so this is only defensive.
    if (expiresAt !== undefined) {
      const validUntil = expiresAt * 1000 - marginMs;
      if (now() < validUntil) entries.set(key, { identity: copyOf(identity), validUntil });
    }
    return identity;
  };
}

/**
 * The `exp` claim of a token whose signature was just verified, read from its payload segment: the
 * verifier returns the identity alone, and after verification the payload is the issuer's own.
 */
function expiryOf(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Each request gets its own identity object: nothing downstream can change what the next one sees. */
function copyOf(identity: Identity): Identity {
  return {
    subject: identity.subject,
    roles: [...identity.roles],
    ...(identity.providerId === undefined ? {} : { providerId: identity.providerId }),
    ...(identity.businessId === undefined ? {} : { businessId: identity.businessId }),
  };
}
