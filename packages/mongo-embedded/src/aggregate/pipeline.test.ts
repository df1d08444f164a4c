import { Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { joinedFieldsRead, runPipeline, type PipelineContext } from "./pipeline.js";

const orders: Doc[] = [
  { _id: new Int32(1), item: "abc", price: new Double(10), quantity: new Int32(2), tags: ["a", "b"], when: new Date("2024-03-14T10:30:00Z") },
  { _id: new Int32(2), item: "jkl", price: new Double(20), quantity: new Int32(1), tags: [], when: new Date("2024-03-15T11:00:00Z") },
  { _id: new Int32(3), item: "abc", price: new Double(10), quantity: new Int32(5), tags: ["b"], when: new Date("2024-04-01T00:00:00Z") },
  { _id: new Int32(4), item: "xyz", price: Decimal128.fromString("5.50"), quantity: new Int32(10), when: new Date("2024-04-02T00:00:00Z") },
];

const inventory: Doc[] = [
  { _id: new Int32(1), sku: "abc", instock: new Int32(120) },
  { _id: new Int32(2), sku: "def", instock: new Int32(80) },
  { _id: new Int32(3), sku: "jkl", instock: new Int32(60) },
  { _id: new Int32(4), sku: null },
  { _id: new Int32(5) },
];

const employees: Doc[] = [
  { _id: new Int32(1), name: "Dev" },
  { _id: new Int32(2), name: "Eliot", reportsTo: "Dev" },
  { _id: new Int32(3), name: "Ron", reportsTo: "Eliot" },
];

const collections: Record<string, Doc[]> = { inventory, employees, orders };

function contextWith(extra: Partial<PipelineContext> = {}): PipelineContext {
  return { collectionDocs: (name) => collections[name] ?? [], ...extra };
}

function run(pipeline: Doc[], input: Doc[] = orders, extra: Partial<PipelineContext> = {}): Doc[] {
  return runPipeline(input, pipeline, contextWith(extra));
}

function errorOf(action: () => unknown): MongoCommandError | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof MongoCommandError) return error;
    throw error;
  }
  return undefined;
}

describe("runPipeline: selecting and ordering", () => {
  it("returns the original typed documents for $match, $sort, $skip and $limit", () => {
    const results = run([{ $match: { item: "abc" } }, { $sort: { quantity: -1 } }, { $skip: 0 }, { $limit: 5 }]);
    expect(results).toHaveLength(2);
    expect(results[0]).toBe(orders[2]);
    expect(results[1]).toBe(orders[0]);
    expect(run([])).toEqual(orders);
  });

  it("uses the server's matcher, which compares numbers across BSON types", () => {
    expect(run([{ $match: { price: 5.5 } }]).map((doc) => doc._id)).toEqual([new Int32(4)]);
    expect(run([{ $match: { quantity: { $type: "int" } } }])).toHaveLength(4);
  });

  it("validates $limit and $skip", () => {
    expect(errorOf(() => run([{ $limit: 0 }]))?.code).toBe(15958);
    expect(errorOf(() => run([{ $skip: -1 }]))?.code).toBe(15956);
  });

  it("samples distinct documents", () => {
    const sample = run([{ $sample: { size: 3 } }]);
    expect(sample).toHaveLength(3);
    expect(new Set(sample).size).toBe(3);
    expect(run([{ $sample: { size: 10 } }])).toHaveLength(4);
  });
});

describe("runPipeline: validation", () => {
  it("rejects unknown stages and stages with more than one field", () => {
    const unknown = errorOf(() => run([{ $foo: {} }]));
    expect(unknown?.code).toBe(40324);
    expect(unknown?.message).toBe("Unrecognized pipeline stage name: '$foo'");
    const double = errorOf(() => run([{ $match: {}, $limit: 1 }]));
    expect(double?.code).toBe(40323);
    expect(double?.message).toBe("A pipeline stage specification object must contain exactly one field.");
  });

  it("reports mingo's complaints as command errors", () => {
    expect(errorOf(() => run([{ $group: { total: { $sum: 1 } } }]))?.code).toBe(15955);
    expect(errorOf(() => run([{ $project: { x: { $nosuchop: 1 } } }]))).toBeInstanceOf(MongoCommandError);
  });
});

