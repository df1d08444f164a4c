/**
 * Reading command arguments the way mongod's IDL parser does, with its messages:
 * "BSON field 'find.filter' is the wrong type 'string', expected type 'object'".
 */
import { bsonTypeOf, isNumeric, toNumber, type Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError, failedToParse } from "../errors.js";

export function isDoc(value: unknown): value is Doc {
  return bsonTypeOf(value) === "object";
}

function wrongType(command: string, field: string, value: unknown, expected: string): MongoCommandError {
  return new MongoCommandError(
    ErrorCodes.TypeMismatch,
    `BSON field '${command}.${field}' is the wrong type '${bsonTypeOf(value)}', expected type '${expected}'`,
  );
}

export function optionalDoc(cmd: Doc, command: string, field: string): Doc | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (!isDoc(value)) throw wrongType(command, field, value, "object");
  return value;
}

export function requiredDoc(cmd: Doc, command: string, field: string): Doc {
  const value = optionalDoc(cmd, command, field);
  if (value === undefined) throw missingField(command, field);
  return value;
}

export function optionalArray(cmd: Doc, command: string, field: string): unknown[] | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(command, field, value, "array");
  return value;
}

export function requiredArray(cmd: Doc, command: string, field: string): unknown[] {
  const value = optionalArray(cmd, command, field);
  if (value === undefined) throw missingField(command, field);
  return value;
}

export function docsOf(values: unknown[], command: string, field: string): Doc[] {
  return values.map((value, index) => {
    if (!isDoc(value)) throw wrongType(command, `${field}.${index}`, value, "object");
    return value;
  });
}

export function optionalNumber(cmd: Doc, command: string, field: string): number | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (!isNumeric(value)) throw wrongType(command, field, value, "long");
  return toNumber(value);
}

export function optionalNonNegative(cmd: Doc, command: string, field: string): number | undefined {
  const value = optionalNumber(cmd, command, field);
  if (value !== undefined && value < 0) {
    throw new MongoCommandError(
      ErrorCodes.BadValue,
      `BSON field '${field}' value must be >= 0, actual value '${value}'`,
      { codeName: "Location51024" },
    );
  }
  return value;
}

export function optionalBool(cmd: Doc, command: string, field: string): boolean | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (isNumeric(value)) return toNumber(value) !== 0;
  throw wrongType(command, field, value, "bool");
}

export function optionalString(cmd: Doc, command: string, field: string): string | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType(command, field, value, "string");
  return value;
}

/** The collection a command names in its first field: `{find: "requests", ...}`. */
export function collectionName(cmd: Doc, command: string): string {
  const value = cmd[command];
  if (typeof value !== "string") {
    throw new MongoCommandError(
      ErrorCodes.InvalidNamespace,
      `collection name has invalid type ${bsonTypeOf(value)}`,
    );
  }
  if (value.length === 0) throw new MongoCommandError(ErrorCodes.InvalidNamespace, `Invalid namespace specified '${value}'`);
  return value;
}

/** `hint` is an index name or a key pattern. */
export function optionalHint(cmd: Doc, command: string): string | Doc | undefined {
  const value = cmd.hint;
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" || isDoc(value)) return value;
  throw failedToParse(`BSON field '${command}.hint' must be a string or an object`);
}

/**
 * Only the simple binary collation is implemented; a locale-aware collation would silently change
 * what equality and ordering mean, so it is refused rather than ignored.
 */
export function rejectCollation(cmd: Doc): void {
  const collation = cmd.collation;
  if (collation === undefined || collation === null) return;
  if (isDoc(collation) && (collation.locale === "simple" || Object.keys(collation).length === 0)) return;
  throw new MongoCommandError(ErrorCodes.NotImplemented, "collation other than 'simple' is not supported by the embedded server");
}

function missingField(command: string, field: string): MongoCommandError {
  return new MongoCommandError(
    ErrorCodes.Location40414,
    `BSON field '${command}.${field}' is missing but a required field`,
    { codeName: "Location40414" },
  );
}
