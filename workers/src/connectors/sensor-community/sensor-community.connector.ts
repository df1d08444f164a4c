import { SyncConnectorKind, type SensorCommunityOptions } from "@situation/city-subgraph";
import type { ServicesRepositories } from "@situation/services-subgraph";
import type { Connector } from "../../sync/connector.js";
import { environmentRecordInPeriod, storeEnvironmentRecords, type EnvironmentFeedRecord } from "../environment-readings/environment-store.js";
import { parseSensorCommunity } from "./parse-sensor-community.js";

/**
 * Sensor.Community air quality into the services subgraph's stations (one per sensor, external id =
 * the sensor id) and readings, whose ingest raises alerts through the thresholds. The feed is a
 * window of recent uploads, not a list of what exists, so nothing is ever ended for missing from it.
 */
export function createSensorCommunityConnector(services: Pick<ServicesRepositories, "environment">): Connector<EnvironmentFeedRecord> {
  return {
    kind: SyncConnectorKind.SENSOR_COMMUNITY,
    accept: "application/json",
    parse: (body, context) => parseSensorCommunity(body, { filterToCity: (context.options as SensorCommunityOptions).filterToCity, city: services.environment.city }),
    inPeriod: environmentRecordInPeriod,
    store: (records, context) => storeEnvironmentRecords(services.environment, records, context, (context.options as SensorCommunityOptions).providerId),
    endMissing: async () => 0,
    isFullSnapshot: () => false,
  };
}
