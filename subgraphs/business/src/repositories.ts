import type { ChangeEventPublisher, MongoConnection } from "@situation/platform";
import { PLATFORM_DATABASE } from "@situation/platform";
import { BusinessApiKeys } from "./api-key/business-api-keys.js";
import { BusinessRepository } from "./business/business.repository.js";
import { ReportRepository } from "./report/report.repository.js";

/** This subgraph owns the `business` database; nothing else names it. */
export const BUSINESS_DATABASE = "business";

export interface BusinessRepositories {
  businesses: BusinessRepository;
  /** Businesses' API keys, kept in the platform database where the gateway looks them up. */
  apiKeys: BusinessApiKeys;
  /** Operational reports (status, hours, occupancy, goods, incidents, events). */
  reports: ReportRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openBusinessRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: {
    now?: () => Date;
    databaseName?: string;
    platformDatabaseName?: string;
    /** Told about incidents, events and status reports filed (docs/live-events.md); nobody when absent. */
    events?: ChangeEventPublisher;
  } = {},
): BusinessRepositories {
  const db = mongo.db(options.databaseName ?? BUSINESS_DATABASE);
  const businesses = new BusinessRepository(db, options.now);
  const apiKeys = BusinessApiKeys.open(mongo, businesses, options.platformDatabaseName ?? PLATFORM_DATABASE);
  const reports = new ReportRepository(db, options.now, options.events);
  return {
    businesses,
    apiKeys,
    reports,
    async ensureIndexes() {
      await businesses.ensureIndexes();
      await reports.ensureIndexes();
    },
  };
}
