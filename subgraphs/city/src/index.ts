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
