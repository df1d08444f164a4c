import "reflect-metadata";
import { describe, expect, it } from "vitest";
import type { ServiceCategoryDocument } from "../service-catalog/service-catalog.model.js";
import { answersFor, ProviderCategoriesLoader } from "./provider-categories.resolver.js";

function category(code: string, responsible: string, routedTo: string[] = []): ServiceCategoryDocument {
  const assignee = (id: string) => ({ kind: id.startsWith("dept-") ? ("department" as const) : ("provider" as const), id });
  return {
    _id: code,
    nameCyrillic: code,
    nameLatin: code,
    responsible: assignee(responsible),
    slaFirstResponseHours: 4,
    slaResolutionHours: 48,
    requiredFields: [],
    routingRules: routedTo.map((id, index) => ({ districtId: `district-${index}`, responsible: assignee(id) })),
    active: true,
    updatedAt: new Date(0),
  };
}

const CATALOG = [
  category("water", "vodovod"),
  category("sewage", "vodovod"),
  category("heating", "toplana"),
  // Roads go to a department, but in one district to the water utility (works on its own pipes).
  category("roads", "dept-roads", ["vodovod"]),
  // A department that shares the provider's id must not count as the provider.
  category("odd", "dept-vodovod"),
];

describe("Provider.serviceCategories", () => {
  it("counts a category routed to the provider everywhere or by a district rule, and only to a provider", () => {
    expect(CATALOG.filter((entry) => answersFor(entry, "vodovod")).map((entry) => entry._id)).toEqual(["water", "sewage", "roads"]);
    expect(CATALOG.filter((entry) => answersFor(entry, "toplana")).map((entry) => entry._id)).toEqual(["heating"]);
    expect(CATALOG.filter((entry) => answersFor(entry, "nobody"))).toEqual([]);
    expect(answersFor(category("x", "dept-roads"), "dept-roads")).toBe(false);
  });

  it("reads the catalog once for all the providers of one tick", async () => {
    let reads = 0;
    const loader = new ProviderCategoriesLoader({
      findAll: async () => {
        reads += 1;
        return CATALOG;
      },
    });
    const [water, heating, none] = await Promise.all([loader.load("vodovod"), loader.load("toplana"), loader.load("nobody")]);
    expect(reads).toBe(1);
    expect(water.map((entry) => entry.code)).toEqual(["water", "sewage", "roads"]);
    expect(heating.map((entry) => entry.code)).toEqual(["heating"]);
    expect(none).toEqual([]);
    await loader.load("vodovod");
    expect(reads).toBe(2);
  });
});
