/**
 * Open311's errors: an HTTP status and a list of `{ code, description }`, where `code` is that status.
 * The statuses are the platform's (`errorCatalog`), so a caller's mistake is 400 naming the parameter,
 * an unknown service, request or jurisdiction 404, a rejected API key 401 and a role that may not 403.
 */
import { ErrorCode, errorCatalog, isPlatformError, type PlatformError } from "@situation/platform";
import type { Open311ErrorEntry } from "./documents.js";

export class Open311Error extends Error {
  readonly status: number;

  constructor(status: number, description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.name = "Open311Error";
    this.status = status;
  }

  get entries(): Open311ErrorEntry[] {
    return [{ code: this.status, description: this.message }];
  }
}

/** The caller's mistake in one parameter; the description starts with the parameter's name. */
export function badParameter(parameter: string, problem: string): Open311Error {
  return new Open311Error(400, `${parameter}: ${problem}`);
}

export function notFound(description: string): Open311Error {
  return new Open311Error(404, description);
}

/** A platform error (authentication, the key store) as Open311 reports it; undefined for our own bugs. */
export function open311ErrorOfPlatform(error: unknown): Open311Error | undefined {
  if (!isPlatformError(error) || error.code === ErrorCode.INTERNAL_SERVER_ERROR) return undefined;
  return new Open311Error(error.httpStatus, describe(error), { cause: error });
}

function describe(error: PlatformError): string {
  const field = "field" in error && typeof error.field === "string" ? error.field : undefined;
  return field === undefined ? error.message : `${parameterOfField(field)}: ${error.message}`;
}

// The contract's input fields (SubmitServiceRequestInput and the filter) by the Open311 parameters
// they come from, so that a subgraph's "field" reads in the client's own terms.
const PARAMETER_OF_FIELD: Readonly<Record<string, string>> = {
  categoryCode: "service_code",
  code: "service_code",
  location: "lat/long",
  "location.coordinates": "lat/long",
  address: "address_string",
  description: "description",
  "contact.email": "email",
  email: "email",
  "contact.phone": "phone",
  phone: "phone",
  "contact.name": "first_name/last_name",
  name: "first_name/last_name",
  attachments: "media_url",
  trackingCode: "service_request_id",
  from: "start_date",
  to: "end_date",
};

export function parameterOfField(field: string): string {
  const bare = field.replace(/^input\./, "");
  return PARAMETER_OF_FIELD[bare] ?? (bare.startsWith("fields.") || bare.startsWith("attributes.") ? `attribute[${bare.split(".")[1]}]` : bare);
}

/** A GraphQL error as the gateway answered it (code in `extensions`), mapped to Open311's. */
export interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown> | undefined;
}

export function open311ErrorOfGraphQL(errors: readonly GraphQLErrorLike[]): Open311Error {
  // The most telling first: the caller's own mistake, then access, then absence, then failures.
  const ranked = [...errors].sort((a, b) => rank(a) - rank(b));
  const first = ranked[0]!;
  const code = typeof first.extensions?.code === "string" ? first.extensions.code : ErrorCode.INTERNAL_SERVER_ERROR;
  const status = code in errorCatalog ? errorCatalog[code as ErrorCode].httpStatus : apolloStatus(code);
  const field = typeof first.extensions?.field === "string" ? first.extensions.field : undefined;
  // A 500 is our own failure (a bug, or a document that no longer fits the schema): never shown.
  const description = status === 500 ? "Internal server error" : first.message;
  return new Open311Error(status, field === undefined || status === 500 ? description : inParameterTerms(field, description));
}

/** "location: outside the city" becomes "lat/long: outside the city"; a message without the field gets it. */
function inParameterTerms(field: string, message: string): string {
  const parameter = parameterOfField(field);
  const bare = field.replace(/^input\./, "");
  for (const prefix of [field, bare]) {
    if (message.startsWith(`${prefix}:`) || message.startsWith(`${prefix} `)) return `${parameter}${message.slice(prefix.length)}`;
  }
  return `${parameter}: ${message}`;
}

const RANK: Readonly<Record<string, number>> = {
  BAD_USER_INPUT: 0,
  UNAUTHENTICATED: 1,
  FORBIDDEN: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  RATE_LIMITED: 5,
  UPSTREAM_FAILURE: 6,
};

function rank(error: GraphQLErrorLike): number {
  const code = error.extensions?.code;
  return typeof code === "string" ? (RANK[code] ?? 9) : 9;
}

// Apollo's request-level codes mean our own documents did not fit the schema: a bug on our side.
function apolloStatus(code: string): number {
  return code === "UNAUTHORIZED" ? 403 : 500;
}
