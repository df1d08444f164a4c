/**
 * The demonstration service catalog of Kruševac: what citizens ask the city and its utilities about,
 * who answers, and how fast.
 *
 * DEMONSTRATION DATA: the providers are those of the services subgraph's seed; the department ids
 * and the service levels are plausible, not the city's official ones.
 */
import type { Logger } from "@situation/platform";
import type { ServiceCategoryRepository, ServiceCategoryUpsert } from "./service-catalog.repository.js";

const provider = (id: string) => ({ kind: "provider", id }) as const;
const department = (id: string) => ({ kind: "department", id }) as const;

const SUBURBS = ["bivolje", "jasika", "tekija", "dedina"];

export const KRUSEVAC_SERVICE_CATALOG: readonly ServiceCategoryUpsert[] = Object.freeze([
  {
    code: "water",
    nameCyrillic: "Вода и канализација",
    nameLatin: "Voda i kanalizacija",
    responsible: provider("jkp-vodovod-krusevac"),
    slaFirstResponseHours: 2,
    slaResolutionHours: 24,
    requiredFields: ["location"],
  },
  {
    code: "heating",
    nameCyrillic: "Грејање",
    nameLatin: "Grejanje",
    responsible: provider("jkp-gradska-toplana-krusevac"),
    slaFirstResponseHours: 4,
    slaResolutionHours: 48,
    requiredFields: ["address"],
  },
  {
    code: "waste",
    nameCyrillic: "Отпад и чистоћа",
    nameLatin: "Otpad i čistoća",
    responsible: provider("jkp-krusevac"),
    slaFirstResponseHours: 8,
    slaResolutionHours: 72,
    requiredFields: ["location"],
  },
  {
    code: "roads",
    nameCyrillic: "Путеви и тротоари",
    nameLatin: "Putevi i trotoari",
    responsible: department("roads"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 240,
    requiredFields: ["location"],
    // Local roads outside the urban block are kept by the rural roads service.
    routingRules: SUBURBS.map((districtId) => ({ districtId, responsible: department("rural-roads") })),
  },
  {
    code: "public-lighting",
    nameCyrillic: "Јавна расвета",
    nameLatin: "Javna rasveta",
    responsible: provider("elektrodistribucija-krusevac"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 120,
    requiredFields: ["location"],
  },
  {
    code: "public-transport",
    nameCyrillic: "Јавни превоз",
    nameLatin: "Javni prevoz",
    responsible: provider("gradski-prevoz-krusevac"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 168,
    requiredFields: [],
  },
  {
    code: "parking",
    nameCyrillic: "Паркирање",
    nameLatin: "Parkiranje",
    responsible: department("traffic"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 168,
    requiredFields: ["location"],
  },
  {
    code: "green-areas",
    nameCyrillic: "Зелене површине",
    nameLatin: "Zelene površine",
    responsible: provider("jkp-krusevac"),
    slaFirstResponseHours: 48,
    slaResolutionHours: 336,
    requiredFields: ["location"],
    // The Bagdala park forest is looked after by the environmental protection department.
    routingRules: [{ districtId: "bagdala", responsible: department("environmental-protection") }],
  },
  {
    code: "stray-animals",
    nameCyrillic: "Напуштене животиње",
    nameLatin: "Napuštene životinje",
    responsible: department("communal-inspection"),
    slaFirstResponseHours: 8,
    slaResolutionHours: 72,
    requiredFields: ["location"],
  },
  {
    code: "noise",
    nameCyrillic: "Бука",
    nameLatin: "Buka",
    responsible: department("environmental-protection"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 168,
    requiredFields: ["address"],
  },
  {
    code: "administrative-information",
    nameCyrillic: "Административне информације",
    nameLatin: "Administrativne informacije",
    responsible: department("city-administration"),
    slaFirstResponseHours: 24,
    slaResolutionHours: 120,
    requiredFields: [],
  },
]);

export interface ServiceCatalogSeedResult {
  seeded: boolean;
  categories: number;
}

/** Writes the demo catalog if there are no categories; an existing catalog is left as staff keep it. */
export async function seedServiceCatalogIfEmpty(
  categories: ServiceCategoryRepository,
  logger?: Logger,
): Promise<ServiceCatalogSeedResult> {
  const existing = await categories.count();
  if (existing > 0) {
    logger?.info({ categories: existing }, "service catalog present; demo seed skipped");
    return { seeded: false, categories: existing };
  }
  await categories.upsertMany(KRUSEVAC_SERVICE_CATALOG);
  logger?.info({ categories: KRUSEVAC_SERVICE_CATALOG.length }, "demo service catalog of Kruševac seeded");
  return { seeded: true, categories: KRUSEVAC_SERVICE_CATALOG.length };
}
