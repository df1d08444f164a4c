import type { MongoConnection } from "@situation/platform";
import { ContactRepository } from "./contact-log/contact.repository.js";
import { DistrictRepository } from "./district/district.repository.js";
import { RequestReportRepository } from "./reports/request-report.repository.js";
import { ServiceCategoryRepository } from "./service-catalog/service-catalog.repository.js";
import { ServiceRequestRepository } from "./service-request/service-request.repository.js";

/** This subgraph owns the `city` database; nothing else names it. */
export const CITY_DATABASE = "city";

export interface CityRepositories {
  districts: DistrictRepository;
  contacts: ContactRepository;
  reports: RequestReportRepository;
  serviceCategories: ServiceCategoryRepository;
  serviceRequests: ServiceRequestRepository;
  /** Creates the collections' indexes; idempotent, so every process that writes calls it at start. */
  ensureIndexes(): Promise<void>;
}

export function openCityRepositories(
  mongo: Pick<MongoConnection, "db">,
  options: { now?: () => Date; databaseName?: string } = {},
): CityRepositories {
  const db = mongo.db(options.databaseName ?? CITY_DATABASE);
  const districts = new DistrictRepository(db, options.now);
  // The contact log asks the service requests only whether one exists (serviceRequests is set below).
  const contacts = new ContactRepository(db, { exists: async (id) => (await serviceRequests.findById(id)) !== undefined }, options.now);
  const reports = new RequestReportRepository(db);
  const serviceCategories = new ServiceCategoryRepository(db, districts, options.now);
  const serviceRequests = new ServiceRequestRepository(db, {
    districts,
    categories: serviceCategories,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    districts,
    contacts,
    reports,
    serviceCategories,
    serviceRequests,
    async ensureIndexes() {
      await districts.ensureIndexes();
      await contacts.ensureIndexes();
      await reports.ensureIndexes();
      await serviceCategories.ensureIndexes();
      await serviceRequests.ensureIndexes();
    },
  };
}
