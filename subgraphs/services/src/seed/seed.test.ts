import { createLogger, connectMongo, type MongoConnection } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServicesRepositories } from "../repositories.js";
import { TEST_NOW, testConfig, uniqueDatabaseName } from "../test-support/services-test-stack.js";
import { DEMO_OUTAGE_COUNT, DEMO_PROVIDERS, KRUSEVAC_CENTRE, demoOutages } from "./demo-data.js";
import { seedIfEmpty } from "./seed.js";

describe("the Kruševac demo seed", () => {
  let mongo: MongoConnection;
  const config = testConfig();
  const logger = createLogger(config, "seed-test");

  beforeAll(async () => {
    mongo = await connectMongo(config, { logger });
  });
  afterAll(async () => {
    await mongo?.close();
  });

  it("fills an empty database once, and leaves a seeded one alone", async () => {
    const repositories = openServicesRepositories(mongo, { databaseName: uniqueDatabaseName(), now: () => TEST_NOW });
    await repositories.ensureIndexes();
    const first = await seedIfEmpty({ ...repositories, logger, now: TEST_NOW });
    expect(first).toEqual({ seeded: true, providers: DEMO_PROVIDERS.length, outages: DEMO_OUTAGE_COUNT });
    const second = await seedIfEmpty({ ...repositories, logger, now: TEST_NOW });
    expect(second.seeded).toBe(false);
    expect(await repositories.outages.count()).toBe(DEMO_OUTAGE_COUNT);

    // Some demo outages are active now in the city centre, so the demo's district query shows some.
    const centre = {
      type: "Polygon" as const,
      coordinates: [
        [
          [KRUSEVAC_CENTRE.longitude - 0.05, KRUSEVAC_CENTRE.latitude - 0.04],
          [KRUSEVAC_CENTRE.longitude + 0.05, KRUSEVAC_CENTRE.latitude - 0.04],
          [KRUSEVAC_CENTRE.longitude + 0.05, KRUSEVAC_CENTRE.latitude + 0.04],
          [KRUSEVAC_CENTRE.longitude - 0.05, KRUSEVAC_CENTRE.latitude + 0.04],
          [KRUSEVAC_CENTRE.longitude - 0.05, KRUSEVAC_CENTRE.latitude - 0.04],
        ],
      ],
    };
    expect((await repositories.outages.findActiveIntersecting(centre)).length).toBeGreaterThan(10);
  });

  it("places every demo outage within about 4 km of the centre and gives every kind a provider", () => {
    const records = demoOutages(TEST_NOW);
    const providerIds = new Set(DEMO_PROVIDERS.map((provider) => provider.id));
    for (const record of records) {
      expect(providerIds.has(record.providerId)).toBe(true);
      const ring = (record.affectedArea.coordinates as number[][][])[0] as number[][];
      for (const [longitude, latitude] of ring as [number, number][]) {
        expect(Math.abs(longitude - KRUSEVAC_CENTRE.longitude)).toBeLessThan(0.06);
        expect(Math.abs(latitude - KRUSEVAC_CENTRE.latitude)).toBeLessThan(0.04);
      }
    }
    expect(new Set(records.map((record) => record.kind)).size).toBe(5);
  });
});
