/**
 * Index specifications as `createIndexes` receives them: validated and normalised the way mongod
 * does, so that conflicts and errors read like mongod's.
 */
import { EJSON } from "bson";
import { bsonTypeOf, canonicalKey, isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";
import { compileFilter } from "../query/matcher.js";
import type { IndexSpec } from "./catalog.js";
import { isPlainDocument, type IndexField } from "./index-keys.js";

export const ID_INDEX_NAME = "_id_";
export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME };

/** Options mongod accepts in an index specification (others fail with InvalidIndexSpecificationOption). */
const knownOptions = new Set([
  "v",
  "key",
  "name",
  "ns",
  "background",
  "unique",
  "sparse",
  "partialFilterExpression",
  "expireAfterSeconds",
  "hidden",
  "collation",
  "weights",
  "default_language",
  "language_override",
  "textIndexVersion",
  "2dsphereIndexVersion",
  "bits",
  "min",
  "max",
  "bucketSize",
  "storageEngine",
  "wildcardProjection",
  "coarsestIndexedLevel",
  "finestIndexedLevel",
  "prepareUnique",
]);

/** Options that do not change what an index is: ignored when comparing and not stored. */
const nonSemanticOptions = new Set(["v", "key", "name", "ns", "background"]);

const MAX_TTL_SECONDS = 2 ** 31 - 1;

function cannotCreate(message: string): MongoCommandError {
  return new MongoCommandError(ErrorCodes.CannotCreateIndex, message);
}

function show(value: unknown): string {
  return EJSON.stringify(value as Doc, { relaxed: true });
}

/** mongod's default index name: `field_1_other_-1`, `location_2dsphere`. */
export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([field, value]) => `${field}_${isNumeric(value) ? String(toNumber(value)) : String(value)}`)
    .join("_");
}

/** The fields of a (validated) key pattern. */
export function indexFields(key: Doc): IndexField[] {
  return Object.entries(key).map(([path, value]): IndexField => {
    if (value === "2dsphere") return { path, kind: "2dsphere", direction: 1 };
    if (value === "hashed") return { path, kind: "hashed", direction: 1 };
    return toNumber(value) < 0 ? { path, kind: "descending", direction: -1 } : { path, kind: "ascending", direction: 1 };
  });
}

function validateKeyPattern(key: unknown): Doc {
  if (!isPlainDocument(key)) {
    throw new MongoCommandError(ErrorCodes.TypeMismatch, "The field 'key' must be an object");
  }
  const entries = Object.entries(key);
  if (entries.length === 0) throw cannotCreate("Index keys cannot be an empty field.");
  let hashedFields = 0;
  let geoFields = 0;
  for (const [field, value] of entries) {
    if (field === "") throw cannotCreate("Index keys cannot be an empty field.");
    if (field.startsWith("$")) throw cannotCreate(`Index key contains an illegal field name: field name starts with '$'.`);
    if (field.split(".").some((part) => part === "")) {
      throw cannotCreate(`Index keys cannot contain an empty field name: ${field}`);
    }
    if (isNumeric(value)) {
      const number = toNumber(value);
      if (number === 0 || Number.isNaN(number)) throw cannotCreate("Values in the index key pattern can't be 0.");
      continue;
    }
    if (typeof value !== "string") {
      throw cannotCreate(`Values in v:2 index key pattern cannot be of type ${bsonTypeOf(value)}. Only numbers > 0, numbers < 0, and strings are allowed.`);
    }
    switch (value) {
      case "2dsphere":
        geoFields++;
        break;
      case "hashed":
        hashedFields++;
        break;
      case "text":
        throw cannotCreate("text indexes are not supported by the embedded server");
      case "2d":
      case "geoHaystack":
        throw cannotCreate(`${value} indexes are not supported by the embedded server; use 2dsphere`);
      default:
        throw cannotCreate(`Unknown index plugin '${value}'`);
    }
  }
  if (hashedFields > 1) throw cannotCreate("A maximum of one index field is allowed to be hashed");
  if (geoFields > 1) throw cannotCreate("the embedded server supports one 2dsphere field per index");
  return key;
}

function booleanOption(spec: Doc, option: string): boolean | undefined {
  const value = spec[option];
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value;
  if (isNumeric(value)) return toNumber(value) !== 0;
  throw new MongoCommandError(ErrorCodes.TypeMismatch, `The field '${option}' must be a boolean, not ${bsonTypeOf(value)}`);
}

