import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { ConflictError, UserInputError } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { seedBusinessesIfEmpty } from "../seed/seed.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import type { Business } from "./business.model.js";
import { parseOpeningHours } from "../registry/opening-hours.js";
import { BusinessRepository, type BusinessInput } from "./business.repository.js";

let store: TestStore;
let businesses: BusinessRepository;
const demo = demoBusinesses();

beforeAll(async () => {
  store = await startTestStore();
  businesses = new BusinessRepository(store.mongo.db(store.databaseName));
  await businesses.ensureIndexes();
});

afterAll(async () => {
  await store?.close();
});

async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

async function allPages(fetchPage: (after: string | null) => ReturnType<BusinessRepository["findPage"]>): Promise<Business[]> {
  const found: Business[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    found.push(...page.businesses);
    if (!page.hasNextPage) return found;
    after = Buffer.from(`business:${page.businesses.at(-1)!.id}`).toString("base64url");
  }
}

describe("BusinessRepository against the embedded store", () => {
  it("creates a 2dsphere index on location and a unique index on the registry number", async () => {
    const indexes = await businesses.collection.listIndexes().toArray();
    expect(indexes.map((index) => index.key)).toContainEqual({ location: "2dsphere" });
    expect(indexes).toContainEqual(expect.objectContaining({ key: { registryNumber: 1 }, unique: true }));
  });

  it("seeds the demo businesses once, and only into an empty collection", async () => {
    expect(await seedBusinessesIfEmpty(businesses)).toEqual({ seeded: true, businesses: demo.length });
    expect(await seedBusinessesIfEmpty(businesses)).toEqual({ seeded: false, businesses: demo.length });
  });

  it("finds a business by id and by registry number", async () => {
    const first = demo[0]!;
    const found = await businesses.findById(first.id);
    expect(found).toEqual({
      id: first.id,
      name: first.name,
      tradingName: null,
      registryNumber: first.registryNumber,
      taxId: first.taxId,
      activity: first.activity,
      address: first.address,
      location: first.location,
      contacts: first.contacts,
      openingHours: parseOpeningHours(first.openingHours!),
    });
    expect((await businesses.findByRegistryNumber(first.registryNumber))?.id).toBe(first.id);
    expect(await businesses.findById("business-9999")).toBeNull();
  });

  it("pages through every business by id without gaps or repeats", async () => {
    const firstPage = await businesses.findPage({ first: 7 });
    expect(firstPage.businesses).toHaveLength(7);
    expect(firstPage.hasNextPage).toBe(true);
    expect(firstPage.totalCount).toBe(demo.length);
    const all = await allPages((after) => businesses.findPage({ first: 40, after }));
    expect(all.map((business) => business.id)).toEqual(demo.map((business) => business.id).sort());
  });

  it("finds exactly the businesses inside each district's boundary with $geoWithin", async () => {
    for (const district of KRUSEVAC_DISTRICTS) {
      const expected = demo.filter((business) => business.districtId === district.id).map((business) => business.id);
      const page = await businesses.findWithin(district.boundary, { first: 100 });
      expect(page.totalCount, district.id).toBe(expected.length);
      const all = await allPages((after) => businesses.findWithin(district.boundary, { first: 15, after }));
      expect(all.map((business) => business.id), district.id).toEqual(expected.sort());
    }
  });

  it("upserts idempotently: writing the demo set again adds nothing", async () => {
    await businesses.upsertMany(demo.map(({ districtId: _districtId, ...business }) => business));
    expect(await businesses.count()).toBe(demo.length);
  });

  it("refuses a registry number that belongs to another business, as a conflict", async () => {
    const [first, second] = demo as unknown as [BusinessInput, BusinessInput];
    const taken = await rejection(businesses.upsertMany([{ ...second, id: "business-new", registryNumber: first.registryNumber }]), ConflictError);
    expect(taken.details).toEqual({ field: "registryNumber", registryNumber: first.registryNumber });
    expect(await businesses.findById("business-new")).toBeNull();

    const twiceInOneBatch = [
      { ...first, id: "business-a", registryNumber: "99999993" },
      { ...first, id: "business-b", registryNumber: "99999993" },
    ];
    await rejection(businesses.upsertMany(twiceInOneBatch), ConflictError);
    expect(await businesses.findById("business-a")).toBeNull();
  });

  it("rejects bad input with a UserInputError naming the field, and writes nothing", async () => {
    const valid: BusinessInput = { ...demo[1]!, id: "business-valid" };
    const fieldOf = async (input: BusinessInput) => (await rejection(businesses.upsertMany([valid, input]), UserInputError)).field;
    expect(await fieldOf({ ...valid, registryNumber: "1234567" })).toBe("registryNumber");
    expect(await fieldOf({ ...valid, registryNumber: "1234567a" })).toBe("registryNumber");
    expect(await fieldOf({ ...valid, registryNumber: "66143628" })).toBe("registryNumber");
    expect(await fieldOf({ ...valid, taxId: "101134703" })).toBe("taxId");
    expect(await fieldOf({ ...valid, taxId: "10113470" })).toBe("taxId");
    expect(await fieldOf({ ...valid, openingHours: "Mon-Fri 8-20" })).toBe("openingHours");
    expect(await fieldOf({ ...valid, contacts: { email: "not an address" } })).toBe("contacts.email");
    expect(await fieldOf({ ...valid, contacts: { phone: "call me" } })).toBe("contacts.phone");
    expect(await fieldOf({ ...valid, contacts: { website: "ftp://x.rs" } })).toBe("contacts.website");
    expect(await fieldOf({ ...valid, location: { type: "Point", coordinates: [21.3, 95] } })).toBe("location");
    expect(await fieldOf({ ...valid, location: undefined })).toBe("location");
    expect(await fieldOf({ ...valid, activity: { code: "pharmacy", label: "Apoteka" } })).toBe("activity.code");
    expect(await fieldOf({ ...valid, address: { ...valid.address, street: "" } })).toBe("address.street");
    expect(await fieldOf({ ...valid, name: "   " })).toBe("name");
    expect(await fieldOf({ ...valid, id: "" })).toBe("id");
    expect(await businesses.findById("business-valid")).toBeNull();

    const boundary = await rejection(businesses.findWithin({ type: "Polygon", coordinates: [] }), UserInputError);
    expect(boundary.field).toBe("boundary");
    expect((await rejection(businesses.findPage({ first: 1000 }), UserInputError)).field).toBe("first");
    expect((await rejection(businesses.findPage({ after: "bogus" }), UserInputError)).field).toBe("after");
  });
});
