/** Registration, update and search in the repository, against the embedded store. */
import { KRUSEVAC_CENTRE, KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { ConflictError, NotFoundError, UserInputError } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { seedBusinessesIfEmpty } from "../seed/seed.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import type { Business } from "./business.model.js";
import { BusinessRepository, type BusinessInput, type BusinessSearch } from "./business.repository.js";

let store: TestStore;
let businesses: BusinessRepository;
const demo = demoBusinesses();
const centar = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!;
const centarBusiness = demo.find((business) => business.districtId === "centar")!;

/** A registrable business with the given names, at a demo business's place in the centre. */
const input = (name: string, registryNumber: string, taxId: string, extra: Partial<BusinessInput> = {}): Omit<BusinessInput, "id"> => ({
  name,
  registryNumber,
  taxId,
  activity: { code: "47.73", label: "Apoteka" },
  address: { street: "Vidovdanska", number: "1", city: "Kruševac" },
  location: centarBusiness.location,
  ...extra,
});

// Valid MB/PIB pairs (check digits computed by registry/registry-numbers.ts, checked against references there).
const NAMED = [
  input("Апотека Крушевац", "66143627", "101134702"),
  input("Đorđević i sinovi d.o.o.", "20084693", "104052135", { activity: { code: "47.11", label: "Market" } }),
  input("Цвећара Љубичица", "17162543", "100002887", { activity: { code: "47.76", label: "Cvećara" } }),
  input("Restoran Njive", "10000009", "100000016", { activity: { code: "56.10", label: "Restoran" }, tradingName: "Ресторан Њиве" }),
] as const;

const registered: Business[] = [];

beforeAll(async () => {
  store = await startTestStore();
  businesses = new BusinessRepository(store.mongo.db(store.databaseName));
  await businesses.ensureIndexes();
  await seedBusinessesIfEmpty(businesses);
  for (const named of NAMED) registered.push(await businesses.register(named));
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

const names = async (criteria: BusinessSearch, first = 100) => (await businesses.search(criteria, { first })).businesses.map((business) => business.name).sort();

describe("registering and updating businesses", () => {
  it("registers under a fresh id with every field checked and stored", async () => {
    const [apoteka] = registered;
    expect(apoteka!.id).toMatch(/^business-[0-9a-f-]{36}$/);
    expect(await businesses.findById(apoteka!.id)).toEqual(apoteka);
    expect(registered[3]!.tradingName).toBe("Ресторан Њиве");
  });

  it("refuses a registry number that is already registered, as a conflict", async () => {
    const taken = await rejection(businesses.register(input("Druga apoteka", "66143627", "100000024")), ConflictError);
    expect(taken.details).toEqual({ field: "registryNumber", registryNumber: "66143627" });
  });

  it("names the bad field of a registration", async () => {
    const fieldOf = async (bad: Omit<BusinessInput, "id">) => (await rejection(businesses.register(bad), UserInputError)).field;
    expect(await fieldOf(input("X", "66143628", "100000024"))).toBe("registryNumber");
    expect(await fieldOf(input("X", "10000017", "100000025"))).toBe("taxId");
    expect(await fieldOf(input("X", "10000017", "100000024", { openingHours: "Mon-Fri 20:00-08:00" }))).toBe("openingHours");
    const message = (await rejection(businesses.register(input("X", "10000017", "100000024", { openingHours: "Pon-Pet 08:00-16:00" })), UserInputError)).message;
    expect(message).toMatch(/openingHours: "Pon" in "Pon-Pet 08:00-16:00" is not a day/);
  });

  it("updates the given fields, clears those given as null, and re-checks the whole", async () => {
    const id = registered[0]!.id;
    const updated = await businesses.update(id, {
      tradingName: "Apoteka Centar",
      contacts: { phone: "+381 37 123 456", email: "apoteka@example.rs" },
      openingHours: "Mon-Fri 07:00-21:00; Sat 08:00-15:00; Sun closed",
    });
    expect(updated).toMatchObject({
      tradingName: "Apoteka Centar",
      contacts: { phone: "+381 37 123 456", email: "apoteka@example.rs" },
      openingHours: { text: "Mon-Fri 07:00-21:00; Sat 08:00-15:00; Sun closed" },
    });
    expect(await names({ text: "centar apoteka" })).toContain("Апотека Крушевац");

    const cleared = await businesses.update(id, { tradingName: null, openingHours: null });
    expect(cleared.tradingName).toBeNull();
    expect(cleared.openingHours).toBeNull();
    expect(cleared.contacts.email).toBe("apoteka@example.rs");
    expect(await names({ text: "centar apoteka" })).not.toContain("Апотека Крушевац");

    expect((await rejection(businesses.update(id, { openingHours: "always" }), UserInputError)).field).toBe("openingHours");
    expect((await rejection(businesses.update(id, { taxId: "101134703" }), UserInputError)).field).toBe("taxId");
    await rejection(businesses.update("business-none", { tradingName: "X" }), NotFoundError);

    // A registry import without the self-service fields leaves them as the business set them.
    await businesses.upsertMany([{ ...NAMED[0], id, name: "Апотека Крушевац" }]);
    expect((await businesses.findById(id))?.contacts.email).toBe("apoteka@example.rs");
    expect((await businesses.findById(id))?.taxId).toBe("101134702");
  });
});

describe("searching businesses by name in either script", () => {
  it("stores prefixes of the normalised words under a multikey index, in page order", async () => {
    // The single-field index of earlier versions is dropped when the indexes are ensured.
    await businesses.collection.createIndex({ searchKeys: 1 }, { name: "searchKeys" });
    await businesses.ensureIndexes();
    await businesses.ensureIndexes();
    const indexes = await businesses.collection.listIndexes().toArray();
    expect(indexes.map((index) => index.key)).toContainEqual({ searchKeys: 1, _id: 1 });
    expect(indexes.map((index) => index.key)).toContainEqual({ "activity.code": 1, _id: 1 });
    expect(indexes.map((index) => index.name)).not.toContain("searchKeys");
    const stored = await businesses.collection.findOne({ _id: registered[0]!.id });
    expect(stored?.searchKeys).toEqual(expect.arrayContaining(["apoteka", "krusevac", "k", "kru"]));
  });

  it("finds a Cyrillic name from Latin, with or without diacritics, and the reverse", async () => {
    for (const query of ["Крушевац", "Kruševac", "Krusevac", "krus", "KRUŠ", "апотека круш"]) {
      expect(await names({ text: query }), query).toContain("Апотека Крушевац");
    }
    for (const query of ["Ђорђевић", "Đorđević", "Djordjevic", "Dordevic", "djor", "Ђорђ"]) {
      expect(await names({ text: query }), query).toEqual(["Đorđević i sinovi d.o.o."]);
    }
    for (const query of ["Ljubičica", "ljubicica", "Љубичица", "ЉУБ"]) expect(await names({ text: query }), query).toEqual(["Цвећара Љубичица"]);
    // The trading name counts too: "Њиве" is only the trading name's spelling.
    for (const query of ["Њиве", "njive", "ресторан њ"]) expect(await names({ text: query }), query).toContain("Restoran Njive");
  });

  it("matches words by prefix, every query word needed, not inside words", async () => {
    expect(await names({ text: "sinovi đorđ" })).toEqual(["Đorđević i sinovi d.o.o."]);
    expect(await names({ text: "orđević" })).toEqual([]);
    expect(await names({ text: "đorđević apoteka" })).toEqual([]);
    // Demo names are Latin: "Apoteka …" is found by its Cyrillic spelling.
    const demoPharmacies = demo.filter((business) => business.name.startsWith("Apoteka ")).map((business) => business.name);
    expect(await names({ text: "Апотека", activityCode: "47.73" })).toEqual([...demoPharmacies, "Апотека Крушевац"].sort());
  });

  it("filters by activity, by district and near a point, alone or together", async () => {
    const bakeries = demo.filter((business) => business.activity.code === "10.71");
    expect((await businesses.search({ activityCode: "10.71" }, { first: 100 })).totalCount).toBe(bakeries.length);

    const inCentar = demo.filter((business) => business.districtId === "centar");
    const centarPage = await businesses.search({ within: centar.boundary }, { first: 100 });
    expect(centarPage.totalCount).toBe(inCentar.length + NAMED.length);

    const bakeriesInCentar = inCentar.filter((business) => business.activity.code === "10.71").map((business) => business.id).sort();
    const both = await businesses.search({ within: centar.boundary, activityCode: "10.71" }, { first: 100 });
    expect(both.businesses.map((business) => business.id)).toEqual(bakeriesInCentar);

    // Within 1 m of a business's point: itself and the four registered at the same point.
    const [longitude, latitude] = centarBusiness.location.coordinates;
    const here = await businesses.search({ near: { longitude, latitude, radiusMeters: 1 } }, { first: 100 });
    expect(here.businesses.map((business) => business.id).sort()).toEqual([centarBusiness.id, ...registered.map((business) => business.id)].sort());
    const city = await businesses.search({ near: { longitude: KRUSEVAC_CENTRE[0], latitude: KRUSEVAC_CENTRE[1], radiusMeters: 20_000 } });
    expect(city.totalCount).toBe(demo.length + NAMED.length);
  });

  it("pages through results by id with cursors", async () => {
    const all = await businesses.search({ text: "a" }, { first: 100 });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await businesses.search({ text: "a" }, { first: 7, after });
      seen.push(...page.businesses.map((business) => business.id));
      if (!page.hasNextPage) break;
      after = Buffer.from(`business:${page.businesses.at(-1)!.id}`).toString("base64url");
    }
    expect(seen).toEqual([...seen].sort());
    expect(all.totalCount).toBe(seen.length);
  });

  it("leaves the count out when asked to, with the same page", async () => {
    const counted = await businesses.search({ text: "pekara", activityCode: "10.71" }, { first: 5 });
    const uncounted = await businesses.search({ text: "pekara", activityCode: "10.71" }, { first: 5, count: false });
    expect(uncounted.totalCount).toBeNull();
    expect(counted.totalCount).toBeGreaterThan(5);
    expect(uncounted.businesses).toEqual(counted.businesses);
    expect(uncounted.hasNextPage).toBe(true);
  });

  it("names the bad search argument", async () => {
    expect((await rejection(businesses.search({ text: " …! " }), UserInputError)).field).toBe("query");
    expect((await rejection(businesses.search({ activityCode: "pharmacy" }), UserInputError)).field).toBe("activityCode");
    expect((await rejection(businesses.search({ near: { longitude: 21.3, latitude: 43.5, radiusMeters: 0 } }), UserInputError)).field).toBe("near.radiusMeters");
    expect((await rejection(businesses.search({ near: { longitude: 200, latitude: 43.5, radiusMeters: 10 } }), UserInputError)).field).toBe("near");
  });
});
