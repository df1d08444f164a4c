import type { Logger } from "@situation/platform";
import type { BusinessRepository } from "../business/business.repository.js";
import { demoBusinesses } from "./demo-businesses.js";

export interface BusinessSeedResult {
  /** False when businesses were already there and nothing was written. */
  seeded: boolean;
  businesses: number;
}

/** Writes the demo businesses of Kruševac if the collection is empty; otherwise leaves it as it is. */
export async function seedBusinessesIfEmpty(businesses: BusinessRepository, logger?: Logger): Promise<BusinessSeedResult> {
  const existing = await businesses.count();
  if (existing > 0) {
    logger?.info({ businesses: existing }, "businesses present; demo seed skipped");
    return { seeded: false, businesses: existing };
  }
  // districtId is for tests; the store finds a business's district from its location.
  const demo = demoBusinesses().map(({ districtId: _districtId, ...business }) => business);
  await businesses.upsertMany(demo);
  logger?.info({ businesses: demo.length }, "demo businesses of Kruševac seeded");
  return { seeded: true, businesses: demo.length };
}
