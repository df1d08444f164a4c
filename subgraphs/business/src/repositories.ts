import type { MongoConnection } from "@situation/platform";
import { BusinessRepository } from "./business/business.repository.js";

/** This subgraph owns the `business` database; nothing else names it. */
export const BUSINESS_DATABASE = "business";

export interface BusinessRepositories {
  businesses: BusinessRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openBusinessRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: { now?: () => Date; databaseName?: string } = {},
): BusinessRepositories {
  const db = mongo.db(options.databaseName ?? BUSINESS_DATABASE);
  const businesses = new BusinessRepository(db, options.now);
  return {
    businesses,
    async ensureIndexes() {
      await businesses.ensureIndexes();
    },
  };
}
