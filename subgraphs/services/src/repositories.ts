import type { MongoConnection } from "@situation/platform";
import { OutageRepository } from "./outage/outage.repository.js";
import { ProviderRepository } from "./provider/provider.repository.js";
import { ServiceStatusRepository } from "./service-status/service-status.repository.js";

/** This subgraph owns the `services` database; nothing else names it. */
export const SERVICES_DATABASE = "services";

export interface ServicesRepositories {
  providers: ProviderRepository;
  outages: OutageRepository;
  serviceStatuses: ServiceStatusRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openServicesRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: { now?: () => Date; databaseName?: string } = {},
): ServicesRepositories {
  const db = mongo.db(options.databaseName ?? SERVICES_DATABASE);
  const providers = new ProviderRepository(db, options.now);
  const outages = new OutageRepository(db, options.now);
  const serviceStatuses = new ServiceStatusRepository(db, options.now);
  return {
    providers,
    outages,
    serviceStatuses,
    async ensureIndexes() {
      await Promise.all([providers.ensureIndexes(), outages.ensureIndexes(), serviceStatuses.ensureIndexes()]);
    },
  };
}
