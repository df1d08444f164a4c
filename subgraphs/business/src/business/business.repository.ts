import { parseMultiPolygon, parsePoint } from "@situation/city-subgraph/seed-data";
import { ConflictError, NotFoundError, UserInputError } from "@situation/platform";
import { randomUUID } from "node:crypto";
import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Filter } from "mongodb";
import { OpeningHoursSyntaxError, parseOpeningHours } from "../registry/opening-hours.js";
import { registryNumberProblem, taxIdProblem } from "../registry/registry-numbers.js";
import { searchPrefixes, searchWords } from "../registry/search-key.js";
import { checkPageRequest, type BusinessPage, type PageRequest } from "./business-page.js";
import { toBusiness, type Business, type BusinessDocument, type ContactsValue } from "./business.model.js";

export interface ContactsInput {
  phone?: string | null;
  email?: string | null;
  website?: string | null;
}

export interface BusinessInput {
  id: string;
  name: string;
  tradingName?: string | null;
  /** Matični broj: 8 digits with a valid check digit. */
  registryNumber: string;
  /** PIB: 9 digits with a valid ISO 7064 MOD 11,10 check digit. */
  taxId: string;
  activity: { code: string; label: string };
  address: { street: string; number: string; city: string };
  /** A GeoJSON Point; checked before it is written. */
  location: unknown;
  contacts?: ContactsInput | null;
  /** Weekly hours as text, e.g. "Mon-Fri 08:00-20:00; Sat 08:00-14:00" (see registry/opening-hours.ts). */
  openingHours?: string | null;
}

/** What `update` may change: anything but the id and the registry number; null clears an optional field. */
export type BusinessPatch = Partial<Omit<BusinessInput, "id" | "registryNumber">>;

/** What a search asks for; every part optional, all parts ANDed. */
export interface BusinessSearch {
  /** Words in either script; each must begin a word of the name or trading name. */
  text?: string | null;
  /** A KD 2010 class, e.g. "47.73". */
  activityCode?: string | null;
  /** A GeoJSON MultiPolygon (a district's boundary). */
  within?: unknown;
  /** A point and a radius in metres. */
  near?: { longitude: number; latitude: number; radiusMeters: number } | null;
}

export const BUSINESSES_COLLECTION = "businesses";

// A class of KD 2010 (NACE Rev. 2): two digits, a dot, one or two digits.
const ACTIVITY_CODE = /^\d{2}\.\d{1,2}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DUPLICATE_KEY = 11000;
const PHONE = /^\+?[0-9][0-9 ()/-]{4,24}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INDEX_NOT_FOUND = 27;
const NAMESPACE_NOT_FOUND = 26;
/** Indexes earlier versions created, dropped by `ensureIndexes`. */
const SUPERSEDED_INDEXES = ["searchKeys", "activityCode"];
/** What a page never shows: the search keys are for the index, the API key id for key rotation. */
const PAGE_PROJECTION = { searchKeys: 0, apiKeyId: 0 } as const;
/** Largest search radius: the city's territory fits in it. */
export const MAX_NEAR_RADIUS_METERS = 50_000;

