import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { UnauthenticatedError } from "./errors.js";
import {
  ANONYMOUS,
  GATEWAY_AUDIENCE,
  hasRole,
  issueAccessToken,
  SUBGRAPH_AUDIENCE,
  signIdentity,
  TOKEN_ISSUER,
  verifyAccessToken,
  verifyIdentity,
  type Identity,
} from "./identity.js";

const secret = `identity-test-secret-${randomUUID()}`;
const provider: Identity = { subject: "key-17", roles: ["provider"], providerId: "jkp-krusevac" };

async function rejection(promise: Promise<unknown>): Promise<UnauthenticatedError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return error as UnauthenticatedError;
}

function forge(claims: Record<string, unknown>, options: { audience?: string; expiresAt?: number; key?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(options.audience ?? SUBGRAPH_AUDIENCE)
    .setIssuedAt(now - 120)
    .setExpirationTime(options.expiresAt ?? now + 60)
    .sign(new TextEncoder().encode(options.key ?? secret));
}

describe("forwarded identity tokens", () => {
  it("round-trips an identity with its scope", async () => {
    const token = await signIdentity(provider, secret);
    expect(await verifyIdentity(token, secret)).toEqual(provider);
  });

  it("round-trips the anonymous identity", async () => {
    expect(await verifyIdentity(await signIdentity(ANONYMOUS, secret), secret)).toEqual({ subject: "anonymous", roles: [] });
  });

  it("is short-lived: 60 seconds by default", async () => {
    const token = await signIdentity(provider, secret);
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iat: number; exp: number; aud: string; iss: string };
    expect(payload.exp - payload.iat).toBe(60);
    expect(payload.aud).toBe(SUBGRAPH_AUDIENCE);
    expect(payload.iss).toBe(TOKEN_ISSUER);
  });

  it("rejects an expired token", async () => {
    const token = await forge({ sub: "u1", roles: [] }, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    expect((await rejection(verifyIdentity(token, secret))).message).toContain("expired");
  });

  it("rejects a token for another audience", async () => {
    const accessToken = await issueAccessToken({ subject: "op", roles: ["operator"] }, secret);
    expect((await rejection(verifyIdentity(accessToken, secret))).message).toContain("wrong audience");
  });

  it("rejects a token signed with another secret", async () => {
    const token = await signIdentity(provider, `other-secret-${randomUUID()}`);
    expect((await rejection(verifyIdentity(token, secret))).message).toContain("bad signature");
  });

  it("rejects a malformed token", async () => {
    expect((await rejection(verifyIdentity("not.a.token", secret))).message).toContain("malformed");
    expect((await rejection(verifyIdentity("", secret))).message).toContain("malformed");
  });

  it("rejects an unsigned token", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const body = Buffer.from(JSON.stringify({ sub: "x", roles: ["admin"], iss: TOKEN_ISSUER, aud: SUBGRAPH_AUDIENCE, exp: 9e9 })).toString("base64url");
    await rejection(verifyIdentity(`${header}.${body}.`, secret));
  });

  it("rejects unknown roles and scoped roles without their scope", async () => {
    const unknownRole = await forge({ sub: "u1", roles: ["superuser"] });
    expect((await rejection(verifyIdentity(unknownRole, secret))).message).toContain("malformed claims");
    const unscoped = await forge({ sub: "u1", roles: ["provider"] });
    expect((await rejection(verifyIdentity(unscoped, secret))).message).toContain("providerId");
    const noRoles = await forge({ sub: "u1" });
    await rejection(verifyIdentity(noRoles, secret));
  });

  it("refuses to sign an invalid identity", async () => {
    await expect(signIdentity({ subject: "b", roles: ["business"] }, secret)).rejects.toThrow(/businessId/);
    await expect(signIdentity(provider, secret, { ttlSeconds: 0 })).rejects.toThrow(RangeError);
  });
});

describe("access tokens", () => {
  it("round-trips and is only accepted as an access token", async () => {
    const operator: Identity = { subject: "ana", roles: ["operator", "city-staff"] };
    const token = await issueAccessToken(operator, secret, { ttlSeconds: 300 });
    expect(await verifyAccessToken(token, secret)).toEqual(operator);
    const forwarded = await signIdentity(operator, secret);
    expect((await rejection(verifyAccessToken(forwarded, secret))).message).toContain("wrong audience");
    const forSubgraphs = await forge({ sub: "ana", roles: ["operator"] }, { audience: GATEWAY_AUDIENCE, key: `x-${randomUUID()}` });
    expect((await rejection(verifyAccessToken(forSubgraphs, secret))).message).toContain("bad signature");
  });
});

describe("hasRole", () => {
  it("is true when the identity has any of the roles", () => {
    expect(hasRole(provider, "operator", "provider")).toBe(true);
    expect(hasRole(ANONYMOUS, "operator")).toBe(false);
  });
});
