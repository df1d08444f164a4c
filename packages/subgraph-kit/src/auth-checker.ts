/**
 * type-graphql's `@Authorized(...)` checked against the identity the gateway forwarded.
 * `@Authorized()` without roles means "any caller with at least one role"; `admin` passes every check.
 * Ownership (a provider changing only its own provider's data) is checked in the resolvers.
 */
import { ANONYMOUS, ForbiddenError, UnauthenticatedError, type Role } from "@situation/platform";
import type { AuthCheckerFn } from "type-graphql";
import type { SubgraphContext } from "./context.js";

// A plain function (AuthCheckerFn, one form of type-graphql's AuthChecker), so tests can call it directly.
export const roleAuthChecker: AuthCheckerFn<SubgraphContext> = ({ context }, requiredRoles) => {
  const identity = context.identity;
  const isAnonymous = identity.subject === ANONYMOUS.subject || identity.roles.length === 0;
  // Thrown rather than returned `false`, so that clients see our codes (type-graphql's own
  // AuthorizationError uses UNAUTHORIZED, which is not in the platform's list) and a clear message.
  if (isAnonymous) throw new UnauthenticatedError("authentication required");
  if (identity.roles.includes("admin") || requiredRoles.length === 0) return true;
  if (identity.roles.some((role) => requiredRoles.includes(role))) return true;
  throw new ForbiddenError(`requires one of the roles: ${requiredRoles.join(", ")}`, {
    details: { requiredRoles: requiredRoles as Role[] | string[] },
  });
};
