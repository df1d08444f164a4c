import { describe, expect, it } from "vitest";
import type { DistrictSituation } from "../outage/outage.repository.js";
import type { Outage } from "../outage/outage.model.js";
import { DistrictSituationLoader } from "./district-situation-loader.js";

function fakeOutages() {
  const calls: { districtIds: string[]; outages: boolean; outageFields?: string[] }[] = [];
  return {
    calls,
    districtSituations: async (districtIds: readonly string[], options: { outages: boolean; outageFields?: Iterable<string> }) => {
      calls.push({
        districtIds: [...districtIds],
        outages: options.outages,
        ...(options.outageFields ? { outageFields: [...options.outageFields].sort() } : {}),
      });
      return new Map(
        districtIds.map((districtId): [string, DistrictSituation] => [
          districtId,
          { outages: options.outages ? [{ id: `${districtId}-outage` } as Outage] : [], peopleAffectedNow: districtId.length },
        ]),
      );
    },
  };
}

describe("DistrictSituationLoader", () => {
  it("answers the districts asked for in one tick with one query, and a later tick with another", async () => {
    const store = fakeOutages();
    const loader = new DistrictSituationLoader(store);
    expect(await Promise.all([loader.peopleAffectedNow("centar"), loader.peopleAffectedNow("bagdala"), loader.peopleAffectedNow("centar")])).toEqual([
      6, 7, 6,
    ]);
    expect(store.calls).toEqual([{ districtIds: ["centar", "bagdala"], outages: false }]);
    expect(await loader.peopleAffectedNow("jasika")).toBe(6);
    expect(store.calls).toHaveLength(2);
  });

  it("reads outages and people of every district in the same query when any field of the tick wants the outages", async () => {
    const store = fakeOutages();
    const loader = new DistrictSituationLoader(store);
    const [people, outages, otherOutages] = await Promise.all([
      loader.peopleAffectedNow("centar"),
      loader.activeOutages("centar"),
      loader.activeOutages("bagdala"),
    ]);
    expect(store.calls).toEqual([{ districtIds: ["centar", "bagdala"], outages: true }]);
    expect(people).toBe(6);
    expect(outages.map((outage) => outage.id)).toEqual(["centar-outage"]);
    expect(otherOutages.map((outage) => outage.id)).toEqual(["bagdala-outage"]);
  });

  it("asks the store for the union of the outage fields the tick's callers read, or for all when one wants all", async () => {
    const store = fakeOutages();
    const loader = new DistrictSituationLoader(store);
    await Promise.all([loader.activeOutages("centar", ["id", "status"]), loader.activeOutages("bagdala", ["id", "provider"])]);
    expect(store.calls.at(-1)).toEqual({ districtIds: ["centar", "bagdala"], outages: true, outageFields: ["id", "provider", "status"] });
    await Promise.all([loader.activeOutages("centar", ["id"]), loader.activeOutages("bagdala"), loader.activeOutages("jasika", ["kind"])]);
    expect(store.calls.at(-1)).toEqual({ districtIds: ["centar", "bagdala", "jasika"], outages: true });
  });

  it("passes a failed query on to every district of the batch", async () => {
    const loader = new DistrictSituationLoader({ districtSituations: () => Promise.reject(new Error("store down")) });
    const results = await Promise.allSettled([loader.peopleAffectedNow("a"), loader.activeOutages("b")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
