import type { ChangeEventPublisher, MongoConnection } from "@situation/platform";
import { openEnvironmentRepositories, type EnvironmentRepositories } from "./environment/environment.repositories.js";
import { OutageRepository } from "./outage/outage.repository.js";
import { ProviderRepository } from "./provider/provider.repository.js";
import { ServiceStatusRepository } from "./service-status/service-status.repository.js";

/** This subgraph owns the `services` database; nothing else names it. */
export const SERVICES_DATABASE = "services";

export interface ServicesRepositories {
  providers: ProviderRepository;
  outages: OutageRepository;
  serviceStatuses: ServiceStatusRepository;
  /** Stations, readings (with `ingestReadings` for the sync workers), thresholds and alerts. */
  environment: EnvironmentRepositories;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openServicesRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: {
    now?: () => Date;
    databaseName?: string;
    /** READINGS_RETENTION_DAYS; give every process that writes readings the same, or they re-create the TTL index in turn. */
    readingsRetentionDays?: number;
    /** Told about every outage and alert written (docs/live-events.md); NO_CHANGE_EVENTS when absent. */
    events?: ChangeEventPublisher;
  } = {},
): ServicesRepositories {
  const db = mongo.db(options.databaseName ?? SERVICES_DATABASE);
  const providers = new ProviderRepository(db, options.now);
  const outages = new OutageRepository(db, options.now, undefined, options.events);
  const serviceStatuses = new ServiceStatusRepository(db, options.now);
  const environment = openEnvironmentRepositories(db, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.readingsRetentionDays === undefined ? {} : { retentionDays: options.readingsRetentionDays }),
    ...(options.events ? { events: options.events } : {}),
  });
  return {
    providers,
    outages,
    serviceStatuses,
    environment,
    async ensureIndexes() {
      await Promise.all([providers.ensureIndexes(), outages.ensureIndexes(), serviceStatuses.ensureIndexes(), environment.ensureIndexes()]);
    },
  };
}
