import type { ChangeEventPublisher, Logger, MongoConnection } from "@situation/platform";
import { ContactRepository } from "./contact-log/contact.repository.js";
import { DistrictRepository } from "./district/district.repository.js";
import { RequestReportRepository } from "./reports/request-report.repository.js";
import { ServiceCategoryRepository } from "./service-catalog/service-catalog.repository.js";
import { ServiceRequestRepository } from "./service-request/service-request.repository.js";
import type { SyncScheduler } from "./sync-source/sync-scheduler.js";
import { SyncQuarantineRepository, SyncRunRepository } from "./sync-source/sync-run.repository.js";
import { SyncSourceRepository } from "./sync-source/sync-source.repository.js";

/** This subgraph owns the `city` database; nothing else names it. */
export const CITY_DATABASE = "city";

export interface CityRepositories {
  districts: DistrictRepository;
  contacts: ContactRepository;
  reports: RequestReportRepository;
  serviceCategories: ServiceCategoryRepository;
  serviceRequests: ServiceRequestRepository;
  syncSources: SyncSourceRepository;
  syncRuns: SyncRunRepository;
  syncQuarantine: SyncQuarantineRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openCityRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: {
    now?: () => Date;
    databaseName?: string;
    /** Told about every change to a sync source's schedule; none (the worker reconciles) when absent. */
    syncScheduler?: SyncScheduler;
    logger?: Logger;
    /** Told about requests received, changing status and escalated (docs/live-events.md); nobody when absent. */
    events?: ChangeEventPublisher;
  } = {},
): CityRepositories {
  const db = mongo.db(options.databaseName ?? CITY_DATABASE);
  const districts = new DistrictRepository(db, options.now);
  // The contact log asks whether a request exists and records its first contact (serviceRequests is set below).
  const contacts = new ContactRepository(
    db,
    {
      exists: async (id) => (await serviceRequests.findById(id)) !== undefined,
      recordFirstContacts: (firsts) => serviceRequests.recordFirstContacts(firsts),
    },
    options.now,
  );
  const reports = new RequestReportRepository(db);
  const serviceCategories = new ServiceCategoryRepository(db, districts, options.now);
  const serviceRequests = new ServiceRequestRepository(db, {
    districts,
    categories: serviceCategories,
    ...(options.now ? { now: options.now } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const syncSources = new SyncSourceRepository(db, {
    ...(options.syncScheduler ? { scheduler: options.syncScheduler } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const syncRuns = new SyncRunRepository(db);
  const syncQuarantine = new SyncQuarantineRepository(db);
  return {
    districts,
    contacts,
    reports,
    serviceCategories,
    serviceRequests,
    syncSources,
    syncRuns,
    syncQuarantine,
    async ensureIndexes() {
      await districts.ensureIndexes();
      await contacts.ensureIndexes();
      await reports.ensureIndexes();
      await serviceCategories.ensureIndexes();
      await serviceRequests.ensureIndexes();
      await syncSources.ensureIndexes();
      await syncRuns.ensureIndexes();
      await syncQuarantine.ensureIndexes();
    },
  };
}
