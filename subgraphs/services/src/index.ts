/** What other workspaces may import from the services subgraph. */
import "reflect-metadata";
export { buildServicesSchema } from "./schema.js";
export { createServicesServer, type ServicesServer, type ServicesServerOptions } from "./server.js";
export { openServicesRepositories, SERVICES_DATABASE, type ServicesRepositories } from "./repositories.js";
export type { ServicesContext } from "./context.js";
export { ProviderRepository, type ProviderInput } from "./provider/provider.repository.js";
export { Provider, ServiceKind, SERVICE_KINDS, type ProviderDocument } from "./provider/provider.model.js";
export {
  OutageRepository,
  InvalidCursorError,
  InvalidOutageRecordError,
  hashContent,
  type OutageFeedRecord,
  type FeedUpsertResult,
  type OutagePage,
  type OutagePageRequest,
  type ActiveOutageQuery,
  type NearPoint,
} from "./outage/outage.repository.js";
export {
  Outage,
  OutageStatus,
  OUTAGE_STATUSES,
  type OutageDocument,
  type OutageTimelineEntry,
  type DistrictImpact,
  type MultiPolygonGeometry,
  type PolygonGeometry,
} from "./outage/outage.model.js";
export { toMultiPolygon } from "./outage/affected-area.js";
export { CityArea, seedCityArea, AVERAGE_HOUSEHOLD_SIZE, type AffectedEstimate, type DistrictArea } from "./outage/city-area.js";
export { MAX_BATCH_ITEMS, pushSource } from "./outage/outage-push.js";
export { mayActFor } from "./provider/provider-scope.js";
export { ServiceStatusRepository, MAX_HISTORY, type ServiceStatusChangeRequest } from "./service-status/service-status.repository.js";
export { ServiceStatusLevel, type ServiceStatusDocument } from "./service-status/service-status.model.js";
export { seedIfEmpty, type SeedResult } from "./seed/seed.js";
export { DEMO_PROVIDERS, DEMO_SOURCE, DEMO_OUTAGE_COUNT, KRUSEVAC_CENTRE, demoOutages, hexagon } from "./seed/demo-data.js";
export { openEnvironmentRepositories, EnvironmentLoaders, type EnvironmentRepositories } from "./environment/environment.repositories.js";
export {
  ReadingRepository,
  MAX_INGEST_ITEMS,
  DEFAULT_RETENTION_DAYS,
  type IngestReading,
  type IngestOptions,
  type IngestResult,
  type IngestItemOutcome,
} from "./environment/reading.repository.js";
export { StationRepository } from "./environment/station.repository.js";
export { type StationDocument } from "./environment/station.model.js";
export { EnvironmentParameter, ENVIRONMENT_PARAMETERS, PARAMETER_SPECS, unitOf } from "./environment/environment-parameter.js";
export { AveragingPeriod, windowOf, CITY_TIME_ZONE } from "./environment/averaging-window.js";
export { AlertStatus, type EnvironmentAlert, type AlertDocument } from "./environment/alert.model.js";
export { DEFAULT_THRESHOLDS } from "./environment/threshold.model.js";
export { ReadingWrite } from "./environment/reading.model.js";
