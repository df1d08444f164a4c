import { describe, expect, it } from "vitest";
import { fieldsReadByCollapsingStage, fieldsReadByFilter } from "./referenced-fields.js";

describe("fieldsReadByFilter", () => {
  it("names the top-level fields of paths, through logical operators", () => {
    expect(fieldsReadByFilter({ "citizen.phone": "1", $or: [{ status: "open" }, { $and: [{ "a.b": 1 }] }], $comment: "x" })).toEqual(
      new Set(["citizen", "status", "a"]),
    );
  });

  it("gives up (whole document) for operators that may read anything", () => {
    expect(fieldsReadByFilter({ $expr: { $gt: ["$a", 1] } })).toBeUndefined();
    expect(fieldsReadByFilter({ a: 1, $where: "true" })).toBeUndefined();
    expect(fieldsReadByFilter({ $jsonSchema: {} })).toBeUndefined();
  });
});

describe("fieldsReadByCollapsingStage", () => {
  it("collects the fields a $group reads, ignoring variables other than ROOT and CURRENT", () => {
    const stage = { $group: { _id: "$category", n: { $sum: 1 }, avg: { $avg: "$priority.level" }, x: { $max: "$$CURRENT.extra" }, y: { $first: "$$local" } } };
    expect(fieldsReadByCollapsingStage(stage)).toEqual(new Set(["category", "priority", "extra"]));
  });

  it("reads nothing for $count, everything for $$ROOT, and declines other stages", () => {
    expect(fieldsReadByCollapsingStage({ $count: "n" })).toEqual(new Set());
    expect(fieldsReadByCollapsingStage({ $group: { _id: null, docs: { $push: "$$ROOT" } } })).toBeUndefined();
    expect(fieldsReadByCollapsingStage({ $project: { a: 1 } })).toBeUndefined();
    expect(fieldsReadByCollapsingStage(undefined)).toBeUndefined();
  });
});

describe("fieldsReadByCollapsingStage with sort keys", () => {
  it("reads the fields $top and $bottom sort by, which are keys rather than expressions", () => {
    const stage = { $group: { _id: "$requestId", first: { $top: { sortBy: { at: 1, "meta.seq": 1 }, output: "$outcome" } } } };
    expect(fieldsReadByCollapsingStage(stage)).toEqual(new Set(["requestId", "at", "meta", "outcome"]));
  });
});
