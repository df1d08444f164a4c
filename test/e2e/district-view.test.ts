/**
 * The unified view: one query through the gateway that joins city (the district), services (its
 * active outages and their providers) and business (the businesses inside it), checked against
 * what the store itself says.
 */
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { demoBusinesses } from "@situation/business-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISTRICT_VIEW_QUERY, expectedDistrictView, type DistrictView } from "../support/district-view.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ name: "district-view" });
});

afterAll(async () => {
  await stack?.close();
});

describe("district(id) joined across the three subgraphs", () => {
  it("answers the centre's names, outages with providers, and businesses as the store has them", async () => {
    const answer = await stack.query<{ district: DistrictView }>(DISTRICT_VIEW_QUERY, { id: "centar" });
    const expected = await expectedDistrictView(stack.mongo, "centar");

    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.district).toEqual(expected);
    // Without these the equality above could hold for an empty join.
    expect(expected?.nameCyrillic).toBe("Центар");
    expect(expected?.activeOutages.length).toBeGreaterThan(0);
    expect(expected?.businesses.edges).toHaveLength(5);
  });

  it("counts the businesses inside the district as the seed placed them", async () => {
    const answer = await stack.query<{ district: DistrictView }>(DISTRICT_VIEW_QUERY, { id: "centar" });
    // The seed's own record of where it put each business, independent of any geo query.
    const placedInCentar = demoBusinesses().filter((business) => business.districtId === "centar").length;
    expect(placedInCentar).toBeGreaterThan(0);
    expect(answer.data?.district.businesses.totalCount).toBe(placedInCentar);
  });

  it("joins every district exactly as the store has it", async () => {
    let outagesSeen = 0;
    for (const { id } of KRUSEVAC_DISTRICTS) {
      const answer = await stack.query<{ district: DistrictView }>(DISTRICT_VIEW_QUERY, { id });
      expect(answer.errors, id).toBeUndefined();
      expect(answer.data?.district, id).toEqual(await expectedDistrictView(stack.mongo, id));
      outagesSeen += answer.data?.district.activeOutages.length ?? 0;
    }
    expect(outagesSeen).toBeGreaterThan(0);
  });

  it("answers null for an unknown district, without asking the other subgraphs to fail", async () => {
    const answer = await stack.query(DISTRICT_VIEW_QUERY, { id: "no-such-district" });
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ district: null });
  });
});

describe("districts", () => {
  it("lists every seeded district, by id, with its name in Cyrillic and in Latin script", async () => {
    const answer = await stack.query<{ districts: { id: string; nameCyrillic: string; nameLatin: string; population: number }[] }>(
      "{ districts { id nameCyrillic nameLatin population } }",
    );
    expect(answer.errors).toBeUndefined();
    const expected = [...KRUSEVAC_DISTRICTS]
      .sort((left, right) => (left.id < right.id ? -1 : 1))
      .map(({ id, nameCyrillic, nameLatin, population }) => ({ id, nameCyrillic, nameLatin, population }));
    expect(answer.data?.districts).toEqual(expected);
    expect(await stack.mongo.db("city").collection("districts").countDocuments()).toBe(expected.length);

    for (const district of answer.data?.districts ?? []) {
      // Cyrillic letters only (and spaces) in one; no Cyrillic at all in the other.
      expect(district.nameCyrillic, district.id).toMatch(/^[\u0400-\u04FF ]+$/u);
      expect(district.nameLatin, district.id).toMatch(/^[\p{Script=Latin} ]+$/u);
    }
  });
});
