import { describe, expect, it } from "vitest";
import { PeopleAffectedLoader } from "./people-affected-loader.js";

describe("PeopleAffectedLoader", () => {
  it("answers the districts asked for in one tick with one query, and a later tick with another", async () => {
    const calls: string[][] = [];
    const loader = new PeopleAffectedLoader({
      peopleAffectedNow: async (districtIds) => {
        calls.push([...districtIds]);
        return new Map(districtIds.map((districtId) => [districtId, districtId.length]));
      },
    });
    expect(await Promise.all([loader.load("centar"), loader.load("bagdala"), loader.load("centar")])).toEqual([6, 7, 6]);
    expect(calls).toEqual([["centar", "bagdala"]]);
    expect(await loader.load("jasika")).toBe(6);
    expect(calls).toHaveLength(2);
  });

  it("passes a failed query on to every district of the batch", async () => {
    const loader = new PeopleAffectedLoader({ peopleAffectedNow: () => Promise.reject(new Error("store down")) });
    const results = await Promise.allSettled([loader.load("a"), loader.load("b")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
