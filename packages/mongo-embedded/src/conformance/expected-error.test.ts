import { MongoBulkWriteError, MongoInvalidArgumentError, MongoNetworkError, MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { isServerError, matchExpectedError } from "./expected-error.js";

const noEntities = () => undefined;
const serverError = (fields: Record<string, unknown>) => new MongoServerError({ ok: 0, ...fields });

describe("isServerError", () => {
  it("tells server replies from the driver's own errors", () => {
    expect(isServerError(serverError({ errmsg: "bad", code: 2 }))).toBe(true);
    expect(isServerError(new MongoInvalidArgumentError("Update document requires atomic operators"))).toBe(false);
    expect(isServerError(new Error("plain"))).toBe(false);
  });

  it("looks inside the driver's bulk write wrapper", () => {
    const result = undefined as unknown as ConstructorParameters<typeof MongoBulkWriteError>[1];
    expect(isServerError(new MongoBulkWriteError({ message: "E11000", code: 11000, writeErrors: [] }, result))).toBe(true);
    expect(isServerError(new MongoBulkWriteError(serverError({ errmsg: "unknown field" }), result))).toBe(true);
    expect(isServerError(new MongoBulkWriteError(new MongoNetworkError("closed"), result))).toBe(false);
  });
});

describe("matchExpectedError", () => {
  const duplicateKey = serverError({ errmsg: "E11000 duplicate key error", code: 11000, codeName: "DuplicateKey", errorLabels: ["Transient"] });

  it("checks the client/server kind", () => {
    expect(matchExpectedError(duplicateKey, { isClientError: false }, noEntities)).toBeUndefined();
    expect(matchExpectedError(duplicateKey, { isClientError: true }, noEntities)).toMatch(/expected a client error/);
    expect(matchExpectedError(new MongoInvalidArgumentError("x"), { isClientError: true }, noEntities)).toBeUndefined();
    expect(matchExpectedError(new MongoInvalidArgumentError("x"), { isError: true }, noEntities)).toBeUndefined();
  });

  it("checks errorContains case-insensitively", () => {
    expect(matchExpectedError(duplicateKey, { errorContains: "DUPLICATE KEY" }, noEntities)).toBeUndefined();
    expect(matchExpectedError(duplicateKey, { errorContains: "unknown field" }, noEntities)).toMatch(/containing "unknown field"/);
  });

  it("checks the code and code name", () => {
    expect(matchExpectedError(duplicateKey, { errorCode: 11000, errorCodeName: "DuplicateKey" }, noEntities)).toBeUndefined();
    expect(matchExpectedError(duplicateKey, { errorCode: 8 }, noEntities)).toMatch(/expected error code 8, got 11000/);
    expect(matchExpectedError(duplicateKey, { errorCodeName: "BadValue" }, noEntities)).toMatch(/code name BadValue/);
  });

  it("checks error labels present and absent", () => {
    expect(matchExpectedError(duplicateKey, { errorLabelsContain: ["Transient"], errorLabelsOmit: ["Other"] }, noEntities)).toBeUndefined();
    expect(matchExpectedError(duplicateKey, { errorLabelsContain: ["Other"] }, noEntities)).toMatch(/expected error label Other/);
    expect(matchExpectedError(duplicateKey, { errorLabelsOmit: ["Transient"] }, noEntities)).toMatch(/no error label Transient/);
  });

  it("matches a bulk write's partial result", () => {
    const partial = { insertedCount: 2, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: { 0: 2, 2: 3 } };
    const error = new MongoBulkWriteError(
      { message: "E11000", code: 11000, writeErrors: [] },
      partial as unknown as ConstructorParameters<typeof MongoBulkWriteError>[1],
    );
    expect(matchExpectedError(error, { isError: true, expectResult: { insertedCount: 2, upsertedIds: {} } }, noEntities)).toBeUndefined();
    expect(matchExpectedError(error, { isError: true, expectResult: { insertedCount: 3 } }, noEntities)).toMatch(/partial result: \.insertedCount/);
  });
});
