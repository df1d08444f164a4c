import type { SubgraphContext } from "@situation/subgraph-kit";
import type { BusinessRepository } from "./business/business.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface BusinessContext extends SubgraphContext {
  businesses: BusinessRepository;
}