/** The only code that reads and writes the `businesses` collection. */
export class BusinessRepository {
  readonly collection: Collection<BusinessDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<BusinessDocument>(BUSINESSES_COLLECTION);
  }

  /**
   * 2dsphere on `location` answers "businesses in this district"; the registry number is unique.
   * Search criteria come first and `_id` (the page order) second, so that a search walks its
   * matches in page order and stops after one page (equality, then sort: MongoDB's ESR rule).
   */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ location: "2dsphere" }, { name: "location_2dsphere" });
    await this.collection.createIndex({ registryNumber: 1 }, { name: "registryNumber_unique", unique: true });
    // Multikey: one entry per prefix of each name word, so a prefix search is an index equality.
    await this.collection.createIndex({ searchKeys: 1, _id: 1 }, { name: "searchKeys_id" });
    await this.collection.createIndex({ "activity.code": 1, _id: 1 }, { name: "activityCode_id" });
    // The single-field indexes of earlier versions answer nothing the compound ones do not.
    for (const superseded of SUPERSEDED_INDEXES) await this.dropIndexIfPresent(superseded);
  }

  private async dropIndexIfPresent(name: string): Promise<void> {
    try {
      await this.collection.dropIndex(name);
    } catch (error) {
      // IndexNotFound, or the collection itself does not exist yet (NamespaceNotFound).
      if (error instanceof MongoServerError && (error.code === INDEX_NOT_FOUND || error.code === NAMESPACE_NOT_FOUND)) return;
      throw error;
    }
  }

  async findById(id: string): Promise<Business | null> {
    const document = await this.collection.findOne({ _id: id });
    return document ? toBusiness(document) : null;
  }

  async findByRegistryNumber(registryNumber: string): Promise<Business | null> {
    const document = await this.collection.findOne({ registryNumber });
    return document ? toBusiness(document) : null;
  }

  /** Every business, a page at a time, by id. */
  async findPage(request: PageRequest = {}): Promise<BusinessPage> {
    return this.page({}, request);
  }

  /**
   * The businesses located inside `boundary` (a GeoJSON MultiPolygon, e.g. a district's), a page at a
   * time, by id. Throws `UserInputError` on field "boundary" if it is not a valid MultiPolygon.
   */
  async findWithin(boundary: unknown, request: PageRequest = {}): Promise<BusinessPage> {
    const geometry = parseMultiPolygon(boundary, "boundary");
    return this.page({ location: { $geoWithin: { $geometry: geometry } } }, request);
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** How many businesses are located inside `boundary`; `UserInputError` on field "boundary" as `findWithin`. */
  async countWithin(boundary: unknown): Promise<number> {
    const geometry = parseMultiPolygon(boundary, "boundary");
    return this.collection.countDocuments({ location: { $geoWithin: { $geometry: geometry } } });
  }

  /**
   * Creates or refreshes businesses by id; the seed (and later the registry sync) use it, so running
   * it again changes nothing but `updatedAt`. Optional fields an input leaves out (trading name,
   * contacts, opening hours) keep what the business set itself. Every input is checked before anything is written. A
   * registry number that already belongs to another business is a `ConflictError`.
   */
  async upsertMany(inputs: readonly BusinessInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const checked = inputs.map(checkBusiness);
    const seen = new Map<string, string>();
    for (const business of checked) {
      const other = seen.get(business.registryNumber);
      if (other !== undefined && other !== business.id) throw registryConflict(business.registryNumber);
      seen.set(business.registryNumber, business.id);
    }
    const at = this.now();
    try {
      await this.collection.bulkWrite(
        checked.map(({ id, contacts, ...fields }, index) => {
          // A registry import carries no contacts: it must not wipe those the business gave itself.
          const contactsGiven = inputs[index]!.contacts !== undefined && inputs[index]!.contacts !== null;
          return {
            updateOne: {
              filter: { _id: id },
              update: {
                $set: withoutUndefined({ ...fields, ...(contactsGiven ? { contacts } : {}), updatedAt: at }),
                $setOnInsert: { createdAt: at, ...(contactsGiven ? {} : { contacts }) },
              },
              upsert: true,
            },
          };
        }),
        { ordered: false },
      );
    } catch (error) {
      const registryNumber = duplicateRegistryNumber(error);
      if (registryNumber !== undefined) throw registryConflict(registryNumber, error);
      throw error;
    }
  }

  /**
   * Registers a new business under a fresh id. Bad input is a `UserInputError` naming the field; a
   * registry number that is already registered is a `ConflictError`.
   */
  async register(input: Omit<BusinessInput, "id">): Promise<Business> {
    const { id, ...fields } = checkBusiness({ ...input, id: `business-${randomUUID()}` });
    const at = this.now();
    const document: BusinessDocument = { _id: id, ...withoutUndefined(fields), createdAt: at, updatedAt: at };
    try {
      await this.collection.insertOne(document);
    } catch (error) {
      const registryNumber = duplicateRegistryNumber(error);
      if (registryNumber !== undefined) throw registryConflict(registryNumber, error);
      throw error;
    }
    return toBusiness(document);
  }

  /**
   * Changes the given fields of a business (null clears an optional one), checked as a whole as
   * registration checks them. `NotFoundError` if there is no such business.
   */
  async update(id: string, patch: BusinessPatch): Promise<Business> {
    const existing = await this.collection.findOne({ _id: id });
    if (existing === null) throw new NotFoundError(`no business ${id}`);
    const merged: BusinessInput = { ...toInput(existing), ...definedOnly(patch) };
    const { id: _id, ...fields } = checkBusiness(merged);
    const $set = withoutUndefined({ ...fields, updatedAt: this.now() });
    const $unset: Record<string, ""> = {};
    for (const optional of ["tradingName", "openingHours"] as const) if (fields[optional] === undefined) $unset[optional] = "";
    const updated = await this.collection.findOneAndUpdate(
      { _id: id },
      Object.keys($unset).length > 0 ? { $set, $unset } : { $set },
      { returnDocument: "after" },
    );
    if (updated === null) throw new NotFoundError(`no business ${id}`);
    return toBusiness(updated);
  }

  /** The id of the API key the business holds, if one was issued. */
  async findApiKeyId(id: string): Promise<string | undefined> {
    const document = await this.collection.findOne({ _id: id }, { projection: { apiKeyId: 1 } });
    if (document === null) throw new NotFoundError(`no business ${id}`);
    return document.apiKeyId;
  }

  /** Records which API key the business now holds. */
  async setApiKeyId(id: string, apiKeyId: string): Promise<void> {
    const result = await this.collection.updateOne({ _id: id }, { $set: { apiKeyId, updatedAt: this.now() } });
    if (result.matchedCount === 0) throw new NotFoundError(`no business ${id}`);
  }

  /**
   * Businesses matching every given criterion, a page at a time, by id. Each query word (in either
   * script, with or without diacritics) must begin a word of the name or trading name.
   */
  async search(criteria: BusinessSearch, request: PageRequest = {}): Promise<BusinessPage> {
    const clauses: Filter<BusinessDocument>[] = [];
    const words = criteria.text ? [...new Set(searchWords(criteria.text))] : [];
    if (criteria.text !== undefined && criteria.text !== null && words.length === 0) {
      throw new UserInputError("query must contain at least one letter or digit", { field: "query" });
    }
    for (const word of words) clauses.push({ searchKeys: word });
    if (criteria.activityCode !== undefined && criteria.activityCode !== null) {
      if (!ACTIVITY_CODE.test(criteria.activityCode)) {
        throw new UserInputError(`activityCode must be a KD 2010 class such as "47.73", not ${JSON.stringify(criteria.activityCode)}`, {
          field: "activityCode",
        });
      }
      clauses.push({ "activity.code": criteria.activityCode });
    }
    if (criteria.within !== undefined && criteria.within !== null) {
      clauses.push({ location: { $geoWithin: { $geometry: parseMultiPolygon(criteria.within, "boundary") } } });
    }
    if (criteria.near) clauses.push({ location: { $geoWithin: { $geometry: circle(criteria.near) } } });
    const filter: Filter<BusinessDocument> = clauses.length === 0 ? {} : clauses.length === 1 ? clauses[0]! : { $and: clauses };
    return this.page(filter, request);
  }

  private async page(filter: Filter<BusinessDocument>, request: PageRequest): Promise<BusinessPage> {
    const { first, afterId } = checkPageRequest(request);
    const pageFilter: Filter<BusinessDocument> = afterId === undefined ? filter : { ...filter, _id: { $gt: afterId } };
    // One more than asked tells whether there is a next page without a second query.
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find(pageFilter, { projection: PAGE_PROJECTION })
        .sort({ _id: 1 })
        .limit(first + 1)
        .toArray(),
      request.count === false ? null : this.collection.countDocuments(filter),
    ]);
    return {
      businesses: documents.slice(0, first).map(toBusiness),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }
}

