import { Int32, Long } from "bson";
import { describe, expect, it } from "vitest";
import { filterImplies } from "./query-plan.js";

describe("filterImplies: may a partial index answer a filter", () => {
  it("accepts the partial expression's own conditions, also under $and", () => {
    expect(filterImplies({ source: { $type: "string" }, externalId: "a" }, { source: { $type: "string" } })).toBe(true);
    expect(filterImplies({ $and: [{ source: { $type: "string" } }, { externalId: "a" }] }, { source: { $type: "string" } })).toBe(true);
  });

  it("derives $type, $exists and ranges from an equality on the same field", () => {
    expect(filterImplies({ source: "feed-1", externalId: "a" }, { source: { $type: "string" } })).toBe(true);
    expect(filterImplies({ source: { $eq: "feed-1" } }, { source: { $exists: true } })).toBe(true);
    expect(filterImplies({ n: 5 }, { n: { $gt: 0 } })).toBe(true);
    expect(filterImplies({ n: new Int32(5) }, { n: { $gte: 5, $type: "number" } })).toBe(true);
    expect(filterImplies({ n: Long.fromNumber(5) }, { n: { $type: "long" } })).toBe(true);
    expect(filterImplies({ at: new Date("2026-01-01") }, { at: { $type: "date" } })).toBe(true);
    expect(filterImplies({ status: "active" }, { status: "active" })).toBe(true);
    expect(filterImplies({ "a.b": "x" }, { "a.b": { $exists: true } })).toBe(true);
  });

  it("derives them from $in only when every listed value passes", () => {
    expect(filterImplies({ source: { $in: ["a", "b"] } }, { source: { $type: "string" } })).toBe(true);
    expect(filterImplies({ source: { $in: ["a", 1] } }, { source: { $type: "string" } })).toBe(false);
    expect(filterImplies({ n: { $in: [1, 2, 3] } }, { n: { $gt: 1 } })).toBe(false);
  });

  it("refuses whatever it cannot prove", () => {
    // A different value, type or field.
    expect(filterImplies({ source: 42 }, { source: { $type: "string" } })).toBe(false);
    expect(filterImplies({ n: 0 }, { n: { $gt: 0 } })).toBe(false);
    expect(filterImplies({ other: "x" }, { source: { $type: "string" } })).toBe(false);
    // null also matches a missing field; a range or a regex pins no single value.
    expect(filterImplies({ source: null }, { source: { $exists: true } })).toBe(false);
    expect(filterImplies({ n: { $gt: 5 } }, { n: { $gt: 0 } })).toBe(false);
    expect(filterImplies({ source: /feed/ }, { source: { $type: "string" } })).toBe(false);
    // Arrays and documents compare whole; $exists: false is a negation.
    expect(filterImplies({ tags: ["a"] }, { tags: { $type: "string" } })).toBe(false);
    expect(filterImplies({ source: "x" }, { source: { $exists: false } })).toBe(false);
    // One unproven condition is enough to refuse.
    expect(filterImplies({ source: "x" }, { source: { $type: "string" }, externalId: { $exists: true } })).toBe(false);
  });
});
