/**
 * Who may receive which change event: nobody receives what they could not query. The rules mirror
 * the owning subgraphs' (an event carries the owner fields they decide on):
 * - outages and environment alerts are public in the services subgraph: any signed-in caller;
 * - requests follow the city's access scopes (subgraphs/city/src/service-request/access.ts):
 *   operators and admins all, city staff those assigned to a department, a provider its own;
 * - business reports: operators, city staff and admins all, a business its own.
 * An event type without a rule here is delivered to nobody, so a new type is private until decided.
 */
import type { ChangeEvent, Identity } from "@situation/platform";

export function mayReceive(identity: Identity, event: ChangeEvent): boolean {
  const roles = identity.roles;
  const family = event.type.slice(0, event.type.indexOf("."));
  switch (family) {
    case "outage":
    case "alert":
      return roles.length > 0;
    case "request":
      if (roles.includes("admin") || roles.includes("operator")) return true;
      if (roles.includes("city-staff") && event.departmentId !== undefined) return true;
      return roles.includes("provider") && identity.providerId !== undefined && event.providerId === identity.providerId;
    case "business":
      if (roles.includes("admin") || roles.includes("operator") || roles.includes("city-staff")) return true;
      return roles.includes("business") && identity.businessId !== undefined && event.businessId === identity.businessId;
    default:
      return false;
  }
}