type CheckedBusiness = Omit<BusinessDocument, "_id" | "createdAt" | "updatedAt" | "apiKeyId"> & { id: string };

/** Checks every field of a business; throws `UserInputError` naming the first bad field. */
function checkBusiness(input: BusinessInput): CheckedBusiness {
  const { id } = input;
  if (typeof id !== "string" || !ID.test(id)) {
    throw new UserInputError(`id: ${JSON.stringify(id)} must be 1–64 letters, digits, '-' or '_'`, { field: "id" });
  }
  const bad = (field: string, problem: string) => new UserInputError(`business ${id}: ${field} ${problem}`, { field });
  const text = (value: unknown, field: string): string => {
    if (typeof value !== "string" || value.trim() === "") throw bad(field, "must be a non-empty string");
    return value.trim();
  };
  const optionalText = (value: unknown, field: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw bad(field, "must be a string");
    return value.trim() === "" ? undefined : value.trim();
  };
  const registryNumber = text(input.registryNumber, "registryNumber");
  const registryProblem = registryNumberProblem(registryNumber);
  if (registryProblem !== undefined) throw bad("registryNumber", registryProblem);
  const taxId = text(input.taxId, "taxId");
  const taxProblem = taxIdProblem(taxId);
  if (taxProblem !== undefined) throw bad("taxId", taxProblem);
  const activityCode = text(input.activity?.code, "activity.code");
  if (!ACTIVITY_CODE.test(activityCode)) throw bad("activity.code", `must be a KD 2010 class such as "47.73", not ${JSON.stringify(activityCode)}`);
  let location;
  try {
    location = parsePoint(input.location, "location");
  } catch (error) {
    if (error instanceof UserInputError) {
      throw new UserInputError(`business ${id}: ${error.message}`, { field: error.field, cause: error });
    }
    throw error;
  }
  const contacts: ContactsValue = {};
  const phone = optionalText(input.contacts?.phone, "contacts.phone");
  if (phone !== undefined) {
    if (!PHONE.test(phone)) throw bad("contacts.phone", `must be a phone number such as "+381 37 123 456", not ${JSON.stringify(phone)}`);
    contacts.phone = phone;
  }
  const email = optionalText(input.contacts?.email, "contacts.email");
  if (email !== undefined) {
    if (!EMAIL.test(email)) throw bad("contacts.email", `must be an e-mail address, not ${JSON.stringify(email)}`);
    contacts.email = email;
  }
  const website = optionalText(input.contacts?.website, "contacts.website");
  if (website !== undefined) {
    if (!isWebAddress(website)) throw bad("contacts.website", `must be an http(s) address, not ${JSON.stringify(website)}`);
    contacts.website = website;
  }
  const hoursText = optionalText(input.openingHours, "openingHours");
  let openingHours;
  if (hoursText !== undefined) {
    try {
      openingHours = parseOpeningHours(hoursText);
    } catch (error) {
      if (error instanceof OpeningHoursSyntaxError) {
        throw new UserInputError(`business ${id}: openingHours: ${error.message}`, { field: "openingHours", cause: error });
      }
      throw error;
    }
  }
  const name = text(input.name, "name");
  const tradingName = optionalText(input.tradingName, "tradingName");
  return {
    id,
    name,
    tradingName,
    registryNumber,
    taxId,
    activity: { code: activityCode, label: text(input.activity?.label, "activity.label") },
    address: {
      street: text(input.address?.street, "address.street"),
      number: text(input.address?.number, "address.number"),
      city: text(input.address?.city, "address.city"),
    },
    location,
    contacts,
    openingHours,
    searchKeys: searchPrefixes(name, tradingName),
  };
}

function isWebAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.includes(".");
  } catch {
    return false;
  }
}

/** A stored business as the input that would write it again (for checking a patch as a whole). */
function toInput(document: BusinessDocument): BusinessInput {
  return {
    id: document._id,
    name: document.name,
    tradingName: document.tradingName ?? null,
    registryNumber: document.registryNumber,
    taxId: document.taxId,
    activity: document.activity,
    address: document.address,
    location: document.location,
    contacts: document.contacts ?? {},
    openingHours: document.openingHours?.text ?? null,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, part]) => part !== undefined)) as Partial<T>;
}

/** The driver would store `undefined` as null; optional fields are left out instead. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return definedOnly(value) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * A 64-gon approximating the circle of `radiusMeters` around a point, for `$geoWithin` (the embedded
 * store has no `$centerSphere`; a polygon keeps the id order that cursors rely on, where `$near` would
 * order by distance).
 */
function circle(near: { longitude: number; latitude: number; radiusMeters: number }): { type: "Polygon"; coordinates: number[][][] } {
  const { longitude, latitude, radiusMeters } = near;
  parsePoint({ type: "Point", coordinates: [longitude, latitude] }, "near");
  if (!Number.isFinite(radiusMeters) || radiusMeters <= 0 || radiusMeters > MAX_NEAR_RADIUS_METERS) {
    throw new UserInputError(`near.radiusMeters must be more than 0 and at most ${MAX_NEAR_RADIUS_METERS}, not ${radiusMeters}`, {
      field: "near.radiusMeters",
    });
  }
  const EARTH_RADIUS_METERS = 6_378_100;
  const angular = radiusMeters / EARTH_RADIUS_METERS;
  const lat = (latitude * Math.PI) / 180;
  const lng = (longitude * Math.PI) / 180;
  const ring: number[][] = [];
  const SIDES = 64;
  for (let side = 0; side < SIDES; side++) {
    const bearing = (2 * Math.PI * side) / SIDES;
    const pointLat = Math.asin(Math.sin(lat) * Math.cos(angular) + Math.cos(lat) * Math.sin(angular) * Math.cos(bearing));
    const pointLng =
      lng + Math.atan2(Math.sin(bearing) * Math.sin(angular) * Math.cos(lat), Math.cos(angular) - Math.sin(lat) * Math.sin(pointLat));
    ring.push([(pointLng * 180) / Math.PI, (pointLat * 180) / Math.PI]);
  }
  ring.push(ring[0]!);
  return { type: "Polygon", coordinates: [ring] };
}

