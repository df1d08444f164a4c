/**
 * Who may see and work which requests (docs/contact-center.md, "Access"). The repository filters by
 * an AccessScope; the resolvers derive it from the forwarded identity and check ownership with
 * `canWork` before any change.
 */
import type { Identity } from "@situation/platform";
import type { Assignee } from "../service-catalog/service-catalog.model.js";

export type AccessScope =
  | { kind: "all" }
  /** Requests assigned to this provider. */
  | { kind: "provider"; providerId: string }
  /** Requests assigned to any city department. */
  | { kind: "departments" }
  | { kind: "none" };

export function scopeOf(identity: Identity): AccessScope {
  if (identity.roles.includes("admin") || identity.roles.includes("operator")) return { kind: "all" };
  if (identity.roles.includes("city-staff")) return { kind: "departments" };
  if (identity.roles.includes("provider") && identity.providerId !== undefined) {
    return { kind: "provider", providerId: identity.providerId };
  }
  return { kind: "none" };
}

/** Whether a request assigned to `assignee` is within the scope: such callers see it, its contact details, and may work it. */
export function inScope(scope: AccessScope, assignee: Assignee): boolean {
  switch (scope.kind) {
    case "all":
      return true;
    case "departments":
      return assignee.kind === "department";
    case "provider":
      return assignee.kind === "provider" && assignee.id === scope.providerId;
    case "none":
      return false;
    default:
      return unreachable(scope);
  }
}

export function canWork(identity: Identity, assignee: Assignee): boolean {
  return inScope(scopeOf(identity), assignee);
}

function unreachable(value: never): never {
  throw new Error(`unhandled access scope: ${JSON.stringify(value)}`);
}
