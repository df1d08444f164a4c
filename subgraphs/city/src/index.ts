/** What other workspaces may import from the city subgraph. */
import "reflect-metadata";
export { buildCitySchema } from "./schema.js";
export { createCityServer, type CityServer, type CityServerOptions } from "./server.js";
export { openCityRepositories, CITY_DATABASE, type CityRepositories } from "./repositories.js";
export type { CityContext } from "./context.js";
export { DistrictRepository, DISTRICTS_COLLECTION, type DistrictInput } from "./district/district.repository.js";
export { District, type DistrictDocument } from "./district/district.model.js";
export { seedDistrictsIfEmpty, type DistrictSeedResult } from "./district/district.seed.js";
export * from "./seed-data.js";
export {
  ServiceCategoryRepository,
  SERVICE_CATEGORIES_COLLECTION,
  checkAssignee,
  type ServiceCategoryUpsert,
} from "./service-catalog/service-catalog.repository.js";
export {
  ASSIGNEE_KINDS,
  REQUEST_FIELDS,
  route,
  type Assignee,
  type AssigneeKind,
  type RequestField,
  type RoutingRule,
  type ServiceCategoryDocument,
} from "./service-catalog/service-catalog.model.js";
export {
  KRUSEVAC_SERVICE_CATALOG,
  seedServiceCatalogIfEmpty,
  type ServiceCatalogSeedResult,
} from "./service-catalog/service-catalog.seed.js";
export {
  ServiceRequestRepository,
  SERVICE_REQUESTS_COLLECTION,
  REQUEST_AUDIT_COLLECTION,
  DUPLICATE_RADIUS_METRES,
  DUPLICATE_WINDOW_HOURS,
  ESCALATION_ACTOR,
  InvalidCursorError,
  nextImportStep,
  type ExternalRequestImport,
  type ImportedStatus,
  type ImportResult,
  type SubmitInput,
  type RequestFilter,
  type Page,
  type EscalationOutcome,
  type RequestCounts,
  type SlaFigures,
} from "./service-request/service-request.repository.js";
export {
  REQUEST_STATUSES,
  OPEN_STATUSES,
  DONE_STATUSES,
  ALLOWED_TRANSITIONS,
  REQUEST_CHANNELS,
  SELF_SERVICE_CHANNELS,
  type RequestStatus,
  type RequestChannel,
  type AuditKind,
  type Actor,
  type ContactDetails,
  type ServiceRequestDocument,
  type ExternalReference,
  type AuditEntry,
} from "./service-request/service-request.model.js";
export { scopeOf, inScope, canWork, type AccessScope } from "./service-request/access.js";
export {
  ESCALATE_REQUEST_JOB,
  escalationJobId,
  NO_ESCALATIONS,
  REQUEST_ESCALATION_QUEUE,
  type EscalationScheduler,
} from "./service-request/escalation-scheduler.js";
export {
  SyncConnectorKind,
  SYNC_CONNECTOR_KINDS,
  SyncTarget,
  SYNC_TARGETS,
  CONNECTOR_CONTRACTS,
  MAX_SYNC_BODY_BYTES,
  checkConnectorOptions,
  outageCsvOptionsSchema,
  type OutageCsvOptions,
  open311OptionsSchema,
  businessRegistryCsvOptionsSchema,
  gtfsRealtimeOptionsSchema,
  BUSINESS_REGISTRY_FIELDS,
  type Open311Options,
  type BusinessRegistryCsvOptions,
  type BusinessRegistryField,
  type GtfsRealtimeOptions,
  sensorCommunityOptionsSchema,
  openMeteoOptionsSchema,
  ngsiLdOptionsSchema,
  genericOptionsSchema,
  genericTransformSchema,
  ENVIRONMENT_PARAMETER_NAMES,
  type SensorCommunityOptions,
  type OpenMeteoOptions,
  type NgsiLdOptions,
  type GenericOptions,
  type GenericTransform,
  type GenericField,
  type ConnectorContract,
} from "./sync-source/sync-connectors.js";
export {
  SOURCE_SYNC_QUEUE,
  SOURCE_SYNC_JOB,
  SYNC_BACKOFF_TYPE,
  DEFAULT_SYNC_ATTEMPTS,
  DEFAULT_SYNC_BACKOFF_MS,
  NO_SYNC_SCHEDULING,
  checkSchedule,
  createSyncScheduler,
  syncJobOptions,
  syncSchedulerId,
  type BullmqSyncScheduler,
  type SyncJobData,
  type SyncScheduler,
  type SyncSchedulerOptions,
} from "./sync-source/sync-scheduler.js";
export {
  SyncRunStatus,
  SyncTrigger,
  SYNC_TRIGGERS,
  SyncErrorKind,
  MAX_QUARANTINED_RAW_CHARS,
  type SyncSourceDocument,
  type SyncRunDocument,
  type SyncQuarantineDocument,
  type SyncRunSummary,
} from "./sync-source/sync-source.model.js";
export { SyncSourceRepository, SYNC_SOURCES_COLLECTION, type SyncSourceInput, type RunOutcome } from "./sync-source/sync-source.repository.js";
export {
  SyncRunRepository,
  SyncQuarantineRepository,
  SYNC_RUNS_COLLECTION,
  SYNC_QUARANTINE_COLLECTION,
  type RunEnd,
} from "./sync-source/sync-run.repository.js";
