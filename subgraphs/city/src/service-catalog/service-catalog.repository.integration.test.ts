import { UserInputError } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DistrictRepository } from "../district/district.repository.js";
import { seedDistrictsIfEmpty } from "../district/district.seed.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import { route } from "./service-catalog.model.js";
import { ServiceCategoryRepository, type ServiceCategoryUpsert } from "./service-catalog.repository.js";
import { KRUSEVAC_SERVICE_CATALOG, seedServiceCatalogIfEmpty } from "./service-catalog.seed.js";

let store: TestStore;
let categories: ServiceCategoryRepository;
const now = new Date("2026-03-01T08:00:00.000Z");

beforeAll(async () => {
  store = await startTestStore();
  const db = store.mongo.db(store.databaseName);
  const districts = new DistrictRepository(db);
  await districts.ensureIndexes();
  await seedDistrictsIfEmpty(districts);
  categories = new ServiceCategoryRepository(db, districts, () => now);
  await categories.ensureIndexes();
});

afterAll(async () => {
  await store?.close();
});

const PROVIDERS = ["jkp-vodovod-krusevac", "jkp-gradska-toplana-krusevac", "jkp-krusevac", "elektrodistribucija-krusevac", "gradski-prevoz-krusevac"];

describe("the service catalog", () => {
  it("seeds the Kruševac catalog once, with the services seed's providers or city departments", async () => {
    expect(await seedServiceCatalogIfEmpty(categories)).toEqual({ seeded: true, categories: KRUSEVAC_SERVICE_CATALOG.length });
    expect(await seedServiceCatalogIfEmpty(categories)).toEqual({ seeded: false, categories: KRUSEVAC_SERVICE_CATALOG.length });
    const all = await categories.findAll();
    expect(all.map((category) => category._id)).toEqual(
      [
        "administrative-information",
        "green-areas",
        "heating",
        "noise",
        "parking",
        "public-lighting",
        "public-transport",
        "roads",
        "stray-animals",
        "waste",
        "water",
      ],
    );
    for (const category of all) {
      if (category.responsible.kind === "provider") expect(PROVIDERS).toContain(category.responsible.id);
      expect(category.slaFirstResponseHours).toBeLessThanOrEqual(category.slaResolutionHours);
      expect(category.active).toBe(true);
    }
    // Every provider of the services seed answers some category.
    expect(new Set(all.filter((c) => c.responsible.kind === "provider").map((c) => c.responsible.id))).toEqual(new Set(PROVIDERS));
  });

  it("routes by district rule first, then by the category", async () => {
    const roads = (await categories.findByCode("roads"))!;
    expect(route(roads, "tekija")).toEqual({ kind: "department", id: "rural-roads" });
    expect(route(roads, "centar")).toEqual({ kind: "department", id: "roads" });
    expect(route(roads, undefined)).toEqual({ kind: "department", id: "roads" });
  });

  it("upserts a category by code and hides an inactive one from the default list", async () => {
    const input: ServiceCategoryUpsert = {
      code: "graffiti",
      nameCyrillic: "Графити",
      nameLatin: "Grafiti",
      responsible: { kind: "department", id: "communal-inspection" },
      slaFirstResponseHours: 24,
      slaResolutionHours: 240,
      requiredFields: ["location", "attachments", "location"],
      routingRules: [{ districtId: "centar", responsible: { kind: "provider", id: "jkp-krusevac" } }],
    };
    expect(await categories.upsert(input)).toMatchObject({ _id: "graffiti", requiredFields: ["location", "attachments"], active: true, updatedAt: now });
    await categories.upsert({ ...input, active: false });
    expect((await categories.findAll()).map((category) => category._id)).not.toContain("graffiti");
    expect((await categories.findAll({ includeInactive: true })).map((category) => category._id)).toContain("graffiti");
  });

  it("refuses bad input naming the field, and writes nothing", async () => {
    const valid: ServiceCategoryUpsert = {
      code: "potholes",
      nameCyrillic: "Ударне рупе",
      nameLatin: "Udarne rupe",
      responsible: { kind: "department", id: "roads" },
      slaFirstResponseHours: 24,
      slaResolutionHours: 72,
    };
    const cases: [ServiceCategoryUpsert, string][] = [
      [{ ...valid, code: "Pot Holes" }, "code"],
      [{ ...valid, nameLatin: "  " }, "nameLatin"],
      [{ ...valid, nameCyrillic: "я".repeat(121) }, "nameCyrillic"],
      [{ ...valid, responsible: { kind: "contractor" as never, id: "roads" } }, "responsible.kind"],
      [{ ...valid, responsible: { kind: "department", id: "" } }, "responsible.id"],
      [{ ...valid, slaFirstResponseHours: 0 }, "slaFirstResponseHours"],
      [{ ...valid, slaResolutionHours: 1.5 }, "slaResolutionHours"],
      [{ ...valid, slaFirstResponseHours: 100 }, "slaFirstResponseHours"],
      [{ ...valid, requiredFields: ["blood-type"] }, "requiredFields"],
      [{ ...valid, routingRules: [{ districtId: "atlantis", responsible: { kind: "department", id: "roads" } }] }, "routingRules[0].districtId"],
      [
        {
          ...valid,
          routingRules: [
            { districtId: "centar", responsible: { kind: "department", id: "roads" } },
            { districtId: "centar", responsible: { kind: "department", id: "roads" } },
          ],
        },
        "routingRules[1].districtId",
      ],
      [{ ...valid, routingRules: [{ districtId: "centar", responsible: { kind: "department", id: "A B" } }] }, "routingRules[0].responsible.id"],
    ];
    for (const [input, field] of cases) {
      const error = await categories.upsert(input).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, field).toBeInstanceOf(UserInputError);
      expect((error as UserInputError).field).toBe(field);
    }
    expect(await categories.findByCode("potholes")).toBeUndefined();
  });
});
