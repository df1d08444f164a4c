import { Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { compileProjection } from "./projection.js";

const id = new ObjectId();
const stored: Doc = {
  _id: id,
  name: "pothole",
  count: new Int32(3),
  score: new Double(5),
  amount: Decimal128.fromString("1.10"),
  big: Long.fromNumber(2 ** 40),
  address: { street: "Main", number: new Int32(7), zip: "1000" },
  tags: ["road", "urgent", "night", "north"],
  grades: [
    { subject: "math", mark: new Int32(80) },
    { subject: "art", mark: new Int32(95) },
    { subject: "music", mark: new Int32(90) },
  ],
};

function project(spec: Doc | undefined, doc: Doc = stored, filter?: Doc): Doc {
  return compileProjection(spec, filter)(doc);
}

function codeOf(action: () => unknown): number | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof MongoCommandError) return error.code;
    throw error;
  }
  return undefined;
}

describe("compileProjection", () => {
  it("returns the document itself for an undefined or empty projection", () => {
    expect(project(undefined)).toBe(stored);
    expect(project({})).toBe(stored);
  });

  it("includes fields in the document's order with _id, keeping their exact BSON values", () => {
    const projected = project({ score: 1, name: true, amount: new Int32(1), big: 1 });
    expect(Object.keys(projected)).toEqual(["_id", "name", "score", "amount", "big"]);
    expect(projected._id).toBe(id);
    expect(projected.score).toBeInstanceOf(Double);
    expect((projected.amount as Decimal128).toString()).toBe("1.10");
    expect(projected.big).toBe(stored.big);
  });

  it("leaves _id out when asked, in inclusion and exclusion", () => {
    expect(project({ _id: 0, name: 1 })).toEqual({ name: "pothole" });
    expect(Object.keys(project({ _id: 0 }))).toEqual(Object.keys(stored).slice(1));
    expect(project({ _id: 1 })).toEqual({ _id: id });
    expect(project({ "_id.a": 1 }, { _id: { a: 1, b: 2 }, c: 3 })).toEqual({ _id: { a: 1 } });
  });

  it("excludes fields and keeps the rest in order", () => {
    const projected = project({ tags: 0, grades: false, "address.zip": 0 });
    expect(Object.keys(projected)).toEqual(["_id", "name", "count", "score", "amount", "big", "address"]);
    expect(projected.address).toEqual({ street: "Main", number: new Int32(7) });
    expect(stored.address).toHaveProperty("zip"); // the stored document is untouched
  });

  it("refuses to mix inclusion and exclusion with MongoDB's codes", () => {
    expect(codeOf(() => compileProjection({ name: 1, tags: 0 }))).toBe(31254);
    expect(codeOf(() => compileProjection({ tags: 0, name: 1 }))).toBe(31253);
    expect(codeOf(() => compileProjection({ _id: 0, name: 1 }))).toBeUndefined();
    expect(codeOf(() => compileProjection({ _id: 1, tags: 0 }))).toBeUndefined();
  });

  it("reports path collisions", () => {
    expect(codeOf(() => compileProjection({ address: 1, "address.street": 1 }))).toBe(31250);
    expect(codeOf(() => compileProjection({ "address.street": 1, address: 1 }))).toBe(31249);
  });

  it("follows dotted paths into subdocuments and through arrays of subdocuments", () => {
    expect(project({ "address.street": 1, "grades.mark": 1, _id: 0 })).toEqual({
      address: { street: "Main" },
      grades: [{ mark: new Int32(80) }, { mark: new Int32(95) }, { mark: new Int32(90) }],
    });
    expect(project({ address: { number: 1 }, _id: 0 })).toEqual({ address: { number: new Int32(7) } });
    const mixed = { _id: 1, a: [{ b: 1, c: 2 }, 5, { c: 3 }, [{ b: 4 }]] };
    expect(project({ "a.b": 1 }, mixed)).toEqual({ _id: 1, a: [{ b: 1 }, {}, [{ b: 4 }]] });
    expect(project({ "a.b": 0 }, mixed)).toEqual({ _id: 1, a: [{ c: 2 }, 5, { c: 3 }, [{}]] });
  });

  it("slices arrays with $slice, alone keeping every other field", () => {
    expect(project({ tags: { $slice: 2 } }).tags).toEqual(["road", "urgent"]);
    expect(Object.keys(project({ tags: { $slice: 2 } }))).toEqual(Object.keys(stored));
    expect(project({ tags: { $slice: -1 } }).tags).toEqual(["north"]);
    expect(project({ tags: { $slice: [1, 2] } }).tags).toEqual(["urgent", "night"]);
    expect(project({ tags: { $slice: [-3, 2] } }).tags).toEqual(["urgent", "night"]);
    expect(project({ name: 1, tags: { $slice: 1 } })).toEqual({ _id: id, name: "pothole", tags: ["road"] });
    expect(project({ name: { $slice: 1 } }).name).toBe("pothole");
  });

  it("projects the first element matching $elemMatch, and nothing when none matches", () => {
    expect(project({ grades: { $elemMatch: { mark: { $gte: 90 } } } })).toEqual({ _id: id, grades: [stored.grades && (stored.grades as Doc[])[1]] });
    expect(project({ grades: { $elemMatch: { mark: { $gt: 100 } } } })).toEqual({ _id: id });
  });

  it("projects the element a positional field.$ points at, from the filter", () => {
    expect(project({ "grades.$": 1 }, stored, { "grades.mark": { $gte: 90 } }).grades).toEqual([(stored.grades as Doc[])[1]]);
    expect(project({ "tags.$": 1, name: 1 }, stored, { $and: [{ tags: "night" }] })).toEqual({ _id: id, name: "pothole", tags: ["night"] });
    expect(codeOf(() => project({ "tags.$": 1 }, stored, { tags: "none" }))).toBe(51246);
  });

  it("evaluates computed fields after the included ones", () => {
    const projected = project({ total: { $add: ["$count", 2] }, name: 1, copy: "$score", one: { $literal: 1 }, label: "fixed" });
    expect(Object.keys(projected)).toEqual(["_id", "name", "total", "copy", "one", "label"]);
    expect(projected.total).toEqual(new Int32(5));
    expect(projected.copy).toBe(stored.score);
    expect(projected.one).toEqual(new Int32(1));
    expect(projected.label).toBe("fixed");
    expect(project({ street: "$address.street", marks: "$grades.mark", missing: "$nope", _id: 0 })).toEqual({
      street: "Main",
      marks: [new Int32(80), new Int32(95), new Int32(90)],
    });
    expect(project({ "address.city": { $toUpper: "$name" }, _id: 0 })).toEqual({ address: { city: "POTHOLE" } });
  });

  it("rejects expressions in an exclusion projection", () => {
    expect(codeOf(() => compileProjection({ tags: 0, total: { $add: [1, 2] } }))).toBe(31253);
  });
});
