import { SyncConnectorKind, SyncTarget, type NgsiLdOptions } from "@situation/city-subgraph";
import type { OutageFeedRecord, ServicesRepositories } from "@situation/services-subgraph";
import type { Connector, ParsedRecord, RecordReject } from "../../sync/connector.js";
import { environmentRecordInPeriod, storeEnvironmentRecords, type EnvironmentFeedRecord } from "../environment-readings/environment-store.js";
import { ngsiLdFirstPage, ngsiLdNextPage, parseNgsiLd, type NgsiLdRecord } from "./parse-ngsi-ld.js";

/**
 * NGSI-LD entities, page by page, into readings (a source whose target is readings:
 * AirQualityObserved, WeatherObserved) or outages (target outages: Alerts the source maps to a
 * service disruption). Outages of a full snapshot that the broker no longer lists have ended.
 */
export function createNgsiLdConnector(services: Pick<ServicesRepositories, "environment" | "providers" | "outages">): Connector<NgsiLdRecord> {
  return {
    kind: SyncConnectorKind.NGSI_LD,
    accept: "application/ld+json, application/json;q=0.9",
    paging: {
      first: (url, options) => ngsiLdFirstPage(url, options as NgsiLdOptions),
      next: (previous) => ngsiLdNextPage(previous),
      maxPages: (options) => (options as NgsiLdOptions).maxPages,
    },
    parse: (body, context) =>
      parseNgsiLd(body, {
        target: context.source.target === SyncTarget.OUTAGES ? "outages" : "readings",
        alertOutages: (context.options as NgsiLdOptions).alertOutages,
        fetchedAt: context.fetchedAt,
      }),
    inPeriod: (record, period) =>
      record.target === "readings"
        ? environmentRecordInPeriod(record.record, period)
        : record.record.startsAt.getTime() < period.to.getTime() && (record.record.expectedEndAt === null || record.record.expectedEndAt.getTime() > period.from.getTime()),
    async store(records, context) {
      const readings: ParsedRecord<EnvironmentFeedRecord>[] = [];
      const outages: ParsedRecord<OutageFeedRecord>[] = [];
      for (const parsed of records) {
        if (parsed.record.target === "readings") readings.push({ ...parsed, record: parsed.record.record });
        else outages.push({ ...parsed, record: parsed.record.record });
      }
      const environment = await storeEnvironmentRecords(services.environment, readings, context, (context.options as NgsiLdOptions).providerId);
      if (outages.length === 0) return environment;
      // An Alert mapped to a provider the services subgraph does not know would be an outage nobody can attribute.
      const known = await services.providers.existingIds(outages.map(({ record }) => record.providerId));
      const rejects: RecordReject[] = [...environment.rejects];
      const accepted = outages.filter(({ line, externalId, record, raw }) => {
        if (known.has(record.providerId)) return true;
        rejects.push({ line, externalId, field: "subCategory", reason: `options.alertOutages maps it to provider ${JSON.stringify(record.providerId)}, which does not exist`, raw });
        return false;
      });
      const written = await services.outages.upsertFromFeed(context.provenance, accepted.map(({ record }) => record));
      return {
        inserted: environment.inserted + written.inserted,
        updated: environment.updated + written.updated,
        unchanged: environment.unchanged + written.unchanged,
        rejects,
      };
    },
    endMissing: async (listedIds, context) =>
      context.source.target === SyncTarget.OUTAGES ? services.outages.endMissingFromFeed(context.provenance, listedIds, context.fetchedAt) : 0,
    isFullSnapshot: (options) => (options as NgsiLdOptions).fullSnapshot,
  };
}
