import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findRepositoryRoot } from "./config.js";
import {
  ConflictError,
  ErrorCode,
  errorCatalog,
  ForbiddenError,
  isPlatformError,
  NotFoundError,
  PlatformError,
  RateLimitedError,
  RedisUnavailableError,
  UnauthenticatedError,
  UpstreamError,
  UserInputError,
} from "./errors.js";

describe("error codes", () => {
  it("gives every code an HTTP status and a description", () => {
    for (const code of Object.values(ErrorCode)) {
      expect(errorCatalog[code].httpStatus, code).toBeGreaterThanOrEqual(400);
      expect(errorCatalog[code].description, code).not.toBe("");
    }
    expect(Object.keys(errorCatalog).sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it("documents every code with its HTTP status in docs/errors.md", () => {
    const documentation = readFileSync(join(findRepositoryRoot(), "docs", "errors.md"), "utf8");
    const undocumented = Object.values(ErrorCode).filter((code) => {
      const row = documentation.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      return row === undefined || !row.includes(`| ${errorCatalog[code].httpStatus} |`);
    });
    expect(undocumented, "codes missing from docs/errors.md (or with another HTTP status there)").toEqual([]);
  });
});

describe("PlatformError and its subclasses", () => {
  const cases = [
    [new UnauthenticatedError("no token"), "UnauthenticatedError", ErrorCode.UNAUTHENTICATED, 401],
    [new ForbiddenError("not yours"), "ForbiddenError", ErrorCode.FORBIDDEN, 403],
    [new NotFoundError("no district"), "NotFoundError", ErrorCode.NOT_FOUND, 404],
    [new ConflictError("duplicate"), "ConflictError", ErrorCode.CONFLICT, 409],
    [new UpstreamError("feed down"), "UpstreamError", ErrorCode.UPSTREAM_FAILURE, 502],
    [new RateLimitedError(), "RateLimitedError", ErrorCode.RATE_LIMITED, 429],
    [new RedisUnavailableError("no redis"), "RedisUnavailableError", ErrorCode.UPSTREAM_FAILURE, 502],
  ] as const;

  it.each(cases)("%s sets name, code and HTTP status", (error, name, code, httpStatus) => {
    expect(error).toBeInstanceOf(PlatformError);
    expect(isPlatformError(error)).toBe(true);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(httpStatus);
  });

  it("keeps the cause", () => {
    const cause = new Error("ECONNREFUSED");
    expect(new UpstreamError("feed unreachable", { cause }).cause).toBe(cause);
  });

  it("puts a UserInputError's field into the GraphQL extensions", () => {
    const error = new UserInputError("too short", { field: "name" });
    expect(error.name).toBe("UserInputError");
    expect(error.field).toBe("name");
    expect(error.httpStatus).toBe(400);
    expect(error.toExtensions()).toEqual({ code: "BAD_USER_INPUT", field: "name" });
  });

  it("does not count ordinary errors as platform errors", () => {
    expect(isPlatformError(new Error("boom"))).toBe(false);
  });
});
