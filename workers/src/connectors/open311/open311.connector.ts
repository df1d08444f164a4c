import { SyncConnectorKind, type CityRepositories, type ExternalRequestImport, type Open311Options } from "@situation/city-subgraph";
import type { Connector, RecordReject } from "../../sync/connector.js";
import { parseOpen311 } from "./parse-open311.js";

const HOUR_MS = 3_600_000;

/** The repository's fields, as the Open311 request names them, so that a quarantine entry points at the feed's field. */
const FEED_FIELD: Record<string, string> = {
  categoryCode: "service_code",
  description: "description",
  location: "lat",
  address: "address",
  attachments: "media_url",
  status: "status",
};

/**
 * Another system's Open311 GeoReport v2 `requests.json` (format: workers/README.md) into the city's
 * contact center, through ServiceRequestRepository.importExternal: keyed by (provenance,
 * service_request_id), so a re-run updates and never duplicates, and every state it imports is in
 * the request's audit trail.
 */
export function createOpen311Connector(city: Pick<CityRepositories, "serviceRequests">): Connector<ExternalRequestImport> {
  return {
    kind: SyncConnectorKind.OPEN311,
    accept: "application/json",
    parse: (body, context) => parseOpen311(body, context.options as Open311Options),
    // GeoReport v2 filters start_date/end_date on requested_datetime.
    requestPeriod: (options, now) => ({ from: new Date(now.getTime() - (options as Open311Options).lookbackHours * HOUR_MS), to: now }),
    inPeriod: (record, period) => record.receivedAt.getTime() >= period.from.getTime() && record.receivedAt.getTime() < period.to.getTime(),
    async store(records, context) {
      const actor = { subject: `system:sync:${context.source._id}`, roles: [] as string[] };
      const result = await city.serviceRequests.importExternal(
        context.provenance,
        records.map(({ record }) => record),
        actor,
        context.fetchedAt,
      );
      const byId = new Map(records.map((entry) => [entry.externalId, entry]));
      const rejects: RecordReject[] = result.refused.map(({ externalId, field, reason }) => {
        const entry = byId.get(externalId);
        return { line: entry?.line ?? null, externalId, field: FEED_FIELD[field] ?? field, reason, raw: entry?.raw ?? "" };
      });
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, rejects };
    },
    // A requests.json answer covers a window of time, never every request: nothing ends for missing from it.
    endMissing: async () => 0,
    isFullSnapshot: () => false,
  };
}
