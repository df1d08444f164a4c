import type { Logger } from "@situation/platform";
import type { OutageRepository } from "../outage/outage.repository.js";
import type { ProviderRepository } from "../provider/provider.repository.js";
import { DEMO_PROVIDERS, DEMO_SOURCE, demoOutages } from "./demo-data.js";

export interface SeedResult {
  seeded: boolean;
  providers: number;
  outages: number;
}

/**
 * Loads the Kruševac demo data when the services database has no providers yet. The outages go
 * through the same idempotent feed upsert as real imports, under the source `demo-seed`.
 */
export async function seedIfEmpty(options: {
  providers: ProviderRepository;
  outages: OutageRepository;
  logger: Logger;
  now?: Date;
}): Promise<SeedResult> {
  if ((await options.providers.count()) > 0) {
    options.logger.debug("services database already has providers; not seeding");
    return { seeded: false, providers: 0, outages: 0 };
  }
  await options.providers.upsertMany(DEMO_PROVIDERS);
  const result = await options.outages.upsertFromFeed(DEMO_SOURCE, demoOutages(options.now ?? new Date()));
  options.logger.info({ providers: DEMO_PROVIDERS.length, outages: result.inserted }, "seeded the Kruševac demo data");
  return { seeded: true, providers: DEMO_PROVIDERS.length, outages: result.inserted + result.updated };
}
