import { UserInputError } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import { DistrictRepository } from "./district.repository.js";
import { seedDistrictsIfEmpty } from "./district.seed.js";
import { KRUSEVAC_DISTRICTS } from "./district.seed-data.js";

let store: TestStore;
let districts: DistrictRepository;

beforeAll(async () => {
  store = await startTestStore();
  districts = new DistrictRepository(store.mongo.db(store.databaseName));
  await districts.ensureIndexes();
});

afterAll(async () => {
  await store?.close();
});

async function rejection(promise: Promise<unknown>): Promise<UserInputError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserInputError);
  return error as UserInputError;
}

describe("DistrictRepository against the embedded store", () => {
  it("creates a 2dsphere index on the boundary", async () => {
    const indexes = await districts.collection.listIndexes().toArray();
    expect(indexes.map((index) => index.key)).toContainEqual({ boundary: "2dsphere" });
  });

  it("seeds the demo districts once, and only into an empty collection", async () => {
    expect(await seedDistrictsIfEmpty(districts)).toEqual({ seeded: true, districts: KRUSEVAC_DISTRICTS.length });
    expect(await seedDistrictsIfEmpty(districts)).toEqual({ seeded: false, districts: KRUSEVAC_DISTRICTS.length });
    const all = await districts.findAll();
    expect(all.map((district) => district.id)).toEqual(KRUSEVAC_DISTRICTS.map((district) => district.id).sort());
  });

  it("finds a district by id with both names, population and geometry", async () => {
    const centar = await districts.findById("centar");
    expect(centar).toMatchObject({ id: "centar", nameCyrillic: "Центар", nameLatin: "Centar" });
    expect(centar?.boundary.type).toBe("MultiPolygon");
    expect(centar?.centre).toEqual({ type: "Point", coordinates: [21.3336, 43.58] });
    expect(await districts.findById("atlantis")).toBeNull();
  });

  it("finds the one district containing each seed centre through the 2dsphere index", async () => {
    for (const seed of KRUSEVAC_DISTRICTS) {
      const found = await districts.findContaining(seed.centre);
      expect(found?.id).toBe(seed.id);
    }
    expect(await districts.findContaining({ type: "Point", coordinates: [20, 44] })).toBeNull();
  });

  it("upserts idempotently: writing the same districts again adds none", async () => {
    await districts.upsertMany(KRUSEVAC_DISTRICTS);
    expect(await districts.count()).toBe(KRUSEVAC_DISTRICTS.length);
  });

  it("rejects bad input with a UserInputError naming the field, and writes nothing", async () => {
    const valid = KRUSEVAC_DISTRICTS.find((district) => district.id === "bagdala")!;
    const newcomer = { ...valid, id: "novo-naselje" };
    const openRing = { type: "MultiPolygon", coordinates: [[[[21, 43], [21.1, 43], [21.1, 43.1]]]] };

    const boundaryError = await rejection(districts.upsertMany([newcomer, { ...valid, id: "losa", boundary: openRing }]));
    expect(boundaryError.field).toBe("boundary");
    expect(boundaryError.message).toMatch(/^district losa: boundary: polygon 0, ring 0 needs at least 4 positions/);
    expect(await districts.findById("novo-naselje")).toBeNull();

    expect((await rejection(districts.upsertMany([{ ...valid, boundary: { type: "Point", coordinates: [1, 2] } }]))).field).toBe(
      "boundary",
    );
    expect((await rejection(districts.upsertMany([{ ...valid, centre: { type: "Point", coordinates: [21.0, 43.0] } }]))).field).toBe(
      "centre",
    );
    expect((await rejection(districts.upsertMany([{ ...valid, id: "Not A Slug" }]))).field).toBe("id");
    expect((await rejection(districts.upsertMany([{ ...valid, nameLatin: " " }]))).field).toBe("nameLatin");
    expect((await rejection(districts.upsertMany([{ ...valid, population: -1 }]))).field).toBe("population");
    expect((await rejection(districts.findContaining({ type: "Point", coordinates: [500, 0] } as never))).field).toBe("point");
  });
});
