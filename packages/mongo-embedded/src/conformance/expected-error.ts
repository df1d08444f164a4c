/**
 * `expectError`: does the error an operation threw have the expected kind, message, code, labels
 * and (for bulk writes) partial result?
 */
import { MongoBulkWriteError, MongoError, MongoOperationTimeoutError, MongoServerError } from "mongodb";
import { matchResult, type EntityLookup, type Mismatch } from "./match.js";
import type { ExpectedError } from "./unified-format.js";

export function matchExpectedError(error: unknown, expected: ExpectedError, lookupEntity: EntityLookup): Mismatch {
  const message = error instanceof Error ? error.message : String(error);
  const described = `${errorName(error)}: ${message}`;
  if (expected.isClientError !== undefined && expected.isClientError === isServerError(error)) {
    return `expected a ${expected.isClientError ? "client" : "server"} error, got ${described}`;
  }
  if (expected.isTimeoutError !== undefined && expected.isTimeoutError !== error instanceof MongoOperationTimeoutError) {
    return `expected ${expected.isTimeoutError ? "a" : "no"} timeout error, got ${described}`;
  }
  if (expected.errorContains !== undefined && !message.toLowerCase().includes(expected.errorContains.toLowerCase())) {
    return `expected an error containing "${expected.errorContains}", got ${described}`;
  }
  const code = propertyOf(error, "code");
  if (expected.errorCode !== undefined && code !== expected.errorCode) {
    return `expected error code ${expected.errorCode}, got ${String(code)} (${described})`;
  }
  const codeName = propertyOf(error, "codeName");
  if (expected.errorCodeName !== undefined && codeName !== expected.errorCodeName) {
    return `expected error code name ${expected.errorCodeName}, got ${String(codeName)} (${described})`;
  }
  for (const label of expected.errorLabelsContain ?? []) {
    if (!hasErrorLabel(error, label)) return `expected error label ${label} (${described})`;
  }
  for (const label of expected.errorLabelsOmit ?? []) {
    if (hasErrorLabel(error, label)) return `expected no error label ${label} (${described})`;
  }
  if (expected.expectResult !== undefined) {
    // A bulk write error carries the partial result through the same getters as BulkWriteResult.
    const found = matchResult(expected.expectResult, error, lookupEntity);
    if (found !== undefined) return `partial result: ${found}`;
  }
  if (expected.errorResponse !== undefined) {
    const found = matchResult(expected.errorResponse, propertyOf(error, "errorResponse"), lookupEntity);
    if (found !== undefined) return `error response: ${found}`;
  }
  return undefined;
}

/**
 * Whether the server reported the error. The driver wraps every error of a bulk write, its own
 * argument checks and network failures included, in a MongoBulkWriteError (a MongoServerError
 * subclass), so for those the wrapped cause decides; plain write errors are not MongoErrors.
 */
export function isServerError(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const cause: unknown = error.errorResponse;
    return !(cause instanceof MongoError) || cause instanceof MongoServerError;
  }
  return error instanceof MongoServerError;
}

function hasErrorLabel(error: unknown, label: string): boolean {
  return error instanceof MongoError && error.hasErrorLabel(label);
}

function propertyOf(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
