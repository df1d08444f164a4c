import type { SubgraphContext } from "@situation/subgraph-kit";
import type { DistrictRepository } from "./district/district.repository.js";

/** What every resolver of this subgraph receives: the kit's identity and logger, plus our repositories. */
export interface CityContext extends SubgraphContext {
  districts: DistrictRepository;
}
