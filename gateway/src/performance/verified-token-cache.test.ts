import { randomUUID } from "node:crypto";
import { issueAccessToken, UnauthenticatedError, verifyAccessToken, type Identity } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

const secret = `verified-cache-test-${randomUUID()}`;
const operator: Identity = { subject: "op-1", roles: ["operator"] };

function counting(verify: (token: string) => Promise<Identity> = (token) => verifyAccessToken(token, secret)) {
  let verified = 0;
  return {
    verify: (token: string) => {
      verified += 1;
      return verify(token);
    },
    count: () => verified,
  };
}

describe("createVerifiedTokenCache", () => {
  it("verifies a token once while it is valid, and returns the same identity each time", async () => {
    const verifier = counting();
    const verify = createVerifiedTokenCache({ verify: verifier.verify });
    const token = await issueAccessToken(operator, secret);
    expect(await verify(token)).toEqual(operator);
    expect(await verify(token)).toEqual(operator);
    expect(verifier.count()).toBe(1);
  });

  it("never remembers a rejection", async () => {
    const verifier = counting();
    const verify = createVerifiedTokenCache({ verify: verifier.verify });
    const forged = await issueAccessToken(operator, "another-secret");
    await expect(verify(forged)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(verify(forged)).rejects.toThrow(/bad signature/);
    expect(verifier.count()).toBe(2);
  });

  it("verifies again from shortly before expiry, so an expired token is rejected", async () => {
    let time = Date.now();
    let expired = false;
    const verifier = counting((token) =>
      expired ? Promise.reject(new UnauthenticatedError("access token rejected: expired")) : verifyAccessToken(token, secret),
    );
    const verify = createVerifiedTokenCache({ verify: verifier.verify, now: () => time, marginMs: 1_000 });
    const token = await issueAccessToken(operator, secret, { ttlSeconds: 120 });
    const exp = Math.floor(Date.now() / 1000) + 120;
    await verify(token);
    time = exp * 1000 - 1_500;
    await verify(token);
    expect(verifier.count()).toBe(1);
    time = exp * 1000 - 1_000;
    expired = true;
    await expect(verify(token)).rejects.toThrow(/expired/);
    expect(verifier.count()).toBe(2);
    await expect(verify(token)).rejects.toThrow(/expired/);
    expect(verifier.count()).toBe(3);
  });

  it("does not remember a token that expires within the margin", async () => {
    const verifier = counting();
    const verify = createVerifiedTokenCache({ verify: verifier.verify, marginMs: 10_000 });
    const token = await issueAccessToken(operator, secret, { ttlSeconds: 5 });
    await verify(token);
    await verify(token);
    expect(verifier.count()).toBe(2);
  });

  it("hands each caller its own identity object", async () => {
    const verify = createVerifiedTokenCache({ verify: (token) => verifyAccessToken(token, secret) });
    const token = await issueAccessToken({ subject: "p", roles: ["provider"], providerId: "jkp" }, secret);
    const first = await verify(token);
    first.roles.push("admin");
    first.subject = "changed";
    expect(await verify(token)).toEqual({ subject: "p", roles: ["provider"], providerId: "jkp" });
  });

  it("remembers at most maxEntries tokens", async () => {
    const verifier = counting();
    const verify = createVerifiedTokenCache({ verify: verifier.verify, maxEntries: 1 });
    const a = await issueAccessToken({ subject: "a", roles: ["operator"] }, secret);
    const b = await issueAccessToken({ subject: "b", roles: ["operator"] }, secret);
    await verify(a);
    await verify(b);
    await verify(a);
    expect(verifier.count()).toBe(3);
  });
});
