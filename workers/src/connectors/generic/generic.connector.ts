import { SyncConnectorKind, SyncTarget, type GenericOptions } from "@situation/city-subgraph";
import type { OutageFeedRecord, ServicesRepositories } from "@situation/services-subgraph";
import type { Connector, ParsedRecord, RecordReject, StoreResult } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { environmentRecordInPeriod, storeEnvironmentRecords, type EnvironmentFeedRecord } from "../environment-readings/environment-store.js";
import { parseGeneric, type GenericRecord } from "./parse-generic.js";

const TARGETS: Readonly<Record<GenericOptions["target"], string>> = { outages: SyncTarget.OUTAGES, readings: SyncTarget.READINGS };

/**
 * A feed added without code: JSON, CSV or GeoJSON read through the field mapping in the source's
 * options, into outages (ended when a full snapshot no longer lists them) or stations and readings.
 */
export function createGenericConnector(services: Pick<ServicesRepositories, "environment" | "providers" | "outages">): Connector<GenericRecord> {
  return {
    kind: SyncConnectorKind.GENERIC,
    accept: "application/json, application/geo+json, text/csv;q=0.9, */*;q=0.5",
    parse(body, context) {
      const options = context.options as GenericOptions;
      // The mapping and the source must agree; a source saved with another target is a configuration error, not a feed's.
      if (TARGETS[options.target] !== context.source.target) {
        throw new FeedRejectedError(`options.target is ${options.target} but the source's target is ${context.source.target}`);
      }
      return parseGeneric(body, options);
    },
    inPeriod: (record, period) =>
      record.target === "readings"
        ? environmentRecordInPeriod(record.record, period)
        : record.record.startsAt.getTime() < period.to.getTime() && (record.record.expectedEndAt === null || record.record.expectedEndAt.getTime() > period.from.getTime()),
    async store(records, context): Promise<StoreResult> {
      const options = context.options as GenericOptions;
      if (options.target === "readings") {
        const readings = records.flatMap((parsed): ParsedRecord<EnvironmentFeedRecord>[] => (parsed.record.target === "readings" ? [{ ...parsed, record: parsed.record.record }] : []));
        return storeEnvironmentRecords(services.environment, readings, context, options.providerId);
      }
      const outages = records.flatMap((parsed): ParsedRecord<OutageFeedRecord>[] => (parsed.record.target === "outages" ? [{ ...parsed, record: parsed.record.record }] : []));
      const known = await services.providers.existingIds(outages.map(({ record }) => record.providerId));
      const rejects: RecordReject[] = [];
      const accepted = outages.filter(({ line, externalId, record, raw }) => {
        if (known.has(record.providerId)) return true;
        rejects.push({ line, externalId, field: options.outage?.providerId.from ?? "providerId", reason: `no provider has the id ${JSON.stringify(record.providerId)}`, raw });
        return false;
      });
      const written = await services.outages.upsertFromFeed(context.provenance, accepted.map(({ record }) => record));
      return { inserted: written.inserted, updated: written.updated, unchanged: written.unchanged, rejects };
    },
    endMissing: async (listedIds, context) =>
      (context.options as GenericOptions).target === "outages" ? services.outages.endMissingFromFeed(context.provenance, listedIds, context.fetchedAt) : 0,
    isFullSnapshot: (options) => (options as GenericOptions).target === "outages" && (options as GenericOptions).fullSnapshot,
  };
}
