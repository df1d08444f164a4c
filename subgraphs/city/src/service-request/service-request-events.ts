/**
 * The change events of citizens' requests (docs/live-events.md). The owner fields are what the
 * gateway decides visibility on, mirroring access.ts: a provider sees the requests assigned to it,
 * city staff those assigned to a department.
 */
import type { ChangeEvent, ChangeEventType } from "@situation/platform";
import { AssigneeKind } from "../service-catalog/service-catalog.model.js";
import { AuditKind, type ServiceRequestDocument } from "./service-request.model.js";

/**
 * What each kind of audited change announces; a duplicate link and imported field edits announce
 * nothing. A reassignment is announced under the new assignee, so the provider or department that
 * now holds the request learns of it (the previous one simply stops seeing it, as in GraphQL).
 */
export function requestEventType(kind: AuditKind): ChangeEventType | undefined {
  switch (kind) {
    case AuditKind.RECEIVED:
      return "request.received";
    case AuditKind.STATUS:
      return "request.status-changed";
    case AuditKind.ESCALATION:
      return "request.escalated";
    case AuditKind.ASSIGNMENT:
      return "request.reassigned";
    case AuditKind.DUPLICATE_LINK:
    case AuditKind.IMPORT:
      return undefined;
  }
}

/** The event of a request as stored after the change: its district, and whose it is now. */
export function requestEvent(
  type: ChangeEventType,
  request: Pick<ServiceRequestDocument, "_id" | "districtId" | "assignee">,
): Omit<ChangeEvent, "at"> {
  return {
    type,
    id: request._id,
    districtIds: request.districtId ? [request.districtId] : [],
    ...(request.assignee.kind === AssigneeKind.PROVIDER ? { providerId: request.assignee.id } : { departmentId: request.assignee.id }),
  };
}
