import { SyncConnectorKind, type CityRepositories, type GtfsRealtimeOptions } from "@situation/city-subgraph";
import type { MultiPolygonGeometry, OutageFeedRecord, ServicesRepositories } from "@situation/services-subgraph";
import type { Connector, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { parseGtfsRealtime, type TransitAlertRecord } from "./parse-gtfs-realtime.js";

/**
 * GTFS-Realtime service alerts (format: workers/README.md) into the services subgraph's transport
 * outages of the source's provider, through OutageRepository's feed upsert (keyed by provenance and
 * alert id, hashed, so an unchanged feed writes nothing). An alert's area is the configured area of
 * its routes, else `defaultArea`, else the whole city (its districts' boundaries together).
 */
export function createGtfsRealtimeConnector(
  services: Pick<ServicesRepositories, "providers" | "outages">,
  city: Pick<CityRepositories, "districts">,
): Connector<TransitAlertRecord> {
  return {
    kind: SyncConnectorKind.GTFS_REALTIME,
    accept: "application/x-protobuf, application/octet-stream;q=0.5",
    parse: (body, context) => parseGtfsRealtime(body, context.options as GtfsRealtimeOptions, context.fetchedAt),
    inPeriod: (record, period) =>
      record.startsAt.getTime() < period.to.getTime() && (record.expectedEndAt === null || record.expectedEndAt.getTime() > period.from.getTime()),
    async store(records, context) {
      const { providerId } = context.options as GtfsRealtimeOptions;
      // One provider for the whole source: an unknown one is the configuration's fault, not a record's.
      if (!(await services.providers.existingIds([providerId])).has(providerId)) {
        throw new FeedRejectedError(`the source's providerId ${JSON.stringify(providerId)} is not a provider of the services subgraph`);
      }
      let cityArea: MultiPolygonGeometry | null | undefined;
      // An alert without a start began when it was first stored: keep that time, or every run would change it.
      const unknownStarts = records.filter(({ record }) => !record.startKnown).map(({ externalId }) => externalId);
      const firstSeen = new Map<string, Date>();
      if (unknownStarts.length > 0) {
        const stored = await services.outages.collection
          .find({ source: context.provenance, externalId: { $in: unknownStarts } }, { projection: { externalId: 1, startsAt: 1 } })
          .toArray();
        for (const outage of stored) if (outage.externalId) firstSeen.set(outage.externalId, outage.startsAt);
      }
      const accepted: OutageFeedRecord[] = [];
      const rejects: RecordReject[] = [];
      for (const { externalId, record, raw } of records) {
        const { routeIds: _routeIds, startKnown: _startKnown, affectedArea, ...outage } = record;
        outage.startsAt = firstSeen.get(externalId) ?? outage.startsAt;
        let area = affectedArea;
        if (area === null) {
          cityArea ??= await cityAreaOf(city);
          area = cityArea;
        }
        if (area === null) {
          rejects.push({ line: null, externalId, field: "alert.informed_entity", reason: "no area: its routes have none in routeAreas, there is no defaultArea and the city has no districts", raw });
          continue;
        }
        accepted.push({ ...outage, affectedArea: area });
      }
      const written = await services.outages.upsertFromFeed(context.provenance, accepted);
      return { ...written, rejects };
    },
    endMissing: (listedIds, context) => services.outages.endMissingFromFeed(context.provenance, listedIds, context.fetchedAt),
    isFullSnapshot: (options) => (options as Partial<GtfsRealtimeOptions>).fullSnapshot !== false,
  };
}

async function cityAreaOf(city: Pick<CityRepositories, "districts">): Promise<MultiPolygonGeometry | null> {
  const districts = await city.districts.findAll();
  if (districts.length === 0) return null;
  return { type: "MultiPolygon", coordinates: districts.flatMap((district) => district.boundary.coordinates) } as MultiPolygonGeometry;
}
