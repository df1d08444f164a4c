/**
 * The change events of outages (docs/live-events.md): which type a write announces, and the event
 * itself. The repository publishes them once a write has landed, so every path (the GraphQL push,
 * batches, the feed sync in the workers) announces the same way.
 */
import type { ChangeEventPublisher, ChangeEventType } from "@situation/platform";
import { OutageStatus, type OutageDocument } from "./outage.model.js";

/** What an outage entering a status announces; a new outage announces its first status the same way. */
const STATUS_EVENTS: Record<OutageStatus, ChangeEventType> = {
  [OutageStatus.ANNOUNCED]: "outage.announced",
  [OutageStatus.ACTIVE]: "outage.started",
  [OutageStatus.RESOLVED]: "outage.resolved",
  [OutageStatus.CANCELLED]: "outage.cancelled",
};

/** The fields an event is made of; reads that only serve events project these. */
export type OutageEventSubject = Pick<OutageDocument, "_id" | "status" | "providerId" | "affectedDistricts">;

export const OUTAGE_EVENT_PROJECTION = { _id: 1, status: 1, providerId: 1, affectedDistricts: 1 } as const;

export interface OutageChange {
  /** The outage as stored after the write. */
  outage: OutageEventSubject;
  /** Its status before the write; undefined for an outage the write created. */
  previousStatus: OutageStatus | undefined;
}

/** A created outage or a status change announces the status; any other change is `outage.updated`. */
export function outageEventType(change: OutageChange): ChangeEventType {
  if (change.previousStatus === undefined || change.previousStatus !== change.outage.status) return STATUS_EVENTS[change.outage.status];
  return "outage.updated";
}

/**
 * Publishes one event per change, all at once: the publisher's commands share one connection, so
 * Redis appends them in this order, and a large batch costs one round trip, not one per outage.
 */
export async function publishOutageChanges(events: ChangeEventPublisher, changes: readonly OutageChange[]): Promise<void> {
  await Promise.all(
    changes.map((change) =>
      events.publish({
        type: outageEventType(change),
        id: change.outage._id,
        // The districts its estimate found: the same list that places it in a district's view.
        districtIds: [...new Set((change.outage.affectedDistricts ?? []).map((impact) => impact.districtId))],
        providerId: change.outage.providerId,
      }),
    ),
  );
}
