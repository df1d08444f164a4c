import type { SubgraphContext } from "@situation/subgraph-kit";
import type { ContactRepository } from "./contact-log/contact.repository.js";
import type { DistrictRepository } from "./district/district.repository.js";
import type { RequestReportRepository } from "./reports/request-report.repository.js";
import type { ServiceCategoryRepository } from "./service-catalog/service-catalog.repository.js";
import type { EscalationScheduler } from "./service-request/escalation-scheduler.js";
import type { ServiceRequestRepository } from "./service-request/service-request.repository.js";
import type { SyncQuarantineRepository, SyncRunRepository } from "./sync-source/sync-run.repository.js";
import type { SyncSourceRepository } from "./sync-source/sync-source.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface CityContext extends SubgraphContext {
  districts: DistrictRepository;
  contacts: ContactRepository;
  reports: RequestReportRepository;
  serviceCategories: ServiceCategoryRepository;
  serviceRequests: ServiceRequestRepository;
  /** Arms and disarms requests' escalations; a no-op unless the server was given one. */
  escalations: EscalationScheduler;
  syncSources: SyncSourceRepository;
  syncRuns: SyncRunRepository;
  syncQuarantine: SyncQuarantineRepository;
}
