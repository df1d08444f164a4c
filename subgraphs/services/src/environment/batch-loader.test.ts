import { describe, expect, it } from "vitest";
import { BatchLoader } from "./batch-loader.js";

describe("BatchLoader", () => {
  it("answers the keys asked for in one tick with one load, a missing key with the fallback, and a later tick with another load", async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, number>(
      async (keys) => {
        calls.push([...keys]);
        return new Map(keys.filter((key) => key !== "nowhere").map((key) => [key, key.length]));
      },
      () => 0,
    );
    expect(await Promise.all([loader.load("centar"), loader.load("bagdala"), loader.load("centar"), loader.load("nowhere")])).toEqual([6, 7, 6, 0]);
    expect(calls).toEqual([["centar", "bagdala", "nowhere"]]);
    expect(await loader.load("jasika")).toBe(6);
    expect(calls).toHaveLength(2);
  });

  it("passes a failed load on to every key of the batch", async () => {
    const loader = new BatchLoader<string, number>(() => Promise.reject(new Error("store down")), () => 0);
    const results = await Promise.allSettled([loader.load("a"), loader.load("b")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
