import { UserInputError } from "@situation/platform";
import type { Collection, Db } from "mongodb";
import { isPointInMultiPolygon, parseMultiPolygon, parsePoint, type PointGeometry } from "../geo/geo-json.js";
import { toDistrict, type District, type DistrictDocument } from "./district.model.js";

export interface DistrictInput {
  id: string;
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  /** A GeoJSON MultiPolygon; checked before it is written. */
  boundary: unknown;
  /** A GeoJSON Point inside the boundary; checked before it is written. */
  centre: unknown;
}

export const DISTRICTS_COLLECTION = "districts";

// Lower-case Latin letters and digits in hyphen-separated words: URL- and log-friendly, no diacritics.
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The only code that reads and writes the `districts` collection. */
export class DistrictRepository {
  readonly collection: Collection<DistrictDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<DistrictDocument>(DISTRICTS_COLLECTION);
  }

  /**
   * The district id is the document's `_id`, so MongoDB's own unique `_id` index keeps ids unique;
   * the 2dsphere index answers "which district is this point in".
   */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ boundary: "2dsphere" }, { name: "boundary_2dsphere" });
  }

  async findAll(): Promise<District[]> {
    const documents = await this.collection.find({}).sort({ _id: 1 }).toArray();
    return documents.map(toDistrict);
  }

  async findById(id: string): Promise<District | null> {
    const document = await this.collection.findOne({ _id: id });
    return document ? toDistrict(document) : null;
  }

  /** The district whose boundary contains the point (on a shared edge: the first by id). */
  async findContaining(point: PointGeometry): Promise<District | null> {
    const location = parsePoint(point, "point");
    const document = await this.collection.findOne(
      { boundary: { $geoIntersects: { $geometry: location } } },
      { sort: { _id: 1 } },
    );
    return document ? toDistrict(document) : null;
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /**
   * Creates or refreshes districts by id; the seed uses it, so running it again changes nothing but
   * `updatedAt`. Every input is checked before anything is written, so bad input writes nothing.
   */
  async upsertMany(inputs: readonly DistrictInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const checked = inputs.map(checkDistrict);
    const at = this.now();
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
  }
}

function checkDistrict(input: DistrictInput): Omit<DistrictDocument, "_id" | "createdAt" | "updatedAt"> & { id: string } {
  const { id } = input;
  if (typeof id !== "string" || !SLUG.test(id)) {
    throw new UserInputError(`id: ${JSON.stringify(id)} is not a slug (lower-case letters and digits, hyphenated)`, {
      field: "id",
    });
  }
  const name = (field: "nameCyrillic" | "nameLatin"): string => {
    const value = input[field];
    if (typeof value !== "string" || value.trim() === "") {
      throw new UserInputError(`district ${id}: ${field} must be a non-empty string`, { field });
    }
    return value.trim();
  };
  if (!Number.isSafeInteger(input.population) || input.population < 0) {
    throw new UserInputError(`district ${id}: population must be a non-negative integer, not ${input.population}`, {
      field: "population",
    });
  }
  const boundary = withDistrict(id, () => parseMultiPolygon(input.boundary, "boundary"));
  const centre = withDistrict(id, () => parsePoint(input.centre, "centre"));
  // A label placed outside its own district would mislead every map that draws it.
  if (!isPointInMultiPolygon(centre.coordinates, boundary)) {
    throw new UserInputError(`district ${id}: centre must lie inside the boundary`, { field: "centre" });
  }
  return {
    id,
    nameCyrillic: name("nameCyrillic"),
    nameLatin: name("nameLatin"),
    population: input.population,
    boundary,
    centre,
  };
}

/** Prefixes a geometry error with the district it concerns, keeping its field. */
function withDistrict<T>(id: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UserInputError) {
      throw new UserInputError(`district ${id}: ${error.message}`, { field: error.field, cause: error });
    }
    throw error;
  }
}
