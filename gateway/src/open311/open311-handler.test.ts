/**
 * The Open311 endpoints over real HTTP, in front of a stub GraphQL executor that plays the contact
 * center: which operations run with which identity and variables, and what the client gets back in
 * JSON and XML, including every kind of error in the specification's format.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ANONYMOUS, createLogger, UnauthenticatedError, UpstreamError, type Identity } from "@situation/platform";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Authenticate } from "../authentication.js";
import type { CategoryView, GraphQLOperation, GraphQLResultLike, RequestView } from "./contact-center-client.js";
import { createOpen311Handler, OPEN311_PREFIX } from "./open311-handler.js";

const PROVIDER: Identity = { subject: "api-key:k1", roles: ["provider"], providerId: "jkp-vodovod-krusevac" };

const WATER: CategoryView = {
  code: "water",
  nameCyrillic: "Вода & канализација",
  nameLatin: "Voda i kanalizacija",
  responsible: { kind: "provider", id: "jkp-vodovod-krusevac" },
  slaFirstResponseHours: 4,
  slaResolutionHours: 48,
  requiredFields: ["location", "contact.phone"],
  active: true,
};
const NOISE: CategoryView = { ...WATER, code: "noise", nameCyrillic: "Бука", nameLatin: "Buka", requiredFields: [], responsible: { kind: "department", id: "communal-inspection" } };
const RETIRED: CategoryView = { ...NOISE, code: "retired", active: false };

// trackServiceRequest's public view: no description, address or location.
const TRACKED: RequestView = {
  trackingCode: "KS-7QX3MP2R",
  categoryCode: "water",
  status: "IN_PROGRESS",
  rejectionReason: null,
  receivedAt: "2026-11-20T10:15:30.123Z",
  resolutionDueAt: "2026-11-22T10:15:30.123Z",
  resolvedAt: null,
  closedAt: null,
};
const REJECTED: RequestView = { ...TRACKED, trackingCode: "KS-REJECTED", status: "REJECTED", rejectionReason: "not the city's", closedAt: "2026-11-21T08:00:00.000Z" };

// serviceRequests' view, for callers who work requests; newest first, as the subgraph answers.
const WORKED: RequestView = {
  ...TRACKED,
  updatedAt: "2026-11-21T08:00:00.000Z",
  description: 'Pipe burst <near> "the" school & park',
  address: "Vidovdanska 1",
  location: { coordinates: [21.333, 43.58] },
  attachments: ["https://example.rs/p.jpg"],
  assignee: { kind: "provider", id: "jkp-vodovod-krusevac" },
};
const WORKED_NOISE: RequestView = { ...WORKED, trackingCode: "KS-NOISE001", categoryCode: "noise", receivedAt: "2026-11-10T10:00:00.000Z" };
const WORKED_OLD: RequestView = { ...WORKED, trackingCode: "KS-OLD00001", receivedAt: "2026-06-01T10:00:00.000Z" };

interface Recorded {
  operation: GraphQLOperation;
  identity: Identity;
}

let recorded: Recorded[] = [];
let answerOverride: ((operation: GraphQLOperation) => GraphQLResultLike | undefined) | undefined;

async function stubExecutor(operation: GraphQLOperation, caller: { identity: Identity }): Promise<GraphQLResultLike> {
  recorded.push({ operation, identity: caller.identity });
  const override = answerOverride?.(operation);
  if (override !== undefined) return override;
  const variables = operation.variables ?? {};
  switch (operation.operationName) {
    case "Open311Services":
      return { data: { serviceCategories: [NOISE, WATER] } };
    case "Open311Service":
      return { data: { serviceCategory: [WATER, NOISE, RETIRED].find((category) => category.code === variables.code) ?? null } };
    case "Open311Submit":
      return { data: { submitServiceRequest: { trackingCode: "KS-NEW00001", duplicateOf: null, message: "Received: follow it by KS-NEW00001." } } };
    case "Open311Track":
      return { data: { trackServiceRequest: [TRACKED, REJECTED].find((request) => request.trackingCode === variables.trackingCode) ?? null } };
    case "Open311Requests":
      // Two pages, to show that the walk follows the cursor.
      return variables.after === undefined
        ? { data: { serviceRequests: { nodes: [WORKED, WORKED_NOISE], pageInfo: { hasNextPage: true, endCursor: "c2" } } } }
        : { data: { serviceRequests: { nodes: [WORKED_OLD, { ...WORKED_OLD, receivedAt: "2026-01-01T00:00:00Z" }], pageInfo: { hasNextPage: false, endCursor: null } } } };
    default:
      throw new Error(`unexpected operation ${operation.operationName}`);
  }
}

const authenticate: Authenticate = async (headers) => {
  const key = headers["x-api-key"];
  if (key === undefined) return ANONYMOUS;
  if (key === "shk_good") return PROVIDER;
  if (key === "shk_store_down") throw new UpstreamError("the API key store is unavailable");
  throw new UnauthenticatedError("API key rejected: unknown or revoked");
};

let server: Server;
let base: string;

beforeAll(async () => {
  const handle = createOpen311Handler({ execute: stubExecutor, authenticate, now: () => new Date("2026-11-25T00:00:00Z") });
  const logger = createLogger({ logLevel: "silent" }, "open311-test");
  server = createServer((request, response) => void handle(request, response, { requestId: "req-1", logger }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${OPEN311_PREFIX}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  recorded = [];
  answerOverride = undefined;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(base + path, { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text(), headers: response.headers };
}

async function post(path: string, form: Record<string, string> | string, headers: Record<string, string> = {}) {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: typeof form === "string" ? form : new URLSearchParams(form).toString(),
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

const VALID_SUBMISSION = { service_code: "water", lat: "43.58", long: "21.333", phone: "+381 37 123 456", description: "Cev pukla" };

describe("GET services", () => {
  it("lists the categories as services in JSON, metadata true when a category requires fields", async () => {
    const answer = await get("services.json");
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.text)).toEqual([
      {
        service_code: "noise",
        service_name: "Buka",
        description: "Бука. First response within 4 h, resolution within 48 h.",
        metadata: false,
        type: "realtime",
        keywords: "Бука, Buka",
        group: "communal-inspection",
      },
      expect.objectContaining({ service_code: "water", metadata: true, group: "jkp-vodovod-krusevac" }),
    ]);
    expect(recorded[0]!.identity).toBe(ANONYMOUS);
  });

  it("writes the same list as XML, escaped", async () => {
    const answer = await get("services.xml");
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("text/xml; charset=utf-8");
    expect(answer.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<services><service><service_code>noise</service_code>')).toBe(true);
    expect(answer.text).toContain("<description>Вода &amp; канализација. First response");
    expect(answer.text).toContain("<metadata>true</metadata>");
  });

  it("accepts its own jurisdiction_id, and answers another with 404 in the asked format", async () => {
    expect((await get("services.json?jurisdiction_id=krusevac.rs")).status).toBe(200);
    recorded = [];
    const json = await get("services.json?jurisdiction_id=nis.rs");
    expect(json.status).toBe(404);
    expect(JSON.parse(json.text)).toEqual([{ code: 404, description: expect.stringMatching(/^jurisdiction_id: "nis.rs" is not served/) }]);
    const xml = await get("services.xml?jurisdiction_id=nis.rs");
    expect(xml.status).toBe(404);
    expect(xml.text).toMatch(/<errors><error><code>404<\/code><description>jurisdiction_id: &quot;nis.rs&quot; is not served/);
    expect(recorded).toHaveLength(0);
  });
});

describe("GET services/{service_code}", () => {
  it("maps the required fields to attributes, in order", async () => {
    const answer = await get("services/water.json");
    expect(answer.status).toBe(200);
    const definition = JSON.parse(answer.text);
    expect(definition.service_code).toBe("water");
    expect(definition.attributes.map((attribute: { code: string; order: number; required: boolean; variable: boolean }) => [attribute.code, attribute.order, attribute.required, attribute.variable])).toEqual([
      ["location", 1, true, true],
      ["contact.phone", 2, true, true],
    ]);
    expect(recorded[0]!.operation.variables).toEqual({ code: "water" });
  });

  it("answers XML with the service_definition root", async () => {
    const answer = await get("services/water.xml");
    expect(answer.text).toContain("<service_definition><service_code>water</service_code><attributes><attribute><variable>true</variable><code>location</code><datatype>string</datatype><required>true</required>");
  });

  it("answers an unknown or inactive service with 404", async () => {
    for (const code of ["nope", "retired"]) {
      const answer = await get(`services/${code}.json`);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toEqual([{ code: 404, description: `service_code: no service ${code}` }]);
    }
  });
});

describe("POST requests", () => {
  it("submits through submitServiceRequest on the open311 channel and answers the tracking code", async () => {
    const answer = await post("requests.json", { ...VALID_SUBMISSION, first_name: "Ana", last_name: "Petrović", email: "ana@example.rs", media_url: "https://example.rs/p.jpg", address_string: "Vidovdanska 1" });
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.text)).toEqual([{ service_request_id: "KS-NEW00001", service_notice: "Received: follow it by KS-NEW00001." }]);
    const submit = recorded.find((entry) => entry.operation.operationName === "Open311Submit")!;
    expect(submit.identity).toBe(ANONYMOUS);
    expect(submit.operation.variables).toEqual({
      input: {
        categoryCode: "water",
        description: "Cev pukla",
        location: { type: "Point", coordinates: [21.333, 43.58] },
        address: "Vidovdanska 1",
        contact: { name: "Ana Petrović", email: "ana@example.rs", phone: "+381 37 123 456" },
        attachments: ["https://example.rs/p.jpg"],
        channel: "OPEN311",
      },
    });
  });

  it("answers XML and tells the citizen of a linked duplicate", async () => {
    answerOverride = (operation) =>
      operation.operationName === "Open311Submit"
        ? { data: { submitServiceRequest: { trackingCode: "KS-NEW00002", duplicateOf: { trackingCode: "KS-7QX3MP2R" }, message: "Received and linked to an open request nearby." } } }
        : undefined;
    const answer = await post("requests.xml", VALID_SUBMISSION);
    expect(answer.status).toBe(201);
    expect(answer.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<service_requests><request><service_request_id>KS-NEW00002<\/service_request_id><service_notice>Received and linked to an open request nearby. \(KS-7QX3MP2R\)<\/service_notice>/);
  });

  it("takes a required field from attribute[...] when its standard parameter is absent", async () => {
    const answer = await post("requests.json", { service_code: "water", "attribute[location]": "43.58,21.333", "attribute[contact.phone]": "+381 37 000 000" });
    expect(answer.status).toBe(201);
    const input = recorded.find((entry) => entry.operation.operationName === "Open311Submit")!.operation.variables!.input as Record<string, unknown>;
    expect(input.location).toEqual({ type: "Point", coordinates: [21.333, 43.58] });
    expect(input.contact).toEqual({ phone: "+381 37 000 000" });
    expect(input.description).toBe("Voda i kanalizacija");
  });

  it("sends the api_key parameter to authentication and runs as that identity", async () => {
    expect((await post("requests.json", { ...VALID_SUBMISSION, api_key: "shk_good" })).status).toBe(201);
    expect(recorded.every((entry) => entry.identity === PROVIDER)).toBe(true);
    recorded = [];
    expect((await post("requests.json", VALID_SUBMISSION, { "x-api-key": "shk_good" })).status).toBe(201);
    expect(recorded.every((entry) => entry.identity === PROVIDER)).toBe(true);
  });

  it.each([
    [{ ...VALID_SUBMISSION, service_code: "" }, "service_code: is required"],
    [{ ...VALID_SUBMISSION, lat: "north" }, 'lat: "north" is not a WGS84 coordinate'],
    [{ ...VALID_SUBMISSION, long: "" }, "long: lat and long must be given together"],
    [{ service_code: "noise" }, "lat/long: a location is required: lat and long, or address_string"],
    [{ ...VALID_SUBMISSION, phone: "" }, "phone: is required for service water"],
    [{ ...VALID_SUBMISSION, email: "ana@" }, "email: is not an e-mail address"],
    [{ ...VALID_SUBMISSION, media_url: "javascript:alert(1)" }, "media_url: must be an http or https URL"],
    [{ ...VALID_SUBMISSION, description: "x".repeat(4001) }, "description: is longer than 4000 characters"],
  ])("refuses bad parameters with 400 naming the parameter (%#)", async (form, description) => {
    const answer = await post("requests.json", form);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual([{ code: 400, description }]);
    expect(recorded.some((entry) => entry.operation.operationName === "Open311Submit")).toBe(false);
  });

  it("answers an unknown service_code with 404 and writes nothing", async () => {
    const answer = await post("requests.xml", { ...VALID_SUBMISSION, service_code: "nope" });
    expect(answer.status).toBe(404);
    expect(answer.text).toContain("<errors><error><code>404</code><description>service_code: no service nope</description></error></errors>");
    expect(recorded.some((entry) => entry.operation.operationName === "Open311Submit")).toBe(false);
  });

  it("passes the contact center's own input errors on as 400, naming the Open311 parameter", async () => {
    answerOverride = (operation) =>
      operation.operationName === "Open311Submit"
        ? { data: null, errors: [{ message: "the point is outside the city", extensions: { code: "BAD_USER_INPUT", field: "location" } }] }
        : undefined;
    const answer = await post("requests.json", VALID_SUBMISSION);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual([{ code: 400, description: "lat/long: the point is outside the city" }]);
    answerOverride = (operation) =>
      operation.operationName === "Open311Submit"
        ? { data: null, errors: [{ message: "contact.email is not an e-mail address", extensions: { code: "BAD_USER_INPUT", field: "contact.email" } }] }
        : undefined;
    expect(JSON.parse((await post("requests.json", VALID_SUBMISSION)).text)).toEqual([{ code: 400, description: "email is not an e-mail address" }]);
  });

  it("answers a rejected API key with 401 and a role that may not with 403", async () => {
    const rejected = await post("requests.json", { ...VALID_SUBMISSION, api_key: "shk_unknown" });
    expect(rejected.status).toBe(401);
    expect(JSON.parse(rejected.text)).toEqual([{ code: 401, description: "API key rejected: unknown or revoked" }]);
    answerOverride = () => ({ data: null, errors: [{ message: "not allowed", extensions: { code: "FORBIDDEN" } }] });
    expect((await post("requests.json", VALID_SUBMISSION)).status).toBe(403);
  });

  it("refuses an api_key that contradicts the x-api-key header, and a body that is not a form", async () => {
    expect((await post("requests.json", { ...VALID_SUBMISSION, api_key: "shk_good" }, { "x-api-key": "shk_other" })).status).toBe(400);
    const json = await post("requests.json", JSON.stringify(VALID_SUBMISSION), { "content-type": "application/json" });
    expect(json.status).toBe(415);
    expect(JSON.parse(json.text)[0].description).toMatch(/^content-type:/);
  });
});

describe("GET requests/{id} and tokens/{token}", () => {
  it("shows a request by its tracking code: status mapped, ISO 8601 dates, only the public view", async () => {
    const answer = await get("requests/KS-7QX3MP2R.json");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual([
      {
        service_request_id: "KS-7QX3MP2R",
        status: "open",
        status_notes: "in-progress",
        service_name: "Voda i kanalizacija",
        service_code: "water",
        requested_datetime: "2026-11-20T10:15:30Z",
        updated_datetime: "2026-11-20T10:15:30Z",
        expected_datetime: "2026-11-22T10:15:30Z",
      },
    ]);
    const track = recorded.find((entry) => entry.operation.operationName === "Open311Track")!;
    expect(track.operation.variables).toEqual({ trackingCode: "KS-7QX3MP2R" });
    expect(track.operation.query).not.toMatch(/contact|email|phone|description|address|location/);
  });

  it("writes it as XML, and a rejected one as closed with its reason, updated when it closed", async () => {
    const answer = await get("requests/KS-7QX3MP2R.xml");
    expect(answer.text).toContain("<service_requests><request><service_request_id>KS-7QX3MP2R</service_request_id><status>open</status><status_notes>in-progress</status_notes>");
    const rejected = JSON.parse((await get("requests/KS-REJECTED.json")).text);
    expect(rejected[0]).toMatchObject({ status: "closed", status_notes: "rejected: not the city's", updated_datetime: "2026-11-21T08:00:00Z" });
  });

  it("answers an unknown request or token with 404", async () => {
    const request = await get("requests/KS-NOTHERE.xml");
    expect(request.status).toBe(404);
    expect(request.text).toContain("<code>404</code><description>service_request_id: no request KS-NOTHERE</description>");
    expect((await get("tokens/KS-NOTHERE.json")).status).toBe(404);
  });

  it("resolves a token to the request id, since requests get their id at once", async () => {
    const answer = await get("tokens/KS-7QX3MP2R.xml");
    expect(answer.text).toContain("<service_requests><request><service_request_id>KS-7QX3MP2R</service_request_id><token>KS-7QX3MP2R</token></request></service_requests>");
  });
});

describe("GET requests", () => {
  it("looks named requests up by tracking code, leaving unknown ones out, the ids overriding the other parameters", async () => {
    const answer = await get("requests.json?service_request_id=KS-7QX3MP2R,KS-REJECTED,KS-NOTHERE&status=closed");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).map((request: { service_request_id: string }) => request.service_request_id)).toEqual(["KS-7QX3MP2R", "KS-REJECTED"]);
    expect(recorded.some((entry) => entry.operation.operationName === "Open311Requests")).toBe(false);
    expect(recorded.filter((entry) => entry.operation.operationName === "Open311Track")).toHaveLength(3);
  });

  it("searches through serviceRequests with the caller's identity, mapping the filters and following pages", async () => {
    const answer = await get("requests.xml?service_code=water,noise&status=open&start_date=2026-11-01T00:00:00%2B01:00&end_date=2026-11-30", { "x-api-key": "shk_good" });
    expect(answer.status).toBe(200);
    expect(answer.text.match(/<service_request_id>[^<]+/g)).toEqual([
      "<service_request_id>KS-7QX3MP2R",
      "<service_request_id>KS-NOISE001",
      "<service_request_id>KS-OLD00001",
      "<service_request_id>KS-OLD00001",
    ]);
    expect(answer.text).toContain("<description>Pipe burst &lt;near&gt; &quot;the&quot; school &amp; park</description>");
    expect(answer.text).toContain("<agency_responsible>jkp-vodovod-krusevac</agency_responsible>");
    expect(answer.text).toContain("<lat>43.58</lat><long>21.333</long><media_url>https://example.rs/p.jpg</media_url>");
    const searches = recorded.filter((entry) => entry.operation.operationName === "Open311Requests");
    expect(searches).toHaveLength(2);
    expect(searches[0]!.identity).toBe(PROVIDER);
    expect(searches[0]!.operation.variables).toEqual({
      filter: {
        categoryCodes: ["water", "noise"],
        open: true,
        receivedFrom: "2026-10-31T23:00:00.000Z",
        // end_date is inclusive, receivedTo exclusive.
        receivedTo: "2026-11-30T00:00:00.001Z",
      },
      first: 100,
    });
    expect(searches[1]!.operation.variables).toMatchObject({ after: "c2", first: 100 });
    expect(searches[0]!.operation.query).not.toMatch(/contact|email|phone/);
  });

  it("searches the last 90 days when no dates are given, and closed ones as open: false", async () => {
    await get("requests.json?status=closed");
    const search = recorded.find((entry) => entry.operation.operationName === "Open311Requests")!;
    expect(search.operation.variables!.filter).toEqual({ open: false, receivedFrom: "2026-08-27T00:00:00.000Z" });
  });

  it("tells an anonymous caller who may not search to name requests or send an api_key", async () => {
    answerOverride = (operation) =>
      operation.operationName === "Open311Requests" ? { data: null, errors: [{ message: "authentication required", extensions: { code: "UNAUTHENTICATED" } }] } : undefined;
    const answer = await get("requests.json");
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)[0].description).toMatch(/^service_request_id: name the requests/);
  });

  it("takes the latest public change as updated_datetime", async () => {
    answerOverride = (operation) =>
      operation.operationName === "Open311Track" ? { data: { trackServiceRequest: { ...TRACKED, history: [{ at: TRACKED.receivedAt }, { at: "2026-11-23T09:00:00.000Z" }] } } } : undefined;
    expect(JSON.parse((await get("requests/KS-7QX3MP2R.json")).text)[0].updated_datetime).toBe("2026-11-23T09:00:00Z");
  });

  it.each([
    ["status=pending", 'status: "pending" is neither open nor closed'],
    ["start_date=yesterday", 'start_date: "yesterday" is not an ISO 8601 date-time'],
    ["start_date=2026-11-02&end_date=2026-11-01", "end_date: is before start_date"],
    ["start_date=2026-01-01&end_date=2026-11-01", "end_date: the range from start_date may not span more than 90 days"],
  ])("refuses %s with 400", async (query, description) => {
    const answer = await get(`requests.json?${query}`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)[0].description).toContain(description);
  });
});

describe("errors at the edge", () => {
  it("answers an unknown resource or format with 404 and a wrong method with 405 and Allow", async () => {
    expect((await get("outages.json")).status).toBe(404);
    expect((await get("services.csv")).status).toBe(404);
    const response = await fetch(`${base}services.json`, { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers a failing key store with 502 and masks an unexpected failure as 500 with the request id", async () => {
    expect((await get("services.json", { "x-api-key": "shk_store_down" })).status).toBe(502);
    answerOverride = () => {
      throw new Error("mongodb://admin:hunter2@db is down");
    };
    const answer = await get("services.xml");
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain("hunter2");
    expect(answer.text).toContain("<code>500</code><description>Internal server error (request id req-1)</description>");
    answerOverride = () => ({ data: null, errors: [{ message: "Cannot query field \"x\"", extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
    expect(JSON.parse((await get("services.json")).text)).toEqual([{ code: 500, description: "Internal server error (request id req-1)" }]);
  });
});
