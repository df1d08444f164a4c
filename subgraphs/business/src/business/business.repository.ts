import { parseMultiPolygon, parsePoint } from "@situation/city-subgraph/seed-data";
import { ConflictError, UserInputError } from "@situation/platform";
import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Filter } from "mongodb";
import { checkPageRequest, type BusinessPage, type PageRequest } from "./business-page.js";
import { toBusiness, type Business, type BusinessDocument } from "./business.model.js";

export interface BusinessInput {
  id: string;
  name: string;
  registryNumber: string;
  activity: { code: string; label: string };
  address: { street: string; number: string; city: string };
  /** A GeoJSON Point; checked before it is written. */
  location: unknown;
}

export const BUSINESSES_COLLECTION = "businesses";

const REGISTRY_NUMBER = /^\d{8}$/;
// A class of KD 2010 (NACE Rev. 2): two digits, a dot, one or two digits.
const ACTIVITY_CODE = /^\d{2}\.\d{1,2}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DUPLICATE_KEY = 11000;

/** The only code that reads and writes the `businesses` collection. */
export class BusinessRepository {
  readonly collection: Collection<BusinessDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<BusinessDocument>(BUSINESSES_COLLECTION);
  }

  /** 2dsphere on `location` answers "businesses in this district"; the registry number is unique. */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ location: "2dsphere" }, { name: "location_2dsphere" });
    await this.collection.createIndex({ registryNumber: 1 }, { name: "registryNumber_unique", unique: true });
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

  /**
   * Creates or refreshes businesses by id; the seed (and later the registry sync) use it, so running
   * it again changes nothing but `updatedAt`. Every input is checked before anything is written. A
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
        checked.map(({ id, ...fields }) => ({
          updateOne: {
            filter: { _id: id },
            update: { $set: { ...fields, updatedAt: at }, $setOnInsert: { createdAt: at } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    } catch (error) {
      const registryNumber = duplicateRegistryNumber(error);
      if (registryNumber !== undefined) throw registryConflict(registryNumber, error);
      throw error;
    }
  }

  private async page(filter: Filter<BusinessDocument>, request: PageRequest): Promise<BusinessPage> {
    const { first, afterId } = checkPageRequest(request);
    const pageFilter: Filter<BusinessDocument> = afterId === undefined ? filter : { ...filter, _id: { $gt: afterId } };
    // One more than asked tells whether there is a next page without a second query.
    const [documents, totalCount] = await Promise.all([
      this.collection.find(pageFilter).sort({ _id: 1 }).limit(first + 1).toArray(),
      this.collection.countDocuments(filter),
    ]);
    return {
      businesses: documents.slice(0, first).map(toBusiness),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }
}

function checkBusiness(input: BusinessInput): Omit<BusinessDocument, "_id" | "createdAt" | "updatedAt"> & { id: string } {
  const { id } = input;
  if (typeof id !== "string" || !ID.test(id)) {
    throw new UserInputError(`id: ${JSON.stringify(id)} must be 1–64 letters, digits, '-' or '_'`, { field: "id" });
  }
  const text = (value: unknown, field: string): string => {
    if (typeof value !== "string" || value.trim() === "") {
      throw new UserInputError(`business ${id}: ${field} must be a non-empty string`, { field });
    }
    return value.trim();
  };
  const registryNumber = text(input.registryNumber, "registryNumber");
  if (!REGISTRY_NUMBER.test(registryNumber)) {
    throw new UserInputError(`business ${id}: registryNumber must be exactly 8 digits, not ${JSON.stringify(registryNumber)}`, {
      field: "registryNumber",
    });
  }
  const activityCode = text(input.activity?.code, "activity.code");
  if (!ACTIVITY_CODE.test(activityCode)) {
    throw new UserInputError(`business ${id}: activity.code must be a KD 2010 class such as "47.73", not ${JSON.stringify(activityCode)}`, {
      field: "activity.code",
    });
  }
  let location;
  try {
    location = parsePoint(input.location, "location");
  } catch (error) {
    if (error instanceof UserInputError) {
      throw new UserInputError(`business ${id}: ${error.message}`, { field: error.field, cause: error });
    }
    throw error;
  }
  return {
    id,
    name: text(input.name, "name"),
    registryNumber,
    activity: { code: activityCode, label: text(input.activity?.label, "activity.label") },
    address: {
      street: text(input.address?.street, "address.street"),
      number: text(input.address?.number, "address.number"),
      city: text(input.address?.city, "address.city"),
    },
    location,
  };
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
