/**
 * Signed identity tokens, reused per caller. Signing one (jose, WebCrypto HMAC) costs about 150 µs of
 * CPU, about a tenth of what a simple request costs the gateway, and the same few callers send most
 * requests. A token is reused only for the first part of its lifetime (30 of 60 s by default), so
 * every token a subgraph receives still has at least the rest of it to live, longer than any
 * subgraph call may take.
 */
import { DEFAULT_IDENTITY_TTL_SECONDS, signIdentity, type Identity } from "@situation/platform";
import { BoundedLru } from "./bounded-lru.js";

export interface IdentityTokenCacheOptions {
  identitySecret: string;
  /** Lifetime of each signed token. */
  ttlSeconds?: number;
  /** How long a signed token is handed out again; must leave part of `ttlSeconds` for the calls. */
  reuseForMs?: number;
  /** Distinct callers remembered; the least recently seen is forgotten first. */
  maxEntries?: number;
  /** Milliseconds since the epoch; tests pass their own. */
  now?: () => number;
  /** Signs one token; defaults to the platform's `signIdentity` with `identitySecret`. */
  sign?: (identity: Identity, ttlSeconds: number) => Promise<string>;
}

export interface IdentityTokenCache {
  /** A token for `identity`, signed now or at most `reuseForMs` ago. */
  tokenFor(identity: Identity): Promise<string>;
}

interface Entry {
  token: Promise<string>;
  signedAt: number;
}

export const DEFAULT_TOKEN_REUSE_MS = 30_000;
export const DEFAULT_IDENTITY_CACHE_ENTRIES = 10_000;

export function createIdentityTokenCache(options: IdentityTokenCacheOptions): IdentityTokenCache {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_IDENTITY_TTL_SECONDS;
  const reuseForMs = options.reuseForMs ?? DEFAULT_TOKEN_REUSE_MS;
  if (!(reuseForMs >= 0 && reuseForMs < ttlSeconds * 1000)) {
    throw new RangeError(`reuseForMs must be at least 0 and less than the token's lifetime (${ttlSeconds * 1000} ms), got ${reuseForMs}`);
  }
  const now = options.now ?? Date.now;
  const sign = options.sign ?? ((identity: Identity, ttl: number) => signIdentity(identity, options.identitySecret, { ttlSeconds: ttl }));
  const entries = new BoundedLru<string, Entry>(options.maxEntries ?? DEFAULT_IDENTITY_CACHE_ENTRIES);
  return {
    tokenFor(identity) {
      const key = keyOf(identity);
      const time = now();
      const cached = entries.get(key);
      if (cached !== undefined && time - cached.signedAt < reuseForMs) return cached.token;
      const token = sign(identity, ttlSeconds);
      const entry: Entry = { token, signedAt: time };
      entries.set(key, entry);
      // A failed signature (an invalid identity) is reported to this caller and never handed out again.
      token.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return token;
    },
  };
}

/** Every claim the token carries, in the order they are signed: two identities with one key sign the same claims. */
function keyOf(identity: Identity): string {
  return JSON.stringify([identity.subject, identity.roles, identity.providerId ?? null, identity.businessId ?? null]);
}
