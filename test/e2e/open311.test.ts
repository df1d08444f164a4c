/**
 * Open311 GeoReport v2 through the gateway, over the real supergraph and the three real subgraphs:
 * a client lists the services, reads a service definition, files requests in JSON and in XML, and
 * follows them by their service_request_id, which is the contact center's tracking code. Personal
 * data goes in and is stored, but never comes back out.
 */
import { KRUSEVAC_CENTRE } from "@situation/city-subgraph/seed-data";
import { createApiKey, issueAccessToken } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let open311: string;

const [LONG, LAT] = KRUSEVAC_CENTRE;
const PERSONAL = { first_name: "Ana", last_name: "Petrović", email: "ana.petrovic@example.rs", phone: "+381 37 123 456" };

const LEAKS = {
  code: "o311-leaks",
  nameCyrillic: "Цурење воде",
  nameLatin: "Curenje vode",
  responsible: { kind: "PROVIDER", id: "jkp-vodovod-krusevac" },
  slaFirstResponseHours: 2,
  slaResolutionHours: 24,
  requiredFields: ["location", "contact.phone"],
};
const BENCHES = {
  code: "o311-benches",
  nameCyrillic: "Клупе & жардињере",
  nameLatin: "Klupe i žardinjere",
  responsible: { kind: "DEPARTMENT", id: "green-areas" },
  slaFirstResponseHours: 24,
  slaResolutionHours: 240,
  requiredFields: [],
};

beforeAll(async () => {
  stack = await startStack({ name: "open311" });
  open311 = new URL("/open311/v2/", stack.gatewayUrl).toString();
  const admin = await issueAccessToken({ subject: "open311-test-admin", roles: ["admin"] }, stack.config.jwtSecret);
  for (const input of [LEAKS, BENCHES]) {
    const answer = await stack.query(
      "mutation Upsert($input: ServiceCategoryInput!) { upsertServiceCategory(input: $input) { code } }",
      { input },
      { authorization: `Bearer ${admin}` },
    );
    expect(answer.errors).toBeUndefined();
  }
});

afterAll(async () => {
  await stack?.close();
});

async function get(path: string) {
  const response = await fetch(open311 + path);
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

async function post(path: string, form: Record<string, string>) {
  const response = await fetch(open311 + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** The text of every `<name>` element, in document order. */
function xmlValues(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))].map((match) => match[1]!);
}

function expectNoPersonalData(text: string): void {
  for (const value of [PERSONAL.email, PERSONAL.phone, PERSONAL.first_name, PERSONAL.last_name]) expect(text).not.toContain(value);
}

