import type { SubgraphContext } from "@situation/subgraph-kit";
import type { PeopleAffectedLoader } from "./district/people-affected-loader.js";
import type { OutageRepository } from "./outage/outage.repository.js";
import type { ProviderRepository } from "./provider/provider.repository.js";
import type { ServiceStatusRepository } from "./service-status/service-status.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface ServicesContext extends SubgraphContext {
  providers: ProviderRepository;
  outages: OutageRepository;
  serviceStatuses: ServiceStatusRepository;
  /** Per request: batches District.peopleAffectedNow. */
  peopleAffected: PeopleAffectedLoader;
}
