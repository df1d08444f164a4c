import type { Logger } from "@situation/platform";
import type { DistrictRepository } from "./district.repository.js";
import { KRUSEVAC_DISTRICTS } from "./district.seed-data.js";

export interface DistrictSeedResult {
  /** False when districts were already there and nothing was written. */
  seeded: boolean;
  districts: number;
}

/**
 * Writes the demo districts of Kruševac if the collection is empty. A database that already has
 * districts (real ones, or an earlier seed) is left as it is.
 */
export async function seedDistrictsIfEmpty(districts: DistrictRepository, logger?: Logger): Promise<DistrictSeedResult> {
  const existing = await districts.count();
  if (existing > 0) {
    logger?.info({ districts: existing }, "districts present; demo seed skipped");
    return { seeded: false, districts: existing };
  }
  await districts.upsertMany(KRUSEVAC_DISTRICTS);
  logger?.info({ districts: KRUSEVAC_DISTRICTS.length }, "demo districts of Kruševac seeded");
  return { seeded: true, districts: KRUSEVAC_DISTRICTS.length };
}
