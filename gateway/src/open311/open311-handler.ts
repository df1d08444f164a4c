/**
 * Open311 GeoReport v2 beside GraphQL, under `/open311/v2/`: each call is checked, authenticated (an
 * `api_key` parameter or the `x-api-key` header; none is an anonymous citizen), run as the contact
 * center's GraphQL operations with that identity, and answered in the format the path names. Every
 * failure is answered in the specification's error format; unexpected ones are masked and logged.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@situation/platform";
import { API_KEY_HEADER, type Authenticate } from "../authentication.js";
import { PayloadTooLargeError, readBody } from "../http-io.js";
import { ContactCenterClient, type CategoryView, type GraphQLExecutor, type RequestQuery, type RequestView } from "./contact-center-client.js";
import { renderDocument, type Open311Document, type Open311Format } from "./documents.js";
import { receiptOf, serviceDefinitionOf, serviceOf, serviceRequestOf, submissionInputOf } from "./mapping.js";
import { badParameter, notFound, Open311Error, open311ErrorOfPlatform } from "./open311-error.js";
import {
  checkJurisdiction,
  DAY_MS,
  MAX_SEARCH_DAYS,
  MAX_SEARCH_RESULTS,
  MethodNotAllowedError,
  resolveCall,
  searchParameters,
  single,
  submissionParameters,
  type Open311Route,
  type SearchParameters,
} from "./parameters.js";

export { OPEN311_PREFIX } from "./parameters.js";

/** The one jurisdiction this city serves, as Open311 clients name it. */
export const DEFAULT_JURISDICTION_ID = "krusevac.rs";

/** Named requests are looked up one by one; this many at a time. */
const LOOKUP_CONCURRENCY = 8;

export interface Open311Options {
  execute: GraphQLExecutor;
  authenticate: Authenticate;
  jurisdictionId?: string;
  now?: () => Date;
}

export type Open311Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  context: { requestId: string; logger: Logger },
) => Promise<void>;

interface Answer {
  status: number;
  document: Open311Document;
}

export function createOpen311Handler(options: Open311Options): Open311Handler {
  const jurisdictionId = options.jurisdictionId ?? DEFAULT_JURISDICTION_ID;
  const now = options.now ?? (() => new Date());

  return async (request, response, { requestId, logger }) => {
    const url = new URL(request.url ?? "/", "http://gateway.invalid");
    const method = (request.method ?? "GET").toUpperCase();
    // Known before the path is resolved, so that even "no such resource" answers in the asked format.
    let format: Open311Format = /\.xml$/i.test(url.pathname) ? "xml" : "json";
    try {
      const call = resolveCall(method, url.pathname);
      format = call.format;
      const parameters = await parametersOf(request, method, url);
      checkJurisdiction(parameters, jurisdictionId);
      const identity = await options.authenticate(headersWithApiKey(request.headers, parameters));
      const client = new ContactCenterClient(options.execute, { identity, requestId, logger });
      const answer = await answerCall(call.route, method, parameters, client, now);
      send(response, answer.status, answer.document, format);
    } catch (error) {
      const open311Error = asOpen311Error(error);
      if (open311Error === undefined) {
        logger.error({ err: error }, "masked an unexpected error in Open311");
        send(response, 500, { kind: "errors", errors: [{ code: 500, description: `Internal server error (request id ${requestId})` }] }, format);
        return;
      }
      if (open311Error.status === 502) logger.warn({ err: open311Error.cause ?? open311Error }, open311Error.message);
      if (open311Error instanceof MethodNotAllowedError) response.setHeader("allow", open311Error.allowed.join(", "));
      send(response, open311Error.status, { kind: "errors", errors: open311Error.entries }, format);
    }
  };
}

async function answerCall(
  route: Open311Route,
  method: string,
  parameters: URLSearchParams,
  client: ContactCenterClient,
  now: () => Date,
): Promise<Answer> {
  switch (route.kind) {
    case "services": {
      const categories = await client.categories();
      return ok({ kind: "services", services: categories.map(serviceOf) });
    }
    case "service-definition": {
      const category = await activeCategory(client, route.serviceCode);
      return ok({ kind: "service-definition", definition: serviceDefinitionOf(category) });
    }
    case "requests": {
      if (method === "POST") {
        const submission = submissionParameters(parameters);
        const category = await activeCategory(client, submission.serviceCode);
        const receipt = receiptOf(await client.submit(submissionInputOf(submission, category)));
        return { status: 201, document: { kind: "receipts", receipts: [receipt] } };
      }
      return ok({ kind: "requests", requests: await searchRequests(client, searchParameters(parameters), now) });
    }
    case "request": {
      const found = await client.track(route.serviceRequestId);
      if (found === undefined) throw notFound(`service_request_id: no request ${route.serviceRequestId}`);
      return ok({ kind: "requests", requests: [serviceRequestOf(found, await categoriesByCode(client))] });
    }
    case "token": {
      // Requests are created at once, so a token is the request's own id (its tracking code).
      const found = await client.track(route.token);
      if (found === undefined) throw notFound(`token: no request for token ${route.token}`);
      return ok({ kind: "tokens", tokens: [{ service_request_id: found.trackingCode, token: route.token }] });
    }
    default:
      return unreachable(route);
  }
}