/**
 * Validates one requested index and returns it as listIndexes shows it: `{ v: 2, key, name, ...options }`.
 * `false` unique/sparse/hidden are dropped, as they mean the same as absent.
 */
export function normalizeIndexSpec(raw: Doc): IndexSpec {
  for (const option of Object.keys(raw)) {
    if (!knownOptions.has(option)) {
      throw new MongoCommandError(
        197,
        `The field '${option}' is not valid for an index specification. Specification: ${show(raw)}`,
        { codeName: "InvalidIndexSpecificationOption" },
      );
    }
  }
  if (raw.key === undefined) {
    throw new MongoCommandError(ErrorCodes.FailedToParse, "The 'key' field is a required property of an index specification");
  }
  const key = validateKeyPattern(raw.key);
  const name = raw.name === undefined ? defaultIndexName(key) : raw.name;
  if (typeof name !== "string") {
    throw new MongoCommandError(ErrorCodes.TypeMismatch, `The field 'name' must be a string, not ${bsonTypeOf(name)}`);
  }
  if (name === "") throw cannotCreate("The index name cannot be empty");
  if (name === "*") throw cannotCreate("The index name '*' is not valid.");
  if (raw.v !== undefined && !(isNumeric(raw.v) && [1, 2].includes(toNumber(raw.v)))) {
    throw cannotCreate(`Invalid index specification ${show(raw)}; cannot create an index with v=${String(raw.v)}`);
  }
  const collation = raw.collation;
  if (collation !== undefined && !(isPlainDocument(collation) && (collation.locale === "simple" || Object.keys(collation).length === 0))) {
    throw new MongoCommandError(ErrorCodes.NotImplemented, "collation other than 'simple' is not supported by the embedded server");
  }

  const spec: IndexSpec = { v: 2, key, name };
  for (const [option, value] of Object.entries(raw)) {
    if (nonSemanticOptions.has(option) || option === "collation") continue;
    if (option === "unique" || option === "sparse" || option === "hidden") {
      if (booleanOption(raw, option)) spec[option] = true;
      continue;
    }
    spec[option] = value;
  }

  const fields = indexFields(key);
  const isGeo = fields.some((field) => field.kind === "2dsphere");
  const isHashed = fields.some((field) => field.kind === "hashed");
  if (spec.partialFilterExpression !== undefined) {
    if (!isPlainDocument(spec.partialFilterExpression)) {
      throw new MongoCommandError(ErrorCodes.TypeMismatch, "The field 'partialFilterExpression' must be an object");
    }
    if (spec.sparse) throw cannotCreate('cannot mix "partialFilterExpression" and "sparse" options');
    compileFilter(spec.partialFilterExpression);
  }
  if (spec.unique && isHashed) {
    throw cannotCreate("Currently hashed indexes cannot guarantee uniqueness. Use a regular index.");
  }
  if (spec.expireAfterSeconds !== undefined) {
    const seconds = spec.expireAfterSeconds;
    if (!isNumeric(seconds)) {
      throw new MongoCommandError(ErrorCodes.TypeMismatch, "TTL index 'expireAfterSeconds' option must be numeric");
    }
    const number = toNumber(seconds);
    if (!Number.isFinite(number) || number < 0 || number > MAX_TTL_SECONDS) {
      throw new MongoCommandError(
        ErrorCodes.InvalidOptions,
        `TTL index 'expireAfterSeconds' option must be within an acceptable range, try a value between 0 and ${MAX_TTL_SECONDS}`,
      );
    }
    if (fields.length > 1) {
      throw cannotCreate(`TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: ${show(raw)}`);
    }
    if (fields[0].path === "_id") {
      throw cannotCreate("The field 'expireAfterSeconds' is not valid for an _id index specification.");
    }
    spec.expireAfterSeconds = number;
  }
  if (isGeo && spec["2dsphereIndexVersion"] === undefined) spec["2dsphereIndexVersion"] = 3;
  return spec;
}

/** The options that make an index what it is, in a form that compares by string. */
export function optionsKey(spec: IndexSpec): string {
  const options: Doc = {};
  for (const option of Object.keys(spec).sort()) {
    if (!nonSemanticOptions.has(option)) options[option] = spec[option];
  }
  return canonicalKey(options);
}

export function sameKeyPattern(a: Doc, b: Doc): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

/** Mongod lets two indexes share a key pattern only when these options tell them apart. */
export function distinguishingOptionsKey(spec: IndexSpec): string {
  return canonicalKey({ partialFilterExpression: spec.partialFilterExpression ?? null });
}

export function describeSpec(spec: IndexSpec): string {
  return show(spec);
}
