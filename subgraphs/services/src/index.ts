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
} from "./outage/outage.repository.js";
export {
  Outage,
  OutageStatus,
  OUTAGE_STATUSES,
  type OutageDocument,
  type MultiPolygonGeometry,
  type PolygonGeometry,
} from "./outage/outage.model.js";
export { toMultiPolygon } from "./outage/affected-area.js";
export { seedIfEmpty, type SeedResult } from "./seed/seed.js";
export { DEMO_PROVIDERS, DEMO_SOURCE, DEMO_OUTAGE_COUNT, KRUSEVAC_CENTRE, demoOutages, hexagon } from "./seed/demo-data.js";
