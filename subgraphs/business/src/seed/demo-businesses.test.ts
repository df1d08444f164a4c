import { findSeedDistrictContaining, KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { describe, expect, it } from "vitest";
import { parseOpeningHours } from "../registry/opening-hours.js";
import { registryNumberProblem, taxIdProblem } from "../registry/registry-numbers.js";
import { DEMO_BUSINESS_COUNT, demoBusinesses } from "./demo-businesses.js";

describe("the demo businesses", () => {
  const businesses = demoBusinesses();

  it("are a few hundred, the same on every call", () => {
    expect(businesses).toHaveLength(DEMO_BUSINESS_COUNT);
    expect(demoBusinesses()).toEqual(businesses);
  });

  it("have valid registry numbers and tax ids (check digits included), and hours that parse", () => {
    for (const business of businesses) {
      expect(registryNumberProblem(business.registryNumber), business.id).toBeUndefined();
      expect(taxIdProblem(business.taxId), business.id).toBeUndefined();
      expect(() => parseOpeningHours(business.openingHours!), business.id).not.toThrow();
    }
    expect(new Set(businesses.map((business) => business.taxId)).size).toBe(businesses.length);
  });

  it("have unique ids, names and 8-digit registry numbers", () => {
    const unique = (values: string[]) => new Set(values).size;
    expect(unique(businesses.map((business) => business.id))).toBe(businesses.length);
    expect(unique(businesses.map((business) => business.name))).toBe(businesses.length);
    expect(unique(businesses.map((business) => business.registryNumber))).toBe(businesses.length);
    for (const business of businesses) expect(business.registryNumber).toMatch(/^\d{8}$/);
  });

  it("cover the everyday activities of a city", () => {
    const codes = new Set(businesses.map((business) => business.activity.code));
    // Pharmacy, bakery, fuel station, supermarket, hotel.
    for (const code of ["47.73", "10.71", "47.30", "47.11", "55.10"]) expect(codes).toContain(code);
  });

  it("lie inside the district they were placed in, and every district has some", () => {
    for (const business of businesses) {
      expect(findSeedDistrictContaining(business.location.coordinates)?.id, business.id).toBe(business.districtId);
    }
    const districtsWithBusinesses = new Set(businesses.map((business) => business.districtId));
    expect(districtsWithBusinesses.size).toBe(KRUSEVAC_DISTRICTS.length);
  });
});
