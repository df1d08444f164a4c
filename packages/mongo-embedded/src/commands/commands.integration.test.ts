/**
 * The commands through the official driver against the embedded server: what an application sees.
 */
import { Decimal128, Double, Int32, Long, MongoClient, MongoServerError, ObjectId, type Db } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo } from "../index.js";

let server: Awaited<ReturnType<typeof startEmbeddedMongo>>;
let client: MongoClient;
let db: Db;
let collectionCounter = 0;
const freshCollection = <T extends object = Record<string, unknown>>() => db.collection<T>(`c${++collectionCounter}`);

beforeAll(async () => {
  server = await startEmbeddedMongo();
  client = await new MongoClient(server.uri).connect();
  db = client.db("commands_test");
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe("insert and find", () => {
  it("round-trips BSON types exactly, int apart from double and long", async () => {
    const requests = freshCollection();
    const id = new ObjectId();
    await requests.insertOne({ _id: id, int: new Int32(1), double: new Double(1), long: Long.fromString("9007199254740993"), decimal: Decimal128.fromString("0.1") });
    const stored = await client.db("commands_test").collection(requests.collectionName).findOne({ _id: id }, { promoteValues: false });
    expect(stored?.int).toBeInstanceOf(Int32);
    expect(stored?.double).toBeInstanceOf(Double);
    expect((stored?.long as Long).toString()).toBe("9007199254740993");
    expect((stored?.decimal as Decimal128).toString()).toBe("0.1");
    expect(await requests.countDocuments({ double: { $type: "double" } })).toBe(1);
    expect(await requests.countDocuments({ int: { $type: "double" } })).toBe(0);
  });

  it("puts _id first and generates an ObjectId when missing", async () => {
    const requests = freshCollection();
    const { insertedId } = await requests.insertOne({ category: "water", _id: undefined } as never);
    const [doc] = await requests.find({}).toArray();
    expect(insertedId).toBeInstanceOf(ObjectId);
    expect(Object.keys(doc)[0]).toBe("_id");
  });

  it("returns large results in batches through getMore", async () => {
    const requests = freshCollection<{ n: number }>();
    await requests.insertMany(Array.from({ length: 1050 }, (_, n) => ({ n })));
    const found = await requests.find({ n: { $gte: 10 } }, { batchSize: 100 }).sort({ n: -1 }).toArray();
    expect(found).toHaveLength(1040);
    expect(found[0].n).toBe(1049);
    expect(found.at(-1)?.n).toBe(10);
  });

  it("continues an index-ordered read through getMore batches while documents change", async () => {
    const requests = freshCollection<{ _id: number; n: number; tag: string }>();
    await requests.createIndex({ tag: 1, n: -1 });
    await requests.insertMany(Array.from({ length: 1200 }, (_, i) => ({ _id: i, n: i, tag: i % 2 === 0 ? "even" : "odd" })));
    const cursor = requests.find({ tag: "even" }, { batchSize: 50 }).sort({ n: -1 });
    const seen: number[] = [];
    for await (const doc of cursor) {
      seen.push(doc.n);
      // Mid-way, between batches: one match ahead is removed, one moves behind the reader, one arrives ahead.
      if (seen.length === 120) {
        await requests.deleteOne({ _id: 400 });
        await requests.updateOne({ _id: 300 }, { $set: { n: 5000 } });
        await requests.insertOne({ _id: 5001, n: 101, tag: "even" });
      }
    }
    expect(seen.slice(0, 3)).toEqual([1198, 1196, 1194]);
    expect(seen).not.toContain(400);
    expect(seen).not.toContain(5000);
    expect(seen).toContain(101);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(seen).toHaveLength(600 - 2 + 1);
  });

  it("applies skip, limit and projection", async () => {
    const requests = freshCollection<{ n: number; secret: string }>();
    await requests.insertMany(Array.from({ length: 10 }, (_, n) => ({ n, secret: "x" })));
    const page = await requests.find({}, { projection: { secret: 0, _id: 0 } }).sort({ n: 1 }).skip(3).limit(2).toArray();
    expect(page).toEqual([{ n: 3 }, { n: 4 }]);
  });

  it("reports duplicate keys with MongoDB's code, keyPattern and keyValue; an ordered batch stops there", async () => {
    const districts = freshCollection<{ code: string }>();
    await districts.createIndex({ code: 1 }, { unique: true });
    const error = await districts.insertMany([{ code: "A" }, { code: "A" }, { code: "B" }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000 });
    const writeError = (error as { writeErrors: { index: number; errInfo?: unknown; err?: { keyValue?: unknown } }[] }).writeErrors[0];
    expect(writeError.index).toBe(1);
    expect(await districts.countDocuments()).toBe(1);
  });

  it("keeps going after a failure in an unordered batch", async () => {
    const districts = freshCollection<{ code: string }>();
    await districts.createIndex({ code: 1 }, { unique: true });
    await districts.insertMany([{ code: "A" }, { code: "A" }, { code: "B" }], { ordered: false }).catch(() => undefined);
    expect(await districts.countDocuments()).toBe(2);
  });
});

describe("update", () => {
  it("upserts with $setOnInsert and the filter's equality fields", async () => {
    const readings = freshCollection();
    const result = await readings.updateOne(
      { station: "KS-1", pollutant: "PM10" },
      { $set: { value: 41 }, $setOnInsert: { createdAt: new Date(0) } },
      { upsert: true },
    );
    expect(result.upsertedCount).toBe(1);
    const stored = await readings.findOne({ _id: result.upsertedId! });
    expect(stored).toMatchObject({ station: "KS-1", pollutant: "PM10", value: 41, createdAt: new Date(0) });
    await readings.updateOne({ station: "KS-1", pollutant: "PM10" }, { $set: { value: 52 }, $setOnInsert: { createdAt: new Date(1) } }, { upsert: true });
    expect(await readings.findOne({ station: "KS-1" })).toMatchObject({ value: 52, createdAt: new Date(0) });
  });

  it("$inc keeps a Long a Long", async () => {
    const counters = freshCollection<{ _id: string; total: Long }>();
    await counters.insertOne({ _id: "calls", total: Long.fromNumber(2 ** 53) });
    await counters.updateOne({ _id: "calls" }, { $inc: { total: Long.fromNumber(2) } });
    const stored = await counters.findOne({ _id: "calls" }, { promoteLongs: false });
    expect(stored?.total).toBeInstanceOf(Long);
    expect((stored?.total as Long).toString()).toBe("9007199254740994");
  });

  it("updates many with arrayFilters and counts matched and modified", async () => {
    const outages = freshCollection();
    await outages.insertMany([
      { streets: [{ name: "Косовска", affected: false }, { name: "Паркова", affected: false }] },
      { streets: [{ name: "Косовска", affected: true }] },
    ]);
    const result = await outages.updateMany(
      {},
      { $set: { "streets.$[street].affected": true } },
      { arrayFilters: [{ "street.name": "Косовска" }] },
    );
    expect(result).toMatchObject({ matchedCount: 2, modifiedCount: 1 });
  });

  it("refuses to change _id", async () => {
    const requests = freshCollection();
    await requests.insertOne({ _id: 1 as never, a: 1 });
    await expect(requests.updateOne({ _id: 1 as never }, { $set: { _id: 2 as never } })).rejects.toMatchObject({ code: 66 });
    expect(await requests.findOne({ _id: 1 as never })).toEqual({ _id: 1, a: 1 });
  });

  it("findOneAndUpdate returns the document before or after", async () => {
    const requests = freshCollection();
    await requests.insertOne({ _id: 7 as never, status: "received" });
    const before = await requests.findOneAndUpdate({ _id: 7 as never }, { $set: { status: "assigned" } });
    const after = await requests.findOneAndUpdate({ _id: 7 as never }, { $set: { status: "in-progress" } }, { returnDocument: "after" });
    expect(before).toEqual({ _id: 7, status: "received" });
    expect(after).toEqual({ _id: 7, status: "in-progress" });
  });
});

describe("delete", () => {
  it("deletes one or many", async () => {
    const requests = freshCollection<{ n: number }>();
    await requests.insertMany(Array.from({ length: 5 }, (_, n) => ({ n })));
    expect((await requests.deleteOne({ n: { $gte: 0 } })).deletedCount).toBe(1);
    expect((await requests.deleteMany({ n: { $gte: 2 } })).deletedCount).toBe(3);
    expect(await requests.countDocuments()).toBe(1);
  });
});

describe("aggregate", () => {
  it("groups, and writes results with $out", async () => {
    const requests = freshCollection<{ category: string; hours: number }>();
    await requests.insertMany([
      { category: "water", hours: 2 },
      { category: "water", hours: 4 },
      { category: "roads", hours: 10 },
    ]);
    const target = `${requests.collectionName}_report`;
    await requests.aggregate([{ $group: { _id: "$category", avgHours: { $avg: "$hours" }, n: { $sum: 1 } } }, { $out: target }]).toArray();
    const report = await db.collection(target).find({}).sort({ _id: 1 }).toArray();
    expect(report).toEqual([
      { _id: "roads", avgHours: 10, n: 1 },
      { _id: "water", avgHours: 3, n: 2 },
    ]);
  });

  it("$lookup joins another collection of the same database", async () => {
    const districts = freshCollection();
    const requests = freshCollection();
    await districts.insertOne({ _id: "centar" as never, name: "Центар" });
    await requests.insertMany([{ district: "centar" }, { district: "centar" }]);
    const [joined] = await requests
      .aggregate([{ $limit: 1 }, { $lookup: { from: districts.collectionName, localField: "district", foreignField: "_id", as: "d" } }])
      .toArray();
    expect(joined.d).toEqual([{ _id: "centar", name: "Центар" }]);
  });

  it("$lookup through the foreign collection's index joins as a scan would: arrays, null and missing", async () => {
    const stock = freshCollection();
    const orders = freshCollection();
    const stockDocs = [
      { _id: 1, sku: "a", qty: 1 },
      { _id: 2, sku: "b", qty: 2 },
      { _id: 3, sku: ["a", "c"], qty: 3 },
      { _id: 4, sku: null, qty: 4 },
      { _id: 5, qty: 5 },
      { _id: 6, sku: 7, qty: 6 },
    ];
    await stock.insertMany(stockDocs as never[]);
    await orders.insertMany([
      { _id: 1, item: "a" },
      { _id: 2, item: ["b", "c"] },
      { _id: 3 },
      { _id: 4, item: "zzz" },
      { _id: 5, item: 7.0 },
      { _id: 6, item: [] },
    ] as never[]);
    const pipeline = [
      { $lookup: { from: stock.collectionName, localField: "item", foreignField: "sku", as: "stock" } },
      { $project: { ids: "$stock._id" } },
      { $sort: { _id: 1 } },
    ];
    const scanned = await orders.aggregate(pipeline).toArray();
    await stock.createIndex({ sku: 1 });
    const indexed = await orders.aggregate(pipeline).toArray();
    const sorted = (rows: typeof indexed) => rows.map((row) => ({ _id: row._id, ids: [...(row.ids as number[])].sort() }));
    expect(sorted(indexed)).toEqual(sorted(scanned));
    expect(sorted(indexed)).toEqual([
      { _id: 1, ids: [1, 3] },
      { _id: 2, ids: [2, 3] },
      { _id: 3, ids: [4, 5] },
      { _id: 4, ids: [] },
      { _id: 5, ids: [6] },
      { _id: 6, ids: [4, 5] },
    ]);
    // By _id, and on a collection that does not exist.
    const byId = await orders
      .aggregate([{ $match: { _id: { $lte: 2 } } }, { $lookup: { from: stock.collectionName, localField: "_id", foreignField: "_id", as: "s" } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(byId.map((row) => row.s)).toEqual([[stockDocs[0]], [stockDocs[1]]]);
    const none = await orders.aggregate([{ $limit: 1 }, { $lookup: { from: "no_such_collection", localField: "_id", foreignField: "_id", as: "s" } }]).toArray();
    expect(none[0].s).toEqual([]);
  });

  it("$or over indexed fields returns what a scan returns", async () => {
    const requests = freshCollection<{ n: number; status: string; closedAt?: Date }>();
    await requests.insertMany(
      Array.from({ length: 200 }, (_, n) => ({ n, status: n % 4 === 0 ? "open" : "closed", ...(n % 10 === 0 ? { closedAt: new Date(n * 1000) } : {}) })),
    );
    const filter = { n: { $lt: 150 }, $or: [{ n: { $gte: 140 } }, { status: "open", n: { $lt: 12 } }, { closedAt: { $gte: new Date(100_000) } }] };
    const scanned = (await requests.find(filter).toArray()).map((doc) => doc.n).sort((a, b) => a - b);
    await requests.createIndexes([{ key: { n: 1 } }, { key: { status: 1, n: 1 } }, { key: { closedAt: 1 } }]);
    const indexed = (await requests.find(filter).toArray()).map((doc) => doc.n).sort((a, b) => a - b);
    expect(indexed).toEqual(scanned);
    expect(indexed).toEqual([0, 4, 8, 100, 110, 120, 130, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149]);
  });
});

describe("geography through the driver", () => {
  it("finds points within a polygon using a 2dsphere index, and nearest first with $near", async () => {
    const places = freshCollection<{ name: string; location: { type: "Point"; coordinates: number[] } }>();
    await places.createIndex({ location: "2dsphere" });
    await places.insertMany([
      { name: "centre", location: { type: "Point", coordinates: [21.3336, 43.58] } },
      { name: "north", location: { type: "Point", coordinates: [21.3336, 43.59] } },
      { name: "far", location: { type: "Point", coordinates: [21.5, 43.7] } },
    ]);
    const square = { type: "Polygon", coordinates: [[[21.3, 43.57], [21.36, 43.57], [21.36, 43.6], [21.3, 43.6], [21.3, 43.57]]] };
    const inside = await places.find({ location: { $geoWithin: { $geometry: square } } }).toArray();
    expect(inside.map((p) => p.name).sort()).toEqual(["centre", "north"]);
    const nearest = await places
      .find({ location: { $near: { $geometry: { type: "Point", coordinates: [21.3336, 43.591] }, $maxDistance: 5000 } } })
      .toArray();
    expect(nearest.map((p) => p.name)).toEqual(["north", "centre"]);
  });

  it("rejects a document whose geometry cannot be indexed", async () => {
    const places = freshCollection();
    await places.createIndex({ location: "2dsphere" });
    await expect(places.insertOne({ location: { type: "Point", coordinates: [500, 43] } })).rejects.toMatchObject({ code: 16755 });
    expect(await places.countDocuments()).toBe(0);
  });
});

describe("namespaces and indexes", () => {
  it("creates, lists, renames and drops", async () => {
    const name = `ns_${++collectionCounter}`;
    await db.createCollection(name);
    await expect(db.createCollection(name)).rejects.toMatchObject({ code: 48, codeName: "NamespaceExists" });
    await db.collection(name).createIndex({ receivedAt: -1 }, { name: "received_desc" });
    const indexes = await db.collection(name).listIndexes().toArray();
    expect(indexes.map((index) => index.name)).toEqual(["_id_", "received_desc"]);
    await db.renameCollection(name, `${name}_renamed`);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain(`${name}_renamed`);
    expect(names).not.toContain(name);
    expect(await db.collection(`${name}_renamed`).drop()).toBe(true);
  });

  it("answers an unknown command with CommandNotFound", async () => {
    const error = await db.command({ launchRockets: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 59, codeName: "CommandNotFound" });
  });

  it("gives a clear error naming the field for a wrongly typed argument", async () => {
    await expect(db.command({ find: "x", filter: "not a document" })).rejects.toMatchObject({
      code: 14,
      message: expect.stringContaining("find.filter"),
    });
  });
});

describe("sessions", () => {
  it("lists the sessions commands used, and forgets ended ones", async () => {
    const session = client.startSession();
    await freshCollection().insertOne({ a: 1 }, { session });
    const sessionId = session.id!.id;
    const listed = async () =>
      (await client.db("admin").aggregate([{ $listLocalSessions: {} }]).toArray()).map((doc) => doc._id.id.toString("hex"));
    expect(await listed()).toContain(sessionId.toString("hex"));
    await client.db("admin").command({ endSessions: [session.id] });
    expect(await listed()).not.toContain(sessionId.toString("hex"));
    await session.endSession();
  });
});

describe("scans that decode only the fields they read", () => {
  it("match on nested paths and group on nested fields, or on whole documents with $$ROOT", async () => {
    const requests = freshCollection();
    await requests.insertMany([
      { category: "water", citizen: { phone: "1" }, sla: { hours: 2 }, note: "a" },
      { category: "water", citizen: { phone: "2" }, sla: { hours: 6 }, note: "b" },
      { category: "roads", citizen: { phone: "1" }, sla: { hours: 10 }, note: "c" },
    ]);
    expect(await requests.countDocuments({ "citizen.phone": "1" })).toBe(2);
    const byCategory = await requests
      .aggregate([{ $match: { "citizen.phone": { $in: ["1", "2"] } } }, { $group: { _id: "$category", hours: { $sum: "$sla.hours" } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(byCategory).toEqual([{ _id: "roads", hours: 10 }, { _id: "water", hours: 8 }]);
    const whole = await requests.aggregate([{ $group: { _id: "$category", notes: { $push: "$$ROOT.note" }, docs: { $push: "$$ROOT" } } }, { $sort: { _id: 1 } }]).toArray();
    expect(whole[1].notes).toEqual(["a", "b"]);
    expect(whole[1].docs[0]).toMatchObject({ category: "water", citizen: { phone: "1" }, note: "a" });
  });
});

describe("$geoNear", () => {
  it("uses the collection's 2dsphere index field and returns distances nearest first", async () => {
    const places = freshCollection();
    await places.createIndex({ location: "2dsphere" });
    await places.insertMany([
      // "other" comes first and lies on the query point: only the index says that "location" is the key.
      { name: "far", other: { type: "Point", coordinates: [21.3336, 43.58] }, location: { type: "Point", coordinates: [21.36, 43.58] } },
      { name: "near", location: { type: "Point", coordinates: [21.334, 43.58] } },
    ]);
    const found = await places
      .aggregate([{ $geoNear: { near: { type: "Point", coordinates: [21.3336, 43.58] }, distanceField: "metres", spherical: true } }])
      .toArray();
    expect(found.map((place) => place.name)).toEqual(["near", "far"]);
    expect(found[0].metres).toBeGreaterThan(20);
    expect(found[0].metres).toBeLessThan(50);
  });
});
