/**
 * The one list of error codes a client can see. Every code has an HTTP status and a description;
 * `docs/errors.md` documents each (a test checks it), and the subgraph edge passes a `PlatformError`'s
 * code, message and field through unmasked while masking anything else as INTERNAL_SERVER_ERROR.
 */

export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  UPSTREAM_FAILURE: "UPSTREAM_FAILURE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  RATE_LIMITED: "RATE_LIMITED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCatalog: Readonly<Record<ErrorCode, { readonly httpStatus: number; readonly description: string }>> =
  Object.freeze({
    BAD_USER_INPUT: { httpStatus: 400, description: "The request's input is invalid; `extensions.field` names the field." },
    UNAUTHENTICATED: { httpStatus: 401, description: "No valid credentials (bearer token, API key or identity token)." },
    FORBIDDEN: { httpStatus: 403, description: "The caller is authenticated but its roles or ownership do not allow this." },
    NOT_FOUND: { httpStatus: 404, description: "The requested object does not exist (or is not visible to the caller)." },
    CONFLICT: { httpStatus: 409, description: "The write conflicts with the current state, e.g. a duplicate key." },
    UPSTREAM_FAILURE: { httpStatus: 502, description: "A dependency (MongoDB, Redis, a subgraph, an external feed) failed or is unreachable." },
    INTERNAL_SERVER_ERROR: { httpStatus: 500, description: "An unexpected failure; details are masked and logged with the request id." },
    RATE_LIMITED: { httpStatus: 429, description: "Too many requests; retry later." },
  });

export interface PlatformErrorOptions {
  cause?: unknown;
  /** Safe, client-visible details (never secrets or internals). */
  details?: Record<string, unknown>;
}

/** Base class of every error whose code and message a client may see. */
export class PlatformError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PlatformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PlatformError";
    this.code = code;
    this.httpStatus = errorCatalog[code].httpStatus;
    this.details = options.details;
  }

  /** What goes into a GraphQL error's `extensions`. */
  toExtensions(): Record<string, unknown> {
    return { code: this.code, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

/** The caller's mistake in one named input field. */
export class UserInputError extends PlatformError {
  readonly field: string;

  constructor(message: string, options: PlatformErrorOptions & { field: string }) {
    super(ErrorCode.BAD_USER_INPUT, message, options);
    this.name = "UserInputError";
    this.field = options.field;
  }

  override toExtensions(): Record<string, unknown> {
    return { ...super.toExtensions(), field: this.field };
  }
}

export class UnauthenticatedError extends PlatformError {
  constructor(message = "authentication required", options?: PlatformErrorOptions) {
    super(ErrorCode.UNAUTHENTICATED, message, options);
    this.name = "UnauthenticatedError";
  }
}

export class ForbiddenError extends PlatformError {
  constructor(message = "not allowed", options?: PlatformErrorOptions) {
    super(ErrorCode.FORBIDDEN, message, options);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends PlatformError {
  constructor(message = "not found", options?: PlatformErrorOptions) {
    super(ErrorCode.NOT_FOUND, message, options);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends PlatformError {
  constructor(message = "conflict", options?: PlatformErrorOptions) {
    super(ErrorCode.CONFLICT, message, options);
    this.name = "ConflictError";
  }
}

/** A dependency failed: distinct from the caller's mistakes and from our own bugs. */
export class UpstreamError extends PlatformError {
  constructor(message: string, options?: PlatformErrorOptions) {
    super(ErrorCode.UPSTREAM_FAILURE, message, options);
    this.name = "UpstreamError";
  }
}

export class RateLimitedError extends PlatformError {
  constructor(message = "too many requests", options?: PlatformErrorOptions) {
    super(ErrorCode.RATE_LIMITED, message, options);
    this.name = "RateLimitedError";
  }
}

/** Redis does not answer: the message says where and how to start one. */
export class RedisUnavailableError extends UpstreamError {
  constructor(message: string, options?: PlatformErrorOptions) {
    super(message, options);
    this.name = "RedisUnavailableError";
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}
