/**
 * Reading an Open311 call: which resource and format the path names, and the parameters, checked
 * before anything runs so that a mistake is a 400 naming the parameter.
 */
import type { Open311Format } from "./documents.js";
import { badParameter, notFound, Open311Error } from "./open311-error.js";

export const OPEN311_PREFIX = "/open311/v2/";

export type Open311Route =
  | { kind: "services" }
  | { kind: "service-definition"; serviceCode: string }
  | { kind: "requests" }
  | { kind: "request"; serviceRequestId: string }
  | { kind: "token"; token: string };

export interface ResolvedCall {
  route: Open311Route;
  format: Open311Format;
}

const RESOURCE = /^(services|requests|tokens)(?:\/([^/]+))?\.([A-Za-z]+)$/;

/** Throws a 404 for a path that names no resource, and 405 (with the allowed methods) for a wrong method. */
export function resolveCall(method: string, path: string): ResolvedCall {
  const match = RESOURCE.exec(path.slice(OPEN311_PREFIX.length));
  if (match === null) throw notFound(`no Open311 resource at ${path}`);
  const [, collection, rawId, rawFormat] = match as unknown as [string, string, string | undefined, string];
  const format = rawFormat.toLowerCase();
  if (format !== "json" && format !== "xml") throw notFound(`format "${rawFormat}" is not served; use .json or .xml`);
  const id = rawId === undefined ? undefined : decodeSegment(rawId);
  const route = routeOf(collection, id);
  if (route === undefined) throw notFound(`no Open311 resource at ${path}`);
  const allowed = route.kind === "requests" ? ["GET", "HEAD", "POST"] : ["GET", "HEAD"];
  if (!allowed.includes(method)) throw new MethodNotAllowedError(method, allowed);
  return { route, format };
}

export class MethodNotAllowedError extends Open311Error {
  readonly allowed: readonly string[];

  constructor(method: string, allowed: readonly string[]) {
    super(405, `method ${method} is not allowed here; use ${allowed.join(" or ")}`);
    this.name = "MethodNotAllowedError";
    this.allowed = allowed;
  }
}

function routeOf(collection: string, id: string | undefined): Open311Route | undefined {
  if (collection === "services") return id === undefined ? { kind: "services" } : { kind: "service-definition", serviceCode: id };
  if (collection === "requests") return id === undefined ? { kind: "requests" } : { kind: "request", serviceRequestId: id };
  return id === undefined ? undefined : { kind: "token", token: id };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badParameter("path", "is not valid percent-encoding");
  }
}

/** One value per name; a parameter sent twice with different values is ambiguous and refused. */
export function single(parameters: URLSearchParams, name: string): string | undefined {
  const values = [...new Set(parameters.getAll(name).map((value) => value.trim()))].filter((value) => value !== "");
  if (values.length > 1) throw badParameter(name, "was given more than once with different values");
  return values[0];
}

/** Open311 servers with one jurisdiction accept the parameter only when it names that jurisdiction. */
export function checkJurisdiction(parameters: URLSearchParams, jurisdictionId: string): void {
  const given = single(parameters, "jurisdiction_id");
  if (given !== undefined && given.toLowerCase() !== jurisdictionId.toLowerCase()) {
    throw notFound(`jurisdiction_id: "${given}" is not served here; this endpoint serves "${jurisdictionId}"`);
  }
}

// Limits of the specification (description) and of the contract's input (the rest).
export const MAX_DESCRIPTION_LENGTH = 4000;
const MAX_ADDRESS_LENGTH = 300;
const MAX_NAME_LENGTH = 120;
const MAX_MEDIA_URL_LENGTH = 2000;

/** POST requests, as the contract's submission needs it. */
export interface SubmissionParameters {
  serviceCode: string;
  lat?: number;
  long?: number;
  address?: string;
  description?: string;
  email?: string;
  phone?: string;
  /** first_name and last_name joined. */
  name?: string;
  mediaUrl?: string;
  /** `attribute[code]` values; a multivaluelist's `attribute[code][]` gives several. */
  attributes: Record<string, string[]>;
}

