import type { MongoConnection } from "@situation/platform";
import { DistrictRepository } from "./district/district.repository.js";

/** This subgraph owns the `city` database; nothing else names it. */
export const CITY_DATABASE = "city";

export interface CityRepositories {
  districts: DistrictRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openCityRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: { now?: () => Date; databaseName?: string } = {},
): CityRepositories {
  const db = mongo.db(options.databaseName ?? CITY_DATABASE);
  const districts = new DistrictRepository(db, options.now);
  return {
    districts,
    async ensureIndexes() {
      await districts.ensureIndexes();
    },
  };
}
