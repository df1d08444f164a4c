import type { SubgraphContext } from "@situation/subgraph-kit";
import type { BusinessApiKeys } from "./api-key/business-api-keys.js";
import type { BusinessRepository } from "./business/business.repository.js";
import type { ReportRepository } from "./report/report.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface BusinessContext extends SubgraphContext {
  businesses: BusinessRepository;
  apiKeys: BusinessApiKeys;
  reports: ReportRepository;
}
