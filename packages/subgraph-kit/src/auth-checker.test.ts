import { ANONYMOUS, ForbiddenError, UnauthenticatedError, createLogger, type Identity } from "@situation/platform";
import type { ResolverData } from "type-graphql";
import { describe, expect, it } from "vitest";
import { roleAuthChecker } from "./auth-checker.js";
import type { SubgraphContext } from "./context.js";

const logger = createLogger({ logLevel: "silent" }, "auth-test");

function check(identity: Identity, roles: string[]) {
  const data = { context: { identity, requestId: "r-1", logger }, root: {}, args: {}, info: {} } as unknown as ResolverData<SubgraphContext>;
  return roleAuthChecker(data, roles);
}

describe("roleAuthChecker", () => {
  it("grants a caller with one of the required roles", () => {
    expect(check({ subject: "s", roles: ["city-staff"] }, ["operator", "city-staff"])).toBe(true);
  });

  it("grants any caller with a role when no role is named", () => {
    expect(check({ subject: "s", roles: ["business"], businessId: "b" }, [])).toBe(true);
  });

  it("grants admin everything", () => {
    expect(check({ subject: "root", roles: ["admin"] }, ["operator"])).toBe(true);
  });

  it("answers anonymous callers with UnauthenticatedError", () => {
    expect(() => check(ANONYMOUS, ["operator"])).toThrow(UnauthenticatedError);
    expect(() => check(ANONYMOUS, [])).toThrow(UnauthenticatedError);
  });

  it("answers callers without the role with ForbiddenError naming the roles", () => {
    expect(() => check({ subject: "p", roles: ["provider"], providerId: "p1" }, ["operator"])).toThrow(ForbiddenError);
    expect(() => check({ subject: "p", roles: ["provider"], providerId: "p1" }, ["operator"])).toThrow(/operator/);
  });
});
