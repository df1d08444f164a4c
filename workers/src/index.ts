/** What other workspaces (the launcher, end-to-end tests, benchmarks) may import from the workers. */
export {
  createSyncWorker,
  OUTAGE_FEED_SOURCE_ID,
  type SyncWorker,
  type SyncWorkerOptions,
  type SyncJobResult,
} from "./sync/sync-worker.js";
export { runSync, provenanceOf, fillPeriod, MAX_REPORTED_REJECTS, MAX_QUARANTINED_PER_RUN, SyncRunError, type SyncRunResult } from "./sync/run-sync.js";
export { fetchSource, sha256, DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT_MS, type FetchSourceOptions, type FetchedSource } from "./sync/fetch-source.js";
export type { Connector, ConnectorPaging, FetchedPage, ParsedRecord, ParseResult, RecordReject, RunContext, StoreResult } from "./sync/connector.js";
export { isStreaming, type StreamingConnector, type ConsumeResult, type AnyConnector } from "./sync/connector.js";
export { openSource, type OpenedSource } from "./sync/fetch-source.js";
export { createOpen311Connector } from "./connectors/open311/open311.connector.js";
export { parseOpen311 } from "./connectors/open311/parse-open311.js";
export { createBusinessRegistryCsvConnector, consumeRegistry, REGISTRY_BATCH_SIZE } from "./connectors/business-registry-csv/business-registry-csv.connector.js";
export { createGtfsRealtimeConnector } from "./connectors/gtfs-realtime/gtfs-realtime.connector.js";
export { parseGtfsRealtime, DISRUPTIVE_EFFECTS, type TransitAlertRecord } from "./connectors/gtfs-realtime/parse-gtfs-realtime.js";
export { fetchPages, mergePages, type PagedBody } from "./sync/fetch-pages.js";
export { jitteredBackoff, syncBackoffStrategy, MAX_SYNC_BACKOFF_MS } from "./sync/backoff.js";
export { FeedRejectedError, FeedUnavailableError } from "./sync/sync-errors.js";
export { createOutageCsvConnector } from "./connectors/outage-csv/outage-csv.connector.js";
export { parseOutageCsv } from "./connectors/outage-csv/parse-outage-csv.js";
export { OUTAGE_CSV_COLUMNS, outageCsvRowSchema, type OutageCsvColumn } from "./connectors/outage-csv/outage-csv-row.js";
export { storeEnvironmentRecords, type EnvironmentFeedRecord, type FeedMeasurement, type FeedStation } from "./connectors/environment-readings/environment-store.js";
export { createSensorCommunityConnector } from "./connectors/sensor-community/sensor-community.connector.js";
export { parseSensorCommunity, SENSOR_COMMUNITY_VALUE_TYPES } from "./connectors/sensor-community/parse-sensor-community.js";
export { createOpenMeteoConnector } from "./connectors/open-meteo/open-meteo.connector.js";
export { parseOpenMeteo } from "./connectors/open-meteo/parse-open-meteo.js";
export { createNgsiLdConnector } from "./connectors/ngsi-ld/ngsi-ld.connector.js";
export { parseNgsiLd, ngsiLdFirstPage, ngsiLdNextPage, type NgsiLdRecord } from "./connectors/ngsi-ld/parse-ngsi-ld.js";
export { createGenericConnector } from "./connectors/generic/generic.connector.js";
export { parseGeneric, type GenericRecord } from "./connectors/generic/parse-generic.js";
export {
  createRequestEscalationWorker,
  type RequestEscalationWorker,
  type RequestEscalationWorkerOptions,
  type RequestEscalationJobData,
  type RequestEscalationResult,
} from "./request-escalation/request-escalation.worker.js";
export {
  REQUEST_ESCALATION_QUEUE,
  ESCALATE_REQUEST_JOB,
  SWEEP_OVERDUE_JOB,
  SWEEP_OVERDUE_SCHEDULER_ID,
  DEFAULT_SWEEP_INTERVAL_MS,
  escalationJobId,
  type EscalateRequestJobData,
} from "./request-escalation/request-escalation-queue.js";
export { escalateRequest, sweepOverdueRequests, type SweepResult } from "./request-escalation/escalate-overdue.js";
