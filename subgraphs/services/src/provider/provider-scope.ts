import { hasRole, type Identity } from "@situation/platform";

/**
 * Whether the caller may write a provider's data (outages, service status): operators and admins for
 * any provider, a provider's key only for its own. `@Authorized` checks the role; this the ownership.
 */
export function mayActFor(identity: Identity, providerId: string): boolean {
  if (hasRole(identity, "operator", "admin")) return true;
  return identity.roles.includes("provider") && identity.providerId === providerId;
}
