/** Fixtures of the contact-center tests: seeded districts and catalog, places in the demo city, actors. */
import type { Db } from "mongodb";
import { DistrictRepository } from "../district/district.repository.js";
import { seedDistrictsIfEmpty } from "../district/district.seed.js";
import { KRUSEVAC_DISTRICTS } from "../district/district.seed-data.js";
import type { Position } from "../geo/geo-json.js";
import { ServiceCategoryRepository } from "../service-catalog/service-catalog.repository.js";
import { seedServiceCatalogIfEmpty } from "../service-catalog/service-catalog.seed.js";
import type { Actor } from "../service-request/service-request.model.js";
import { ServiceRequestRepository } from "../service-request/service-request.repository.js";

export const OPERATOR: Actor = { subject: "operator-ana", roles: ["operator"] };
export const CITIZEN: Actor = { subject: "anonymous", roles: [] };

/** The centre of a seed district. */
export function centreOf(districtId: string): Position {
  const district = KRUSEVAC_DISTRICTS.find((candidate) => candidate.id === districtId);
  if (!district) throw new Error(`no seed district ${districtId}`);
  return [...district.centre.coordinates] as Position;
}

/** A point `north` metres north and `east` metres east of `from` (flat approximation, fine within a city). */
export function offset(from: Position, north: number, east = 0): Position {
  const latitude = from[1] + north / 111_195;
  const longitude = from[0] + east / (111_195 * Math.cos((from[1] * Math.PI) / 180));
  return [longitude, latitude];
}

export function point(position: Position) {
  return { type: "Point" as const, coordinates: position };
}

export interface ContactCenterRepositories {
  districts: DistrictRepository;
  categories: ServiceCategoryRepository;
  requests: ServiceRequestRepository;
}

export async function openSeededRepositories(db: Db): Promise<ContactCenterRepositories> {
  const districts = new DistrictRepository(db);
  const categories = new ServiceCategoryRepository(db, districts);
  const requests = new ServiceRequestRepository(db, { districts, categories });
  await Promise.all([districts.ensureIndexes(), categories.ensureIndexes(), requests.ensureIndexes()]);
  await seedDistrictsIfEmpty(districts);
  await seedServiceCatalogIfEmpty(categories);
  return { districts, categories, requests };
}
