import { randomUUID } from "node:crypto";
import { signIdentity, verifyIdentity, type Identity } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { createIdentityTokenCache } from "./identity-token-cache.js";

const secret = `identity-cache-test-${randomUUID()}`;
const operator: Identity = { subject: "op-1", roles: ["operator"] };
const provider: Identity = { subject: "key-3", roles: ["provider"], providerId: "jkp" };

function counting() {
  let signed = 0;
  return {
    sign: (identity: Identity, ttlSeconds: number) => {
      signed += 1;
      return signIdentity(identity, secret, { ttlSeconds });
    },
    count: () => signed,
  };
}

describe("createIdentityTokenCache", () => {
  it("hands out one token per identity during the reuse window, which the subgraphs accept", async () => {
    let time = 1_000_000;
    const signer = counting();
    const cache = createIdentityTokenCache({ identitySecret: secret, now: () => time, sign: signer.sign });
    const first = await cache.tokenFor(operator);
    time += 29_999;
    expect(await cache.tokenFor({ subject: "op-1", roles: ["operator"] })).toBe(first);
    expect(signer.count()).toBe(1);
    expect(await verifyIdentity(first, secret)).toEqual(operator);
    const scoped = await cache.tokenFor(provider);
    expect(scoped).not.toBe(first);
    expect(await verifyIdentity(scoped, secret)).toEqual(provider);
  });

  it("signs again once the reuse window has passed", async () => {
    let time = 1_000_000;
    const signer = counting();
    const cache = createIdentityTokenCache({ identitySecret: secret, now: () => time, sign: signer.sign, reuseForMs: 30_000 });
    await cache.tokenFor(operator);
    time += 30_000;
    await cache.tokenFor(operator);
    expect(signer.count()).toBe(2);
  });

  it("tells apart identities that differ in any claim", async () => {
    const signer = counting();
    const cache = createIdentityTokenCache({ identitySecret: secret, sign: signer.sign });
    const tokens = await Promise.all([
      cache.tokenFor(provider),
      cache.tokenFor({ ...provider, providerId: "other" }),
      cache.tokenFor({ subject: "key-3", roles: ["business"], businessId: "jkp" }),
      cache.tokenFor({ subject: "key-3", roles: ["provider", "operator"], providerId: "jkp" }),
    ]);
    expect(new Set(tokens).size).toBe(4);
    expect(signer.count()).toBe(4);
  });

  it("never hands out a failed signature again", async () => {
    const signer = counting();
    const cache = createIdentityTokenCache({ identitySecret: secret, sign: signer.sign });
    const invalid: Identity = { subject: "key-9", roles: ["provider"] };
    await expect(cache.tokenFor(invalid)).rejects.toThrow(/providerId/);
    await expect(cache.tokenFor(invalid)).rejects.toThrow(/providerId/);
    expect(signer.count()).toBe(2);
  });

  it("remembers at most maxEntries identities, forgetting the least recently used", async () => {
    const signer = counting();
    const cache = createIdentityTokenCache({ identitySecret: secret, sign: signer.sign, maxEntries: 2 });
    const a = { subject: "a", roles: [] };
    const b = { subject: "b", roles: [] };
    const c = { subject: "c", roles: [] };
    await cache.tokenFor(a);
    await cache.tokenFor(b);
    await cache.tokenFor(a);
    await cache.tokenFor(c);
    expect(signer.count()).toBe(3);
    await cache.tokenFor(a);
    expect(signer.count()).toBe(3);
    await cache.tokenFor(b);
    expect(signer.count()).toBe(4);
  });

  it("refuses a reuse window that leaves a token no lifetime", () => {
    expect(() => createIdentityTokenCache({ identitySecret: secret, ttlSeconds: 60, reuseForMs: 60_000 })).toThrow(RangeError);
    expect(() => createIdentityTokenCache({ identitySecret: secret, reuseForMs: -1 })).toThrow(RangeError);
  });
});