export function submissionParameters(parameters: URLSearchParams): SubmissionParameters {
  const serviceCode = single(parameters, "service_code");
  if (serviceCode === undefined) throw badParameter("service_code", "is required");
  const lat = coordinate(parameters, "lat", 90);
  const long = coordinate(parameters, "long", 180);
  if ((lat === undefined) !== (long === undefined)) {
    throw badParameter(lat === undefined ? "lat" : "long", "lat and long must be given together");
  }
  const address = bounded(parameters, "address_string", MAX_ADDRESS_LENGTH);
  const attributes = attributesOf(parameters);
  // The specification needs a location: lat/long or an address, here also as the attributes that carry them.
  if (lat === undefined && address === undefined && attributes.location === undefined && attributes.address === undefined) {
    const addressId = single(parameters, "address_id");
    throw badParameter(
      "lat/long",
      addressId === undefined
        ? "a location is required: lat and long, or address_string"
        : "address_id is not supported here; send lat and long, or address_string",
    );
  }
  const description = bounded(parameters, "description", MAX_DESCRIPTION_LENGTH);
  const email = single(parameters, "email");
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw badParameter("email", "is not an e-mail address");
  const phone = single(parameters, "phone");
  if (phone !== undefined && !/^\+?[0-9 ()/.-]{6,30}$/.test(phone)) throw badParameter("phone", "is not a phone number");
  const name = [bounded(parameters, "first_name", MAX_NAME_LENGTH), bounded(parameters, "last_name", MAX_NAME_LENGTH)]
    .filter((part) => part !== undefined)
    .join(" ");
  const mediaUrl = bounded(parameters, "media_url", MAX_MEDIA_URL_LENGTH);
  if (mediaUrl !== undefined && !isHttpUrl(mediaUrl)) throw badParameter("media_url", "must be an http or https URL");
  return {
    serviceCode,
    ...(lat === undefined || long === undefined ? {} : { lat, long }),
    ...(address === undefined ? {} : { address }),
    ...(description === undefined ? {} : { description }),
    ...(email === undefined ? {} : { email }),
    ...(phone === undefined ? {} : { phone }),
    ...(name === "" ? {} : { name }),
    ...(mediaUrl === undefined ? {} : { mediaUrl }),
    attributes,
  };
}

const ATTRIBUTE = /^attribute\[([^\]]+)\](\[\])?$/;

function attributesOf(parameters: URLSearchParams): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of parameters) {
    const match = ATTRIBUTE.exec(name);
    if (match === null || value.trim() === "") continue;
    (attributes[match[1]!] ??= []).push(value.trim());
  }
  return attributes;
}

/** GET requests. */
export interface SearchParameters {
  /** Tracking codes, when the caller names requests. */
  serviceRequestIds?: string[];
  serviceCodes?: string[];
  startDate?: Date;
  endDate?: Date;
  status?: "open" | "closed";
}

/** The specification's caps on one answer: this many requests, received within this many days. */
export const MAX_SEARCH_RESULTS = 1000;
export const MAX_SEARCH_DAYS = 90;
export const DAY_MS = 24 * 60 * 60 * 1000;

export function searchParameters(parameters: URLSearchParams): SearchParameters {
  const serviceRequestIds = list(parameters, "service_request_id");
  if (serviceRequestIds !== undefined && serviceRequestIds.length > MAX_SEARCH_RESULTS) {
    throw badParameter("service_request_id", `names more than ${MAX_SEARCH_RESULTS} requests`);
  }
  const serviceCodes = list(parameters, "service_code");
  const startDate = date(parameters, "start_date");
  const endDate = date(parameters, "end_date");
  if (startDate !== undefined && endDate !== undefined) {
    if (startDate > endDate) throw badParameter("end_date", "is before start_date");
    // The specification's limit on one search.
    if (endDate.getTime() - startDate.getTime() > MAX_SEARCH_DAYS * DAY_MS) {
      throw badParameter("end_date", `the range from start_date may not span more than ${MAX_SEARCH_DAYS} days`);
    }
  }
  const statuses = list(parameters, "status");
  for (const status of statuses ?? []) {
    if (status !== "open" && status !== "closed") throw badParameter("status", `"${status}" is neither open nor closed`);
  }
  // "open,closed" asks for both, which is no filter at all.
  const status = statuses?.length === 1 ? (statuses[0] as "open" | "closed") : undefined;
  return {
    ...(serviceRequestIds === undefined ? {} : { serviceRequestIds }),
    ...(serviceCodes === undefined ? {} : { serviceCodes }),
    ...(startDate === undefined ? {} : { startDate }),
    ...(endDate === undefined ? {} : { endDate }),
    ...(status === undefined ? {} : { status }),
  };
}

/** Comma-delimited, and the parameter may also be repeated. */
function list(parameters: URLSearchParams, name: string): string[] | undefined {
  const values = parameters
    .getAll(name)
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
  return values.length === 0 ? undefined : [...new Set(values)];
}

// W3C's ISO 8601 profile: a date, or a date and time with a zone (Z or ±hh:mm).
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function date(parameters: URLSearchParams, name: string): Date | undefined {
  const text = single(parameters, name);
  if (text === undefined) return undefined;
  const parsed = ISO_DATE.test(text) ? new Date(text) : undefined;
  if (parsed === undefined || Number.isNaN(parsed.getTime())) {
    throw badParameter(name, `"${text}" is not an ISO 8601 date-time with a time zone, e.g. 2026-11-05T08:15:30+01:00`);
  }
  return parsed;
}

function coordinate(parameters: URLSearchParams, name: string, limit: number): number | undefined {
  const text = single(parameters, name);
  if (text === undefined) return undefined;
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || Math.abs(value) > limit) throw badParameter(name, `"${text}" is not a WGS84 coordinate`);
  return value;
}

function bounded(parameters: URLSearchParams, name: string, maxLength: number): string | undefined {
  const text = single(parameters, name);
  if (text !== undefined && text.length > maxLength) throw badParameter(name, `is longer than ${maxLength} characters`);
  return text;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
