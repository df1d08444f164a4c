import { SyncConnectorKind, type OpenMeteoOptions } from "@situation/city-subgraph";
import type { ServicesRepositories } from "@situation/services-subgraph";
import type { Connector } from "../../sync/connector.js";
import { environmentRecordInPeriod, storeEnvironmentRecords, type EnvironmentFeedRecord } from "../environment-readings/environment-store.js";
import { parseOpenMeteo } from "./parse-open-meteo.js";

/**
 * Open-Meteo hourly weather into one station's readings: the source names an existing station
 * (`stationId`) or one the connector creates at the feed's coordinates (`station`). The same hours
 * come back in every answer (past_days), so re-runs find them unchanged and write nothing.
 */
export function createOpenMeteoConnector(services: Pick<ServicesRepositories, "environment">): Connector<EnvironmentFeedRecord> {
  return {
    kind: SyncConnectorKind.OPEN_METEO,
    accept: "application/json",
    parse(body, context) {
      const options = context.options as OpenMeteoOptions;
      return parseOpenMeteo(body, { station: options.stationId !== undefined ? { stationId: options.stationId } : options.station!, fetchedAt: context.fetchedAt });
    },
    inPeriod: environmentRecordInPeriod,
    store: (records, context) => storeEnvironmentRecords(services.environment, records, context, (context.options as OpenMeteoOptions).providerId),
    endMissing: async () => 0,
    isFullSnapshot: () => false,
  };
}
