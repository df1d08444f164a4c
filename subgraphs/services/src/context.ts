import type { SubgraphContext } from "@situation/subgraph-kit";
import type { DistrictSituationLoader } from "./district/district-situation-loader.js";
import type { EnvironmentLoaders, EnvironmentRepositories } from "./environment/environment.repositories.js";
import type { OutageRepository } from "./outage/outage.repository.js";
import type { ProviderRepository } from "./provider/provider.repository.js";
import type { ServiceStatusRepository } from "./service-status/service-status.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface ServicesContext extends SubgraphContext {
  providers: ProviderRepository;
  outages: OutageRepository;
  serviceStatuses: ServiceStatusRepository;
  /** Per request: batches District.activeOutages and District.peopleAffectedNow. */
  districtSituation: DistrictSituationLoader;
  /** Stations, readings, thresholds and alerts. */
  environment: EnvironmentRepositories;
  /** Per request: batches the district view's and station lists' environment lookups. */
  environmentLoaders: EnvironmentLoaders;
}