describe("runPipeline: mingo stages over typed values", () => {
  it("groups with accumulators and types computed numbers", () => {
    const results = run([
      { $group: { _id: "$item", total: { $sum: "$quantity" }, avg: { $avg: "$quantity" }, count: { $sum: new Int32(1) }, prices: { $addToSet: "$price" } } },
      { $sort: { _id: 1 } },
    ]);
    expect(results.map((doc) => doc._id)).toEqual(["abc", "jkl", "xyz"]);
    expect(results[0].total).toEqual(new Int32(7));
    expect(results[0].avg).toEqual(new Double(3.5));
    expect(results[0].count).toEqual(new Int32(2));
    // Values that went through an accumulator lose Decimal128 (mingo computes on JS numbers).
    expect(results[2].prices).toEqual([new Double(5.5)]);
    expect(run([{ $group: { _id: null, n: { $sum: 1 } } }])).toEqual([{ _id: null, n: new Int32(4) }]);
    const top = run([{ $group: { _id: "$item", best: { $top: { sortBy: { quantity: -1 }, output: "$_id" } } } }, { $match: { _id: "abc" } }]);
    expect(top).toEqual([{ _id: "abc", best: new Int32(3) }]);
    const roots = run([{ $group: { _id: null, first: { $first: "$$ROOT" } } }]);
    expect((roots[0].first as Doc)).toBe(orders[0]);
  });

  it("keeps the BSON types of values that pass through", () => {
    const [first] = run([{ $project: { price: 1, quantity: 1, doubled: { $multiply: ["$quantity", 2] } } }]);
    expect(first.price).toBe(orders[0].price);
    expect(first.doubled).toEqual(new Int32(4));
    const decimal = run([{ $match: { _id: 4 } }, { $addFields: { extra: 1 } }])[0];
    expect((decimal.price as Decimal128).toString()).toBe("5.50");
    expect(decimal.when).toBe(orders[3].when);
    const pushed = run([{ $group: { _id: "$item", docs: { $push: "$$ROOT" } } }, { $match: { _id: "xyz" } }]);
    expect((pushed[0].docs as Doc[])[0]).toBe(orders[3]);
    const unwound = run([{ $project: { values: [new Double(1), new Int32(2)] } }, { $unwind: "$values" }]);
    expect(unwound.map((doc) => doc.values)).toEqual([new Double(1), new Int32(2), new Double(1), new Int32(2), new Double(1), new Int32(2), new Double(1), new Int32(2)]);
  });

  it("keeps ObjectIds and Dates, and makes large integers longs", () => {
    const oid = new ObjectId();
    const [result] = run([{ $project: { _id: 0, oid: { $literal: oid }, year: { $year: "$when" }, big: { $multiply: [2 ** 31, 4] }, when: 1 } }], [orders[0]]);
    expect(result.oid).toBe(oid);
    expect(result.year).toEqual(new Int32(2024));
    expect(result.big).toEqual(Long.fromNumber(2 ** 33));
    expect(result.when).toEqual(orders[0].when);
  });

  it("runs $unwind, $count, $sortByCount, $bucket and $dateTrunc", () => {
    expect(run([{ $unwind: "$tags" }, { $count: "n" }])).toEqual([{ n: new Int32(3) }]);
    expect(run([{ $match: { item: "none" } }, { $count: "n" }])).toEqual([]);
    expect(run([{ $sortByCount: "$item" }])[0]).toEqual({ _id: "abc", count: new Int32(2) });
    const buckets = run([{ $bucket: { groupBy: "$quantity", boundaries: [0, 5, 100], default: "other", output: { n: { $sum: 1 } } } }]);
    expect(buckets).toEqual([{ _id: new Int32(0), n: new Int32(2) }, { _id: new Int32(5), n: new Int32(2) }]);
    const withDefault = run([{ $bucket: { groupBy: "$quantity", boundaries: [0, 5], default: "other" } }]);
    expect(withDefault).toEqual([{ _id: new Int32(0), count: new Int32(2) }, { _id: "other", count: new Int32(2) }]);
    expect(errorOf(() => run([{ $bucket: { groupBy: "$quantity", boundaries: [5, 0] } }]))?.code).toBe(40194);
    const months = run([{ $group: { _id: { $dateTrunc: { date: "$when", unit: "month" } }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(months).toEqual([
      { _id: new Date("2024-03-01T00:00:00Z"), n: new Int32(2) },
      { _id: new Date("2024-04-01T00:00:00Z"), n: new Int32(2) },
    ]);
  });

  it("binds $$NOW to the context's moment and let variables from the context", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const [result] = run([{ $limit: 1 }, { $project: { _id: 0, now: "$$NOW", limit: "$$limit" } }], orders, { now, variables: { limit: new Int32(9) } });
    expect(result).toEqual({ now, limit: new Int32(9) });
    expect(run([{ $match: { $expr: { $gt: ["$quantity", "$$limit"] } } }], orders, { variables: { limit: new Int32(4) } })).toHaveLength(2);
    const past = new Date("2024-03-20T00:00:00Z");
    expect(run([{ $match: { $expr: { $lt: ["$when", "$$NOW"] } } }], orders, { now: past })).toHaveLength(2);
  });

  it("runs $replaceRoot, $unset, $set and $setWindowFields", () => {
    const rooted = run([{ $replaceRoot: { newRoot: { item: "$item", q: "$quantity" } } }, { $limit: 1 }]);
    expect(rooted).toEqual([{ item: "abc", q: new Int32(2) }]);
    expect(Object.keys(run([{ $unset: ["tags", "when"] }, { $limit: 1 }])[0])).toEqual(["_id", "item", "price", "quantity"]);
    const running = run([
      { $setWindowFields: { sortBy: { _id: 1 }, output: { running: { $sum: "$quantity", window: { documents: ["unbounded", "current"] } } } } },
    ]);
    expect(running.map((doc) => doc.running)).toEqual([new Int32(2), new Int32(3), new Int32(8), new Int32(18)]);
  });
});

describe("runPipeline: mingo's other stages", () => {
  it("runs $bucketAuto, $densify and $fill", () => {
    const auto = run([{ $bucketAuto: { groupBy: "$quantity", buckets: 2 } }]);
    expect(auto.map((doc) => doc.count)).toEqual([new Int32(2), new Int32(2)]);
    const series: Doc[] = [{ _id: 1, t: new Int32(1), v: new Double(1.5) }, { _id: 2, t: new Int32(4), v: null }];
    const densified = run([{ $densify: { field: "t", range: { step: 1, bounds: "full" } } }], series);
    expect(densified.map((doc) => doc.t)).toEqual([new Int32(1), new Int32(2), new Int32(3), new Int32(4)]);
    const filled = run([{ $fill: { sortBy: { t: 1 }, output: { v: { method: "locf" } } } }], series);
    expect(filled.map((doc) => doc.v)).toEqual([series[0].v, new Double(1.5)]);
  });
});

describe("runPipeline: other collections and sub-pipelines", () => {
  it("joins with $lookup on localField/foreignField, missing matching null", () => {
    const results = run([{ $lookup: { from: "inventory", localField: "item", foreignField: "sku", as: "stock" } }]);
    expect((results[0].stock as Doc[]).map((doc) => doc._id)).toEqual([new Int32(1)]);
    expect((results[3].stock as Doc[])).toEqual([]);
    expect(results[0].item).toBe("abc");
    expect(orders[0]).not.toHaveProperty("stock");
    const missing = run([{ $lookup: { from: "inventory", localField: "nope", foreignField: "sku", as: "stock" } }], [{ _id: 1 }]);
    expect((missing[0].stock as Doc[]).map((doc) => doc._id)).toEqual([new Int32(4), new Int32(5)]);
    const byArray = run([{ $lookup: { from: "inventory", localField: "skus", foreignField: "sku", as: "stock" } }], [{ _id: 1, skus: ["def", "jkl"] }]);
    expect((byArray[0].stock as Doc[]).map((doc) => doc.sku)).toEqual(["def", "jkl"]);
  });

  it("joins with $lookup's pipeline and let", () => {
    const results = run([
      { $match: { _id: 1 } },
      {
        $lookup: {
          from: "inventory",
          let: { wanted: "$item", min: "$quantity" },
          pipeline: [{ $match: { $expr: { $and: [{ $eq: ["$sku", "$$wanted"] }, { $gt: ["$instock", "$$min"] }] } } }, { $project: { _id: 0, instock: 1 } }],
          as: "stock",
        },
      },
    ]);
    expect(results[0].stock).toEqual([{ instock: new Int32(120) }]);
  });

  it("runs $facet, $unionWith and $graphLookup", () => {
    const [facets] = run([{ $facet: { count: [{ $count: "n" }], items: [{ $group: { _id: "$item" } }, { $sort: { _id: -1 } }] } }]);
    expect(facets).toEqual({ count: [{ n: new Int32(4) }], items: [{ _id: "xyz" }, { _id: "jkl" }, { _id: "abc" }] });
    expect(errorOf(() => run([{ $facet: { inner: [{ $facet: {} }] } }]))?.code).toBe(40600);
    const union = run([{ $project: { item: 1 } }, { $unionWith: { coll: "inventory", pipeline: [{ $match: { instock: { $gt: 70 } } }] } }]);
    expect(union).toHaveLength(6);
    expect(union[5]).toBe(inventory[1]);
    const chain = run([{ $match: { name: "Ron" } }, { $graphLookup: { from: "employees", startWith: "$reportsTo", connectFromField: "reportsTo", connectToField: "name", as: "chain" } }], employees);
    expect((chain[0].chain as Doc[]).map((doc) => doc.name).sort()).toEqual(["Dev", "Eliot"]);
  });
});

describe("runPipeline: $geoNear", () => {
  const places: Doc[] = [
    { _id: 1, name: "far", location: { type: "Point", coordinates: [new Double(13.5), new Double(52.6)] }, kind: "park" },
    { _id: 2, name: "near", location: { type: "Point", coordinates: [new Double(13.401), new Double(52.52)] }, kind: "park" },
    { _id: 3, name: "middle", location: { type: "Point", coordinates: [new Double(13.45), new Double(52.53)] }, kind: "shop" },
  ];
  const near = { type: "Point", coordinates: [13.4, 52.52] };

  it("sorts by distance in metres and sets the distance field", () => {
    const results = run([{ $geoNear: { near, distanceField: "dist.calculated", spherical: true, includeLocs: "loc" } }], places);
    expect(results.map((doc) => doc.name)).toEqual(["near", "middle", "far"]);
    const distance = ((results[0].dist as Doc).calculated as Double).value;
    expect(distance).toBeGreaterThan(50);
    expect(distance).toBeLessThan(100);
    expect(results[0].loc).toBe(places[1].location);
    expect(places[1]).not.toHaveProperty("dist");
  });

  it("applies maxDistance, minDistance, query and key", () => {
    const results = run([{ $geoNear: { near, distanceField: "d", maxDistance: 5000, minDistance: 10, query: { kind: "park" }, key: "location" } }], places);
    expect(results.map((doc) => doc.name)).toEqual(["near"]);
  });

  it("uses the geo-indexed field the context names", () => {
    const results = run([{ $geoNear: { near, distanceField: "d" } }], places, { geoIndexedFields: () => ["location"] });
    expect(results).toHaveLength(3);
    expect(errorOf(() => run([{ $geoNear: { near, distanceField: "d" } }], places, { geoIndexedFields: () => [] }))?.code).toBe(27);
  });

  it("measures legacy pairs in planar units, or radians when spherical", () => {
    const legacy: Doc[] = [
      { _id: 1, pos: [new Int32(3), new Int32(4)] },
      { _id: 2, pos: [new Int32(1), new Int32(0)] },
    ];
    const planar = run([{ $geoNear: { near: [0, 0], distanceField: "d", key: "pos" } }], legacy);
    expect(planar.map((doc) => [doc._id, (doc.d as Double).value])).toEqual([[2, 1], [1, 5]]);
    const spherical = run([{ $geoNear: { near: [0, 0], distanceField: "d", key: "pos", spherical: true, distanceMultiplier: 6378.1 } }], legacy);
    expect((spherical[0].d as Double).value).toBeCloseTo(111.3, 0);
  });

  it("must be the first stage", () => {
    expect(errorOf(() => run([{ $limit: 1 }, { $geoNear: { near, distanceField: "d" } }], places))?.code).toBe(40603);
  });
});

describe("runPipeline: performance", () => {
  it("groups 100,000 documents of about 1 KB well within a second", () => {
    const districts = ["north", "south", "east", "west", "centre"];
    const docs: Doc[] = [];
    for (let index = 0; index < 100_000; index++) {
      docs.push({
        _id: new ObjectId(),
        district: districts[index % districts.length],
        status: index % 3 === 0 ? "open" : "closed",
        priority: new Int32(index % 5),
        description: "x".repeat(700),
        location: { type: "Point", coordinates: [new Double(13 + (index % 100) / 1000), new Double(52 + (index % 77) / 1000)] },
        reporter: { name: `citizen ${index}`, email: `c${index}@example.org` },
        createdAt: new Date(1_700_000_000_000 + index * 1000),
        tags: ["a", "b"],
      });
    }
    const started = performance.now();
    const results = runPipeline(docs, [{ $group: { _id: "$district", n: { $sum: 1 }, avg: { $avg: "$priority" } } }], contextWith());
    const elapsed = performance.now() - started;
    expect(results).toHaveLength(5);
    expect(results.reduce((sum, doc) => sum + (doc.n as Int32).value, 0)).toBe(100_000);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe("$group compiled rather than interpreted (native-group.ts)", () => {
  // Documents with every shape the expressions meet: missing fields, nulls, numbers of each type,
  // dates, strings that look like paths, arrays and subdocuments.
  const HOUR = 3_600_000;
  const base = Date.UTC(2026, 0, 1);
  const statuses = ["received", "in-progress", "resolved", "closed", "rejected", "$weird", null, undefined];
  const docs: Doc[] = Array.from({ length: 240 }, (_, n) => {
    const doc: Doc = { _id: n % 7 === 0 ? new ObjectId() : `id-${n}` };
    const status = statuses[n % statuses.length];
    if (status !== undefined) doc.status = status;
    if (n % 5 !== 0) doc.category = ["water", "roads", "heating"][n % 3];
    if (n % 11 === 0) doc.category = null;
    doc.receivedAt = new Date(base + n * HOUR);
    if (n % 3 !== 0) doc.resolvedAt = new Date(base + n * HOUR + (n % 17) * HOUR);
    if (n % 4 === 0) doc.closedAt = new Date(base + (n + 40) * HOUR);
    if (n % 13 === 0) doc.resolvedAt = "not a date";
    doc.updatedAt = new Date(base + (n + 3) * HOUR);
    doc.dueAt = new Date(base + (n + 8) * HOUR);
    doc.weight = [new Int32(n % 4), new Double(n / 3), Long.fromNumber(n), Decimal128.fromString("1.5"), null, "7"][n % 6];
    doc.assignee = n % 9 === 0 ? [{ id: "a" }, { id: "b" }] : { kind: "provider", id: `p${n % 4}` };
    doc.tags = n % 2 === 0 ? ["x", "y"] : [];
    return doc;
  });
  const to = new Date(base + 200 * HOUR);
  const before = (field: string) => ({ $and: [{ $eq: [{ $type: field }, "date"] }, { $lt: [field, { $literal: to }] }] });
  const end = {
    $switch: {
      branches: [
        { case: { $in: ["$status", ["resolved", "closed"]] }, then: { $ifNull: ["$resolvedAt", "$closedAt", "$updatedAt"] } },
        { case: { $eq: ["$status", "rejected"] }, then: "$updatedAt" },
      ],
      default: null,
    },
  };
  const hoursSince = (later: unknown, earlier: unknown) => ({ $divide: [{ $subtract: [later, earlier] }, HOUR] });
  const groups: Doc[] = [
    {
      _id: "$category",
      volume: { $sum: 1 },
      weights: { $sum: "$weight" },
      resolutions: { $push: { $cond: [before("$resolvedAt"), hoursSince("$resolvedAt", "$receivedAt"), null] } },
      ends: { $push: { $let: { vars: { end }, in: { $cond: [{ $not: [before("$$end")] }, "$$end", { $literal: "$open" }] } } } },
      met: { $sum: { $cond: [{ $let: { vars: { end }, in: { $and: [before("$$end"), { $lte: ["$$end", "$dueAt"] }] } } }, 1, 0] } },
      decided: { $sum: { $cond: { if: { $or: [{ $ne: ["$status", "rejected"] }, { $gt: ["$weight", 2] }] }, then: 1, else: 0 } } },
      first: { $first: "$status" },
      last: { $last: { $ifNull: ["$resolvedAt", "$$REMOVE"] } },
      earliest: { $min: "$resolvedAt" },
      latest: { $max: "$weight" },
      top: { $top: { sortBy: { updatedAt: -1, _id: 1 }, output: "$status" } },
      topTie: { $top: { sortBy: { category: 1 }, output: ["$_id", "$assignee.id"] } },
    },
    { _id: { provider: "$assignee.id", open: { $in: ["$status", ["received", "in-progress", "$weird"]] } }, n: { $sum: 2 }, ids: { $push: "$_id" } },
    { _id: "$assignee.kind", types: { $push: { $type: "$weight" } }, minus: { $push: { $subtract: ["$updatedAt", 1000] } }, tagged: { $push: "$tags" } },
    { _id: null, all: { $push: "$$ROOT.status" }, byCurrent: { $sum: { $cond: [{ $eq: ["$$CURRENT.status", null] }, 1, 0] } } },
    { _id: "$status", cmp: { $push: { $cmp: ["$weight", 1] } }, gte: { $push: { $gte: ["$resolvedAt", "$receivedAt"] } } },
    {
      _id: { $type: "$weight" },
      lt: { $push: { $lt: ["$tags", "y"] } },
      lte: { $push: { $lte: ["$weight", 2] } },
      eq: { $push: { $eq: ["$tags", "x"] } },
      ne: { $push: { $ne: ["$category", null] } },
      inArray: { $push: { $in: ["$tags", [["x", "y"], "x"]] } },
      types: { $push: { $type: ["$tags"] } },
      late: { $push: { $gt: ["$closedAt", "$dueAt"] } },
    },
    // The same text under `$let`s that bind its variable differently, repeated: shared only by meaning.
    {
      _id: "$category",
      byWeight: { $push: { $let: { vars: { x: "$weight" }, in: { $cond: [{ $gt: ["$$x", 1] }, "$$x", { $literal: "no" }] } } } },
      byStatus: { $push: { $let: { vars: { x: "$status" }, in: { $cond: [{ $gt: ["$$x", 1] }, "$$x", { $literal: "no" }] } } } },
      again: { $sum: { $let: { vars: { x: "$weight" }, in: { $cond: [{ $gt: ["$$x", 1] }, 1, 0] } } } },
      nested: {
        $push: { $let: { vars: { x: "$weight", y: "$status" }, in: { $let: { vars: { x: "$$y" }, in: { $cond: [{ $gt: ["$$x", 1] }, "$$x", { $literal: "no" }] } } } } },
      },
    },
    // Sums of a $cond between two numbers, counted from the condition alone: MongoDB's truth ("" is
    // true, null and 0 are not), either form, fractions and negatives.
    {
      _id: "$category",
      heavy: { $sum: { $cond: [{ $gt: ["$weight", 1] }, 1, 0] } },
      byStatus: { $sum: { $cond: { if: "$status", then: 2.5, else: -1 } } },
      emptyString: { $sum: { $cond: ["", 1, 0] } },
      missing: { $sum: { $cond: ["$nothing", 1, 0] } },
      notNumbers: { $sum: { $cond: ["$weight", "$weight", "x"] } },
    },
  ];

  it.each(groups.map((group, index) => [index, group] as const))("gives mingo's output for group %i", (_index, group) => {
    const pipeline = [{ $group: group }, { $sort: { _id: 1 } }];
    const compiled = run(pipeline, docs);
    const interpreted = run(pipeline, docs, { compileGroups: false });
    expect(compiled.length).toBeGreaterThan(0);
    expect(compiled).toStrictEqual(interpreted);
  });

  it("leaves what it does not compile to mingo: other accumulators, outer variables", () => {
    const pipeline = [{ $group: { _id: "$category", set: { $addToSet: "$status" }, v: { $push: "$$limit" } } }, { $sort: { _id: 1 } }];
    const withLet = { variables: { limit: new Int32(3) } };
    expect(run(pipeline, docs, withLet)).toEqual(run(pipeline, docs, { ...withLet, compileGroups: false }));
    const rows = run([{ $group: { _id: null, n: { $sum: 1 }, avg: { $avg: "$weight" } } }], docs);
    expect(rows).toEqual(run([{ $group: { _id: null, n: { $sum: 1 }, avg: { $avg: "$weight" } } }], docs, { compileGroups: false }));
    expect(rows[0].n).toEqual(new Int32(240));
  });
});

describe("$lookup reads only the joined fields the following stages use", () => {
  const stage = (name: string, spec: unknown) => ({ name, spec });

  it("names the fields of `as` read by $match and the collapsing stage, plus foreignField", () => {
    const following = [
      stage("$match", { "request.0": { $exists: true }, status: "open" }),
      stage("$group", { _id: { $first: "$request.assignee.id" }, n: { $sum: 1 }, top: { $top: { sortBy: { "request.at": 1 }, output: "$x" } } }),
      stage("$sort", { _id: 1 }),
    ];
    expect(joinedFieldsRead("request", "_id", following)).toEqual(new Set(["_id", "0", "assignee", "at"]));
    const joinedAgain = [stage("$match", { "c.at": { $not: { $lt: 5 } } }), stage("$lookup", { from: "x", localField: "_id", foreignField: "_id", as: "x" }), stage("$count", "n")];
    expect(joinedFieldsRead("c", "requestId", joinedAgain)).toEqual(new Set(["requestId", "at"]));
    const overwritten = [stage("$lookup", { from: "x", localField: "_id", foreignField: "_id", as: "c" }), stage("$count", "n")];
    expect(joinedFieldsRead("c", "requestId", overwritten)).toBeUndefined();
  });

  it("reads whole joined documents when it cannot tell", () => {
    expect(joinedFieldsRead("r", "_id", [stage("$group", { _id: null, all: { $push: "$r" } })])).toBeUndefined();
    expect(joinedFieldsRead("r", "_id", [stage("$group", { _id: null, all: { $push: "$$ROOT" } })])).toBeUndefined();
    expect(joinedFieldsRead("r", "_id", [stage("$match", { $expr: { $gt: [{ $size: "$r" }, 0] } }), stage("$count", "n")])).toBeUndefined();
    expect(joinedFieldsRead("r", "_id", [stage("$match", { "r.0": 1 }), stage("$count", "n")])).toBeUndefined();
    expect(joinedFieldsRead("r", "_id", [stage("$project", { a: 1 })])).toBeUndefined();
    expect(joinedFieldsRead("r", "_id", [])).toBeUndefined();
    expect(joinedFieldsRead("x.r", "_id", [stage("$group", { _id: "$x" })])).toBeUndefined();
  });

  it("asks the collection for those fields, and computes the same", () => {
    const asked: (ReadonlySet<string> | undefined)[] = [];
    const pipeline = [
      { $lookup: { from: "inventory", localField: "item", foreignField: "sku", as: "stock" } },
      { $match: { "stock.0": { $exists: true } } },
      { $group: { _id: "$item", instock: { $sum: { $first: "$stock.instock" } } } },
      { $sort: { _id: 1 } },
    ];
    const narrowed = run(pipeline, orders, {
      collectionDocs: (name, fields) => {
        asked.push(fields);
        return (collections[name] ?? []).map((doc) => Object.fromEntries(Object.entries(doc).filter(([key]) => !fields || key === "_id" || fields.has(key))));
      },
    });
    expect(asked).toEqual([new Set(["sku", "0", "instock"])]);
    expect(narrowed).toEqual(run(pipeline, orders, { collectionDocs: (name) => collections[name] ?? [] }));
    expect(narrowed.map((doc) => doc._id)).toEqual(["abc", "jkl"]);
  });
});