function registryConflict(registryNumber: string, cause?: unknown): ConflictError {
  return new ConflictError(`registry number ${registryNumber} already belongs to another business`, {
    ...(cause === undefined ? {} : { cause }),
    details: { field: "registryNumber", registryNumber },
  });
}

/** The registry number of a duplicate-key failure on the unique registry-number index, if that is what failed. */
function duplicateRegistryNumber(error: unknown): string | undefined {
  const failures: unknown[] =
    error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : error instanceof MongoServerError ? [error] : [];
  for (const candidate of failures) {
    const failure = candidate as { code?: unknown; errmsg?: unknown; message?: unknown; keyValue?: unknown; err?: unknown };
    if (failure.code !== DUPLICATE_KEY) continue;
    const keyValue = failure.keyValue ?? (failure.err as { keyValue?: unknown } | undefined)?.keyValue;
    const fromKey = (keyValue as { registryNumber?: unknown } | undefined)?.registryNumber;
    if (typeof fromKey === "string") return fromKey;
    // Servers do not all report keyValue per write error; the message names the key in any case.
    const message = String(failure.errmsg ?? failure.message ?? "");
    const fromMessage = /registryNumber: "(\d{8})"/.exec(message)?.[1];
    if (fromMessage !== undefined) return fromMessage;
  }
  return undefined;
}
