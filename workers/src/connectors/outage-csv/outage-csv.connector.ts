import { SyncConnectorKind, type OutageCsvOptions } from "@situation/city-subgraph";
import type { OutageFeedRecord, ServicesRepositories } from "@situation/services-subgraph";
import type { Connector, RecordReject } from "../../sync/connector.js";
import { parseOutageCsv } from "./parse-outage-csv.js";

/**
 * The outage CSV feed (format: workers/README.md) into the services subgraph's outages, through its
 * OutageRepository: hashed, idempotent upserts keyed by (provenance, external id).
 */
export function createOutageCsvConnector(repositories: Pick<ServicesRepositories, "providers" | "outages">): Connector<OutageFeedRecord> {
  return {
    kind: SyncConnectorKind.OUTAGE_CSV,
    accept: "text/csv, text/plain;q=0.5",
    parse: (body) => parseOutageCsv(body),
    // An outage belongs to a period when it overlaps it.
    inPeriod: (record, period) =>
      record.startsAt.getTime() < period.to.getTime() && (record.expectedEndAt === null || record.expectedEndAt.getTime() > period.from.getTime()),
    async store(records, context) {
      // A row naming an unknown provider would make an outage nobody can attribute: quarantine it like any bad cell.
      const known = await repositories.providers.existingIds(records.map(({ record }) => record.providerId));
      const rejects: RecordReject[] = [];
      const accepted: OutageFeedRecord[] = [];
      for (const { line, externalId, record, raw } of records) {
        if (known.has(record.providerId)) {
          accepted.push(record);
        } else {
          rejects.push({
            line,
            externalId,
            field: "provider_id",
            reason: `no provider has the id ${JSON.stringify(record.providerId)}`,
            raw,
          });
        }
      }
      const written = await repositories.outages.upsertFromFeed(context.provenance, accepted);
      return { ...written, rejects };
    },
    endMissing: (listedIds, context) => repositories.outages.endMissingFromFeed(context.provenance, listedIds, context.fetchedAt),
    isFullSnapshot: (options) => (options as Partial<OutageCsvOptions>).fullSnapshot !== false,
  };
}
