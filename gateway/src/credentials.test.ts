import { loadConfig, verifyAccessToken } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { parseCredentialsCommand, parseDuration, runCredentialsCli, UsageError } from "./credentials.js";

function run(argv: string[], env: Record<string, string | undefined> = { NODE_ENV: "test" }) {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = runCredentialsCli(argv, { env, out: (line) => out.push(line), err: (line) => err.push(line) });
  return exitCode.then((code) => ({ code, out, err: err.join("\n") }));
}

describe("parseCredentialsCommand", () => {
  it("reads a token command with a duration", () => {
    expect(parseCredentialsCommand(["token", "--role", "operator", "--subject", "ana", "--ttl", "8h"])).toEqual({
      kind: "token",
      role: "operator",
      subject: "ana",
      ttlSeconds: 8 * 3600,
    });
  });

  it("reads provider and business key commands, with a default label", () => {
    expect(parseCredentialsCommand(["api-key", "--role", "provider", "--provider-id", "vodovod", "--label", "JKP Vodovod"])).toEqual({
      kind: "api-key",
      role: "provider",
      providerId: "vodovod",
      label: "JKP Vodovod",
    });
    expect(parseCredentialsCommand(["api-key", "--role", "business", "--business-id", "b-17"])).toEqual({
      kind: "api-key",
      role: "business",
      businessId: "b-17",
      label: "business b-17",
    });
  });

  it.each([
    [[], /name a command/],
    [["tokens"], /unknown command "tokens"/],
    [["token", "--subject", "ana"], /--role is required for a token: one of operator, city-staff, admin/],
    [["token", "--role", "provider", "--subject", "x"], /not allowed for a token/],
    [["token", "--role", "operator"], /--subject is required/],
    [["token", "--role", "operator", "--subject", "ana", "--ttl", "soon"], /not a duration/],
    [["token", "--role", "operator", "--subject", "ana", "--provider-id", "v"], /--provider-id does not apply to "token"/],
    [["api-key", "--role", "operator"], /not allowed for an API key: use one of provider, business/],
    [["api-key", "--role", "provider"], /--provider-id is required/],
    [["api-key", "--role", "provider", "--provider-id", "v", "--business-id", "b"], /--business-id belongs to --role business/],
    [["api-key", "--role", "business", "--business-id", "b", "--label", " "], /--label must not be empty/],
    [["token", "--role", "operator", "--subject", "ana", "--colour", "red"], /Unknown option '--colour'/],
  ])("rejects %j with a clear message", (argv, message) => {
    expect(() => parseCredentialsCommand(argv)).toThrow(UsageError);
    expect(() => parseCredentialsCommand(argv)).toThrow(message);
  });
});

describe("parseDuration", () => {
  it("reads seconds and units, and bounds the result", () => {
    expect(parseDuration("3600")).toBe(3600);
    expect(parseDuration("30m")).toBe(1800);
    expect(parseDuration("7d")).toBe(7 * 86_400);
    expect(() => parseDuration("0")).toThrow(/longer than zero/);
    expect(() => parseDuration("31d")).toThrow(/at most 30d/);
  });
});

describe("runCredentialsCli", () => {
  it("prints only the token on stdout, valid at the gateway for the requested lifetime", async () => {
    const { code, out, err } = await run(["token", "--role", "operator", "--subject", "ana", "--ttl", "8h"]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const config = loadConfig({ NODE_ENV: "test" }, { warn: () => {} });
    expect(await verifyAccessToken(out[0]!, config.jwtSecret)).toEqual({ subject: "ana", roles: ["operator"] });
    const claims = JSON.parse(Buffer.from(out[0]!.split(".")[1]!, "base64url").toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(8 * 3600);
    expect(err).toContain("operator token for ana, valid 8h");
  });

  it("exits 2 with the message and the usage on bad arguments", async () => {
    const { code, out, err } = await run(["token", "--role", "operator"]);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toContain("--subject is required");
    expect(err).toContain("Usage:");
  });

  it("says how to start the store when MongoDB does not answer", async () => {
    const { code, err } = await run(["api-key", "--role", "provider", "--provider-id", "vodovod"], {
      MONGODB_URI: "mongodb://127.0.0.1:1",
    });
    expect(code).toBe(1);
    expect(err).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1.*npm start/s);
  });
});
