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