function ok(document: Open311Document): Answer {
  return { status: 200, document };
}

async function activeCategory(client: ContactCenterClient, code: string): Promise<CategoryView> {
  const category = await client.category(code);
  // An inactive category takes no new requests: to an Open311 client it is not a service.
  if (category === undefined || !category.active) throw notFound(`service_code: no service ${code}`);
  return category;
}

async function categoriesByCode(client: ContactCenterClient): Promise<Map<string, CategoryView>> {
  return new Map((await client.categories()).map((category) => [category.code, category]));
}

async function searchRequests(client: ContactCenterClient, search: SearchParameters, now: () => Date) {
  const categories = await categoriesByCode(client);
  let found: RequestView[];
  if (search.serviceRequestIds !== undefined) {
    // Named requests: each looked up by its tracking code, which anyone holding it may follow. The
    // specification lets service_request_id override every other parameter; unknown ids are left out.
    const looked = await mapLimited(search.serviceRequestIds, LOOKUP_CONCURRENCY, (id) => client.track(id));
    found = looked.filter((request): request is RequestView => request !== undefined);
  } else {
    const to = search.endDate;
    // Without dates the specification searches the last 90 days.
    const from = search.startDate ?? new Date((to ?? now()).getTime() - MAX_SEARCH_DAYS * DAY_MS);
    found = await searchInScope(client, {
      ...(search.serviceCodes === undefined ? {} : { categoryCodes: search.serviceCodes }),
      ...(search.status === undefined ? {} : { open: search.status === "open" }),
      from,
      ...(to === undefined ? {} : { to }),
    });
  }
  return found.map((request) => serviceRequestOf(request, categories));
}

/** Searching needs a role that works requests; an anonymous citizen follows requests by their ids. */
async function searchInScope(client: ContactCenterClient, query: RequestQuery): Promise<RequestView[]> {
  try {
    return await client.requests(query, MAX_SEARCH_RESULTS);
  } catch (error) {
    if (error instanceof Open311Error && error.status === 401 && client.isAnonymous) {
      throw new Open311Error(401, "service_request_id: name the requests to show, or send an api_key that may search requests", {
        cause: error,
      });
    }
    throw error;
  }
}

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The query string, and for POST the form body, which wins where both name a parameter. */
async function parametersOf(request: IncomingMessage, method: string, url: URL): Promise<URLSearchParams> {
  const parameters = new URLSearchParams(url.search);
  if (method !== "POST") return parameters;
  const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "" && contentType !== "application/x-www-form-urlencoded") {
    throw new Open311Error(415, `content-type: send the parameters as application/x-www-form-urlencoded, not ${contentType}`);
  }
  const body = new URLSearchParams(await readBody(request));
  for (const name of new Set(body.keys())) parameters.delete(name);
  for (const [name, value] of body) parameters.append(name, value);
  return parameters;
}

/** Open311 sends its key as `api_key`; the gateway's authentication reads `x-api-key`. */
function headersWithApiKey(headers: IncomingHttpHeaders, parameters: URLSearchParams): IncomingHttpHeaders {
  const apiKey = single(parameters, "api_key");
  if (apiKey === undefined) return headers;
  const header = headers[API_KEY_HEADER];
  if (header !== undefined && header !== apiKey) throw badParameter("api_key", `differs from the ${API_KEY_HEADER} header`);
  return { ...headers, [API_KEY_HEADER]: apiKey };
}

function asOpen311Error(error: unknown): Open311Error | undefined {
  if (error instanceof Open311Error) return error;
  if (error instanceof PayloadTooLargeError) return new Open311Error(413, error.message);
  return open311ErrorOfPlatform(error);
}

function send(response: ServerResponse, status: number, document: Open311Document, format: Open311Format): void {
  const rendered = renderDocument(document, format);
  response.statusCode = status;
  response.setHeader("content-type", rendered.contentType);
  response.setHeader("content-length", Buffer.byteLength(rendered.body));
  response.end(rendered.body);
}

function unreachable(value: never): never {
  throw new Error(`unhandled Open311 route: ${JSON.stringify(value)}`);
}
