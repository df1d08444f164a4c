/** What other workspaces may import from the business subgraph. */
import "reflect-metadata";
export { buildBusinessSchema } from "./schema.js";
export { createBusinessServer, type BusinessServer, type BusinessServerOptions } from "./server.js";
export { openBusinessRepositories, BUSINESS_DATABASE, type BusinessRepositories } from "./repositories.js";
export type { BusinessContext } from "./context.js";
export {
  BusinessRepository,
  BUSINESSES_COLLECTION,
  type BusinessInput,
  type BusinessPatch,
  type BusinessSearch,
  type ContactsInput,
} from "./business/business.repository.js";
export { BusinessApiKeys, type IssuedKey } from "./api-key/business-api-keys.js";
export { ReportRepository, REPORTS_COLLECTION, type ReportInput } from "./report/report.repository.js";
export { BusinessReportKind, BusinessOperatingStatus, IncidentSeverity, type ReportDocument } from "./report/report.model.js";
// The registry's rules, for the registry import connector (workers) to check rows before upserting.
export { registryNumberProblem, taxIdProblem, registryNumberCheckDigit, taxIdCheckDigit } from "./registry/registry-numbers.js";
export { parseOpeningHours, OpeningHoursSyntaxError, type OpeningHoursValue } from "./registry/opening-hours.js";
export { normaliseForSearch, toSerbianCyrillic, toSerbianLatin } from "./registry/search-key.js";
export {
  importRegistryRecords,
  registryBusinessId,
  type RegistryRecord,
  type RegistryImportResult,
} from "./business/business-registry-import.js";
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  encodeCursor,
  decodeCursor,
  type BusinessPage,
  type PageRequest,
} from "./business/business-page.js";
export {
  Business,
  BusinessActivity,
  Address,
  BusinessConnection,
  type BusinessDocument,
  type BusinessActivityValue,
  type AddressValue,
} from "./business/business.model.js";
export { seedBusinessesIfEmpty, type BusinessSeedResult } from "./seed/seed.js";
export { demoBusinesses, DEMO_BUSINESS_COUNT, type DemoBusiness } from "./seed/demo-businesses.js";