describe("Open311 round trip", () => {
  let jsonId: string;
  let xmlId: string;

  it("lists the catalog as services, in JSON and XML", async () => {
    const json = await get("services.json?jurisdiction_id=krusevac.rs");
    expect(json.status).toBe(200);
    const services = JSON.parse(json.text) as { service_code: string; metadata: boolean; service_name: string; type: string }[];
    expect(services.find((service) => service.service_code === LEAKS.code)).toMatchObject({ service_name: "Curenje vode", metadata: true, type: "realtime" });
    expect(services.find((service) => service.service_code === BENCHES.code)).toMatchObject({ metadata: false });

    const xml = await get("services.xml");
    expect(xml.type).toBe("text/xml; charset=utf-8");
    expect(xmlValues(xml.text, "service_code")).toEqual(services.map((service) => service.service_code));
    expect(xml.text).toContain("<description>Клупе &amp; жардињере.");
  });

  it("defines a service by its required fields", async () => {
    const definition = JSON.parse((await get(`services/${LEAKS.code}.json`)).text) as { attributes: { code: string; required: boolean }[] };
    expect(definition.attributes.map((attribute) => [attribute.code, attribute.required])).toEqual([
      ["location", true],
      ["contact.phone", true],
    ]);
    expect((await get(`services/${BENCHES.code}.xml`)).text).toContain(`<service_definition><service_code>${BENCHES.code}</service_code><attributes/></service_definition>`);
  });

  it("files a request in JSON and shows it by its id", async () => {
    const filed = await post("requests.json", {
      jurisdiction_id: "krusevac.rs",
      service_code: LEAKS.code,
      lat: String(LAT),
      long: String(LONG),
      description: "Voda curi iz šahta kod fontane",
      ...PERSONAL,
    });
    expect(filed.status).toBe(201);
    const [receipt] = JSON.parse(filed.text) as { service_request_id: string; service_notice: string }[];
    jsonId = receipt!.service_request_id;
    expect(jsonId).toMatch(/^KS-[A-Z0-9]{8}$/);

    const shown = await get(`requests/${jsonId}.json`);
    expect(shown.status).toBe(200);
    const [request] = JSON.parse(shown.text) as Record<string, unknown>[];
    expect(request).toMatchObject({ service_request_id: jsonId, service_code: LEAKS.code, service_name: "Curenje vode", status: "open" });
    expect(request!.requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(request!.requested_datetime as string) - Date.now())).toBeLessThan(60_000);
    expectNoPersonalData(shown.text);

    // Stored as filed: through the open311 channel, with the contact details staff will need.
    const stored = await stack.mongo.db("city").collection("serviceRequests").findOne({ trackingCode: jsonId });
    expect(stored).toMatchObject({ channel: "open311", categoryCode: LEAKS.code, contact: { name: "Ana Petrović", email: PERSONAL.email, phone: PERSONAL.phone } });
    expect(stored!.location).toEqual({ type: "Point", coordinates: [LONG, LAT] });
  });

  it("files a request in XML, linked to the open one nearby, and shows it in XML", async () => {
    const filed = await post("requests.xml", { service_code: LEAKS.code, lat: String(LAT), long: String(LONG), phone: PERSONAL.phone, description: "Isto curenje" });
    expect(filed.status).toBe(201);
    expect(filed.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request><service_request_id>KS-')).toBe(true);
    [xmlId] = xmlValues(filed.text, "service_request_id") as [string];
    expect(xmlId).not.toBe(jsonId);
    // Same category, same point, within 48 hours: the citizen is told of the link.
    expect(xmlValues(filed.text, "service_notice")[0]).toContain(jsonId);

    const shown = await get(`requests/${xmlId}.xml`);
    expect(shown.status).toBe(200);
    expect(xmlValues(shown.text, "service_request_id")).toEqual([xmlId]);
    expect(xmlValues(shown.text, "status")).toEqual(["open"]);
    expect(xmlValues(shown.text, "service_code")).toEqual([LEAKS.code]);
    expectNoPersonalData(shown.text);
  });

  it("resolves tokens and lists named requests", async () => {
    expect(JSON.parse((await get(`tokens/${jsonId}.json`)).text)).toEqual([{ service_request_id: jsonId, token: jsonId }]);
    const listed = JSON.parse((await get(`requests.json?service_request_id=${jsonId},${xmlId},KS-NOTHERE`)).text) as { service_request_id: string }[];
    expect(listed.map((request) => request.service_request_id)).toEqual([jsonId, xmlId]);
  });

  it("lets the responsible provider search its requests by api_key, still without contact details", async () => {
    const { key } = await createApiKey(stack.mongo.db("platform"), { roles: ["provider"], providerId: "jkp-vodovod-krusevac", label: "open311 test" });
    const answer = await get(`requests.json?api_key=${encodeURIComponent(key)}&service_code=${LEAKS.code}&status=open`);
    expect(answer.status).toBe(200);
    const requests = JSON.parse(answer.text) as { service_request_id: string; description?: string; agency_responsible?: string }[];
    expect(requests.map((request) => request.service_request_id).sort()).toEqual([jsonId, xmlId].sort());
    expect(requests.find((request) => request.service_request_id === jsonId)).toMatchObject({
      description: "Voda curi iz šahta kod fontane",
      agency_responsible: "jkp-vodovod-krusevac",
    });
    expectNoPersonalData(answer.text);
  });
});

describe("Open311 errors through the gateway", () => {
  it("answers an unknown jurisdiction, service or request with 404 in the asked format", async () => {
    const jurisdiction = await get("services.json?jurisdiction_id=beograd.rs");
    expect(jurisdiction.status).toBe(404);
    expect(JSON.parse(jurisdiction.text)).toEqual([{ code: 404, description: expect.stringContaining("jurisdiction_id") }]);
    const service = await get("services/no-such-service.xml");
    expect(service.status).toBe(404);
    expect(xmlValues(service.text, "code")).toEqual(["404"]);
    expect((await get("requests/KS-ZZZZZZZZ.json")).status).toBe(404);
  });

  it("refuses a missing required field and a point outside the city with 400 naming the parameter", async () => {
    const missing = await post("requests.json", { service_code: LEAKS.code, lat: String(LAT), long: String(LONG) });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)[0].description).toMatch(/^phone:/);
    const outside = await post("requests.xml", { service_code: BENCHES.code, lat: "44.8125", long: "20.4612", description: "Beograd" });
    expect(outside.status).toBe(400);
    expect(xmlValues(outside.text, "description")[0]).toMatch(/^lat\/long:/);
  });

  it("asks an anonymous caller who searches to name the requests or send an api_key", async () => {
    const answer = await get("requests.json?status=open");
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)[0].description).toMatch(/^service_request_id: name the requests/);
  });

  it("answers an unknown api_key with 401", async () => {
    const answer = await post("requests.json", { service_code: BENCHES.code, address_string: "Trg kosovskih junaka", description: "Polomljena klupa", api_key: "shk_nobodyhasthiskey" });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual([{ code: 401, description: "API key rejected: unknown or revoked" }]);
  });
});
