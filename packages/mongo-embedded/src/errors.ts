/**
 * MongoDB's own error codes and names, as the server sends them in `{ ok: 0, code, codeName, errmsg }`.
 * The driver maps these to its error classes, so clients see the same errors as against mongod.
 * Numbers and names are MongoDB's (src/mongo/base/error_codes.yml).
 */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  Unauthorized: 13,
  NoSuchKey: 4,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  InvalidNamespace: 73,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexAlreadyExists: 68,
  InvalidOptions: 72,
  NamespaceNotFound: 26,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  OperationFailed: 96,
  MaxTimeMSExpired: 50,
  Location16755: 16755,
  Location17280: 17280,
  ExceededMemoryLimit: 146,
  InvalidPipelineOperator: 168,
  CommandNotSupported: 115,
  NotImplemented: 238,
  DocumentValidationFailure: 121,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  UnknownError: 8,
  Location2: 2,
  Location15974: 15974,
  Location15998: 15998,
  Location16410: 16410,
  Location16836: 16836,
  Location31249: 31249,
  Location31250: 31250,
  Location31254: 31254,
  Location40352: 40352,
  Location40353: 40353,
  Location40414: 40414,
  Location51024: 51024,
  Location51091: 51091,
  Location9: 9,
  NoQueryExecutionPlans: 291,
  APIStrictError: 323,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

/** MongoDB reports these under their own names; everything else under the name of its code. */
const codeNameOverrides: Partial<Record<number, string>> = {
  [ErrorCodes.Location16755]: "Location16755",
  [ErrorCodes.Location17280]: "Location17280",
};

function codeNameOf(code: number): string {
  const override = codeNameOverrides[code];
  if (override) return override;
  for (const [name, value] of Object.entries(ErrorCodes)) {
    if (value === code && !name.startsWith("Location")) return name;
  }
  return `Location${code}`;
}

/**
 * An error that becomes a command's error reply. `extra` fields are merged into the reply
 * (for example `keyPattern` and `keyValue` of a duplicate key error).
 */
export class MongoCommandError extends Error {
  override readonly name = "MongoCommandError";
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown>;

  constructor(
    code: number,
    message: string,
    options: { codeName?: string; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.codeName = options.codeName ?? codeNameOf(code);
    this.extra = options.extra ?? {};
  }

  /** The reply document MongoDB sends for this error. */
  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

export const badValue = (message: string): MongoCommandError =>
  new MongoCommandError(ErrorCodes.BadValue, message);

export const failedToParse = (message: string): MongoCommandError =>
  new MongoCommandError(ErrorCodes.FailedToParse, message);

export const typeMismatch = (message: string): MongoCommandError =>
  new MongoCommandError(ErrorCodes.TypeMismatch, message);

/** Any thrown value as a command error: unexpected failures keep their cause for the log. */
export function asCommandError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MongoCommandError(ErrorCodes.InternalError, message, { cause: error });
}
