import { ANONYMOUS, type Identity } from "@situation/platform";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedDistrictsIfEmpty } from "../district/district.seed.js";
import { seedServiceCatalogIfEmpty } from "../service-catalog/service-catalog.seed.js";
import { createCityServer, type CityServer } from "../server.js";
import { centreOf, offset } from "../test-support/contact-center.js";
import { postGraphQL, startTestStore, type GraphQLResponse, type TestStore } from "../test-support/test-stack.js";
import type { EscalationScheduler } from "./escalation-scheduler.js";
import { REQUEST_AUDIT_COLLECTION, SERVICE_REQUESTS_COLLECTION } from "./service-request.repository.js";

const OPERATOR: Identity = { subject: "operator-ana", roles: ["operator"] };
const STAFF: Identity = { subject: "staff-marko", roles: ["city-staff"] };
const ADMIN: Identity = { subject: "admin-jelena", roles: ["admin"] };
const VODOVOD: Identity = { subject: "key-vodovod", roles: ["provider"], providerId: "jkp-vodovod-krusevac" };
const JKP: Identity = { subject: "key-jkp", roles: ["provider"], providerId: "jkp-krusevac" };
const BUSINESS: Identity = { subject: "key-shop", roles: ["business"], businessId: "shop-1" };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = new Date("2026-05-04T08:00:00.000Z");
let clock = START;

const calls: { action: "schedule" | "cancel"; requestId: string; at?: Date }[] = [];
const recordingScheduler: EscalationScheduler = {
  async schedule(requestId, at) {
    calls.push({ action: "schedule", requestId, at });
  },
  async cancel(requestId) {
    calls.push({ action: "cancel", requestId });
  },
};

let store: TestStore;
let server: CityServer;
let url: string;

beforeAll(async () => {
  store = await startTestStore();
  server = createCityServer({
    config: store.config,
    mongo: store.mongo,
    logger: store.logger,
    port: 0,
    databaseName: store.databaseName,
    now: () => clock,
    escalations: recordingScheduler,
  });
  url = await server.start();
  await seedDistrictsIfEmpty(server.repositories.districts);
  await seedServiceCatalogIfEmpty(server.repositories.serviceCategories);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

beforeEach(() => {
  calls.length = 0;
});

// Responses are checked by the assertions themselves; typing every query's shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
interface AssignedNode {
  id: string;
  assignee: { kind: string; id: string };
}

function gql<TData = Loose>(identity: Identity, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<TData>> {
  return postGraphQL<TData>(url, store.config.identitySecret, { query, ...(variables ? { variables } : {}) }, identity);
}

function codeOf(response: GraphQLResponse<unknown>): unknown {
  return response.errors?.[0]?.extensions?.code;
}

function fieldOf(response: GraphQLResponse<unknown>): unknown {
  return response.errors?.[0]?.extensions?.field;
}

const SUBMIT = `mutation Submit($input: SubmitServiceRequestInput!) {
  submitServiceRequest(input: $input) {
    trackingCode duplicate message
    request { trackingCode categoryCode status description address location { coordinates } districtId receivedAt resolutionDueAt updatedAt duplicate }
    serviceRequest { id status assignee { kind id } contact { name email phone } }
    duplicateOf { trackingCode status }
  }
}`;

const CONTACT = { name: "Mila Jovanović", email: "mila@example.rs", phone: "+381 64 123 4567" };

async function submit(identity: Identity, input: Record<string, unknown>) {
  return gql(identity, SUBMIT, { input });
}

async function storedCounts() {
  const db = store.mongo.db(store.databaseName);
  return [await db.collection(SERVICE_REQUESTS_COLLECTION).countDocuments({}), await db.collection(REQUEST_AUDIT_COLLECTION).countDocuments({})];
}

describe("the service catalog over HTTP", () => {
  it("is public to read, and staff edit it, with a routing rule by district", async () => {
    const list = await gql(ANONYMOUS, "{ serviceCategories { code responsible { kind id } slaResolutionHours requiredFields routingRules { districtId } } }");
    expect(list.errors).toBeUndefined();
    expect(list.data.serviceCategories).toHaveLength(11);
    expect(list.data.serviceCategories.find((category: { code: string }) => category.code === "water")).toMatchObject({
      responsible: { kind: "PROVIDER", id: "jkp-vodovod-krusevac" },
      slaResolutionHours: 24,
      requiredFields: ["location"],
    });

    const upsert = `mutation Upsert($input: ServiceCategoryInput!) { upsertServiceCategory(input: $input) { code active routingRules { districtId responsible { kind id } } } }`;
    const input = {
      code: "snow",
      nameCyrillic: "Снег",
      nameLatin: "Sneg",
      responsible: { kind: "DEPARTMENT", id: "roads" },
      slaFirstResponseHours: 2,
      slaResolutionHours: 12,
      routingRules: [{ districtId: "jasika", responsible: { kind: "PROVIDER", id: "jkp-krusevac" } }],
    };
    expect(codeOf(await gql(ANONYMOUS, upsert, { input }))).toBe("UNAUTHENTICATED");
    expect(codeOf(await gql(OPERATOR, upsert, { input }))).toBe("FORBIDDEN");
    expect(codeOf(await gql(VODOVOD, upsert, { input }))).toBe("FORBIDDEN");
    const bad = await gql(STAFF, upsert, { input: { ...input, slaResolutionHours: 0 } });
    expect([codeOf(bad), fieldOf(bad)]).toEqual(["BAD_USER_INPUT", "slaResolutionHours"]);
    const saved = await gql(STAFF, upsert, { input });
    expect(saved.errors).toBeUndefined();
    expect(saved.data.upsertServiceCategory).toEqual({
      code: "snow",
      active: true,
      routingRules: [{ districtId: "jasika", responsible: { kind: "PROVIDER", id: "jkp-krusevac" } }],
    });
    const inJasika = await submit(OPERATOR, { categoryCode: "snow", description: "Street not cleared", location: { type: "Point", coordinates: centreOf("jasika") }, channel: "PHONE" });
    expect(inJasika.data.submitServiceRequest.serviceRequest.assignee).toEqual({ kind: "PROVIDER", id: "jkp-krusevac" });
    const inCentar = await submit(OPERATOR, { categoryCode: "snow", description: "Street not cleared", location: { type: "Point", coordinates: centreOf("centar") }, channel: "PHONE" });
    expect(inCentar.data.submitServiceRequest.serviceRequest.assignee).toEqual({ kind: "DEPARTMENT", id: "roads" });
    const admin = await gql(ADMIN, upsert, { input: { ...input, active: false } });
    expect(admin.data.upsertServiceCategory.active).toBe(false);
  });
});

describe("intake over HTTP", () => {
  it("takes an anonymous web request, tells only its public view, and arms its escalation", async () => {
    const response = await submit(ANONYMOUS, {
      categoryCode: "water",
      description: "A burst pipe floods the pavement",
      location: { type: "Point", coordinates: offset(centreOf("pakastica"), 5) },
      contact: CONTACT,
      attachments: ["https://photos.example/pipe.jpg"],
      channel: "WEB",
    });
    expect(response.errors).toBeUndefined();
    const result = response.data.submitServiceRequest;
    expect(result).toMatchObject({
      duplicate: false,
      duplicateOf: null,
      serviceRequest: null,
      request: { categoryCode: "water", status: "RECEIVED", districtId: "pakastica", duplicate: false },
    });
    expect(result.trackingCode).toMatch(/^KS-[A-Z0-9]{8}$/);
    expect(result.request.trackingCode).toBe(result.trackingCode);
    expect(JSON.stringify(response.data)).not.toMatch(/mila|Jovanović|4567/i);
    const stored = await server.repositories.serviceRequests.findByTrackingCode(result.trackingCode);
    expect(stored?.contact).toEqual(CONTACT);
    expect(calls).toEqual([{ action: "schedule", requestId: stored!._id, at: stored!.resolutionDueAt }]);
  });

  it("lets staff record phone, e-mail and walk-in requests, and no one else", async () => {
    const input = { categoryCode: "noise", description: "Loud music after midnight", address: "Kosovska 12", channel: "PHONE" };
    for (const identity of [ANONYMOUS, VODOVOD, BUSINESS]) {
      const refused = await submit(identity, input);
      expect([codeOf(refused), fieldOf(refused)]).toEqual(["BAD_USER_INPUT", "channel"]);
    }
    for (const channel of ["PHONE", "EMAIL", "WALK_IN"]) {
      const taken = await submit(STAFF, { ...input, channel, contact: CONTACT });
      expect(taken.errors).toBeUndefined();
      // Noise goes to a department, which city staff work: they see the whole request.
      expect(taken.data.submitServiceRequest.serviceRequest).toMatchObject({ status: "RECEIVED", contact: CONTACT });
    }
    for (const channel of ["API", "OPEN311"]) {
      expect((await submit(ANONYMOUS, { ...input, channel })).errors).toBeUndefined();
    }
  });

  it("answers bad input with BAD_USER_INPUT naming the field, and stores nothing", async () => {
    const before = await storedCounts();
    const valid = { categoryCode: "waste", description: "Overflowing bins", location: { type: "Point", coordinates: centreOf("tekija") }, channel: "WEB" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, categoryCode: "unicorns" }, "categoryCode"],
      [{ ...valid, description: "" }, "description"],
      [{ ...valid, location: { type: "Point", coordinates: [19.8, 45.25] } }, "location"],
      [{ ...valid, location: { type: "Point", coordinates: [21.3] } }, "location"],
      [{ ...valid, contact: { email: "mila@" } }, "contact.email"],
      [{ ...valid, contact: { phone: "064-abc" } }, "contact.phone"],
      [{ ...valid, attachments: ["file:///etc/passwd"] }, "attachments"],
      [{ ...valid, address: "x".repeat(301) }, "address"],
    ];
    for (const [input, field] of cases) {
      const response = await submit(ANONYMOUS, input);
      expect([codeOf(response), fieldOf(response)], field).toEqual(["BAD_USER_INPUT", field]);
    }
    // An enum value that does not exist is refused by GraphQL validation itself.
    expect((await submit(ANONYMOUS, { ...valid, channel: "PIGEON" })).errors).toBeDefined();
    expect(await storedCounts()).toEqual(before);
    expect(calls).toEqual([]);
  });

  it("links a duplicate and tells the citizen, without merging", async () => {
    const spot = centreOf("citluk");
    const input = { categoryCode: "public-lighting", description: "The street light is out", location: { type: "Point", coordinates: spot }, channel: "WEB" };
    const first = await submit(ANONYMOUS, input);
    const second = await submit(ANONYMOUS, { ...input, location: { type: "Point", coordinates: offset(spot, 40, 40) } });
    expect(second.data.submitServiceRequest).toMatchObject({
      duplicate: true,
      duplicateOf: { trackingCode: first.data.submitServiceRequest.trackingCode, status: "RECEIVED" },
      request: { duplicate: true },
    });
    expect(second.data.submitServiceRequest.message).toContain(first.data.submitServiceRequest.trackingCode);
    expect(second.data.submitServiceRequest.trackingCode).not.toBe(first.data.submitServiceRequest.trackingCode);
  });
});

describe("tracking", () => {
  it("shows status and public history by tracking code, never anyone's contact details", async () => {
    const submitted = await submit(ANONYMOUS, {
      categoryCode: "waste",
      description: "Bulky waste left by the bins",
      location: { type: "Point", coordinates: offset(centreOf("bivolje"), -300) },
      contact: CONTACT,
      channel: "WEB",
    });
    const code = submitted.data.submitServiceRequest.trackingCode;
    const stored = (await server.repositories.serviceRequests.findByTrackingCode(code))!;
    await gql(OPERATOR, `mutation { transitionServiceRequest(id: "${stored._id}", to: ASSIGNED, comment: "Called Mila back on +381 64 123 4567") { status } }`);
    const tracked = await gql(ANONYMOUS, `query Track($code: String!) {
      trackServiceRequest(trackingCode: $code) { trackingCode status categoryCode category { nameLatin } history { kind from to at } }
    }`, { code: code.toLowerCase() });
    expect(tracked.errors).toBeUndefined();
    expect(tracked.data.trackServiceRequest).toMatchObject({
      trackingCode: code,
      status: "ASSIGNED",
      category: { nameLatin: "Otpad i čistoća" },
      history: [
        { kind: "RECEIVED", from: null, to: "received" },
        { kind: "STATUS", from: "received", to: "assigned" },
      ],
    });
    expect(JSON.stringify(tracked.data)).not.toMatch(/mila|4567|operator-ana/i);
    const type = await gql(ANONYMOUS, `{ __type(name: "TrackedServiceRequest") { fields { name } } }`);
    const fields = type.data.__type.fields.map((field: { name: string }) => field.name);
    expect(fields).not.toContain("contact");
    expect(fields).not.toContain("submittedBy");
    expect((await gql(ANONYMOUS, `{ trackServiceRequest(trackingCode: "KS-22222222") { status } }`)).data.trackServiceRequest).toBeNull();
    expect((await gql(ANONYMOUS, `{ trackServiceRequest(trackingCode: "nonsense") { status } }`)).data.trackServiceRequest).toBeNull();
  });
});

describe("access per role", () => {
  let water: string; // assigned to the provider jkp-vodovod-krusevac
  let roads: string; // assigned to the department roads

  beforeAll(async () => {
    const w = await submit(OPERATOR, {
      categoryCode: "water",
      description: "No water pressure on the third floor",
      location: { type: "Point", coordinates: offset(centreOf("ujedinjene-nacije"), 100) },
      contact: CONTACT,
      channel: "PHONE",
    });
    water = w.data.submitServiceRequest.serviceRequest.id;
    const r = await submit(OPERATOR, {
      categoryCode: "roads",
      description: "A deep pothole at the crossing",
      location: { type: "Point", coordinates: offset(centreOf("ujedinjene-nacije"), -200) },
      contact: CONTACT,
      channel: "PHONE",
    });
    roads = r.data.submitServiceRequest.serviceRequest.id;
  });

  const one = (id: string) => `{ serviceRequest(id: "${id}") { id contact { email } auditTrail { kind } } }`;

  it("reads: operators and admins all; city staff department requests; providers their own; contact details only to them", async () => {
    const expectations: [Identity, string, boolean][] = [
      [OPERATOR, "water", true],
      [OPERATOR, "roads", true],
      [ADMIN, "water", true],
      [STAFF, "water", false],
      [STAFF, "roads", true],
      [VODOVOD, "water", true],
      [VODOVOD, "roads", false],
      [JKP, "water", false],
      [JKP, "roads", false],
    ];
    for (const [identity, which, visible] of expectations) {
      const response = await gql(identity, one(which === "water" ? water : roads));
      expect(response.errors, `${identity.subject} ${which}`).toBeUndefined();
      if (visible) {
        expect(response.data.serviceRequest.contact, `${identity.subject} ${which}`).toEqual({ email: CONTACT.email });
        expect(response.data.serviceRequest.auditTrail.length).toBeGreaterThan(0);
      } else {
        expect(response.data.serviceRequest, `${identity.subject} ${which}`).toBeNull();
      }
    }
    expect(codeOf(await gql(ANONYMOUS, one(water)))).toBe("UNAUTHENTICATED");
    expect(codeOf(await gql(BUSINESS, one(water)))).toBe("FORBIDDEN");
  });

  it("lists only the caller's scope", async () => {
    const list = `{ serviceRequests(first: 100) { totalCount nodes { id assignee { kind id } } } }`;
    const vodovod = await gql(VODOVOD, list);
    expect(vodovod.data.serviceRequests.nodes.map((node: { id: string }) => node.id)).toContain(water);
    expect(new Set(vodovod.data.serviceRequests.nodes.map((node: AssignedNode) => `${node.assignee.kind}:${node.assignee.id}`))).toEqual(
      new Set(["PROVIDER:jkp-vodovod-krusevac"]),
    );
    const staff = await gql(STAFF, list);
    expect(staff.data.serviceRequests.nodes.map((node: { id: string }) => node.id)).toContain(roads);
    expect(new Set(staff.data.serviceRequests.nodes.map((node: AssignedNode) => node.assignee.kind))).toEqual(new Set(["DEPARTMENT"]));
    const all = await gql(OPERATOR, list);
    expect(all.data.serviceRequests.totalCount).toBe(
      vodovod.data.serviceRequests.totalCount +
        staff.data.serviceRequests.totalCount +
        all.data.serviceRequests.nodes.filter(
          (node: AssignedNode) => node.assignee.kind === "PROVIDER" && node.assignee.id !== "jkp-vodovod-krusevac",
        ).length,
    );
    expect(codeOf(await gql(ANONYMOUS, list))).toBe("UNAUTHENTICATED");
    const badCursor = await gql(OPERATOR, `{ serviceRequests(after: "nope") { totalCount } }`);
    expect([codeOf(badCursor), fieldOf(badCursor)]).toEqual(["BAD_USER_INPUT", "after"]);
    const badFirst = await gql(OPERATOR, `{ serviceRequests(first: 1000) { totalCount } }`);
    expect(fieldOf(badFirst)).toBe("first");
  });

  it("writes: providers act only on their own requests, city staff on department requests", async () => {
    const transition = (id: string, to: string) => `mutation { transitionServiceRequest(id: "${id}", to: ${to}) { status } }`;
    expect(codeOf(await gql(JKP, transition(water, "ASSIGNED")))).toBe("FORBIDDEN");
    expect(codeOf(await gql(STAFF, transition(water, "ASSIGNED")))).toBe("FORBIDDEN");
    expect(codeOf(await gql(ANONYMOUS, transition(water, "ASSIGNED")))).toBe("UNAUTHENTICATED");
    expect(codeOf(await gql(BUSINESS, transition(water, "ASSIGNED")))).toBe("FORBIDDEN");
    expect((await gql(VODOVOD, transition(water, "ASSIGNED"))).data.transitionServiceRequest.status).toBe("ASSIGNED");
    expect(codeOf(await gql(VODOVOD, transition(roads, "ASSIGNED")))).toBe("FORBIDDEN");
    expect((await gql(STAFF, transition(roads, "ASSIGNED"))).data.transitionServiceRequest.status).toBe("ASSIGNED");
    expect((await gql(OPERATOR, transition(roads, "IN_PROGRESS"))).data.transitionServiceRequest.status).toBe("IN_PROGRESS");
    expect(codeOf(await gql(OPERATOR, transition("00000000-0000-0000-0000-000000000000", "ASSIGNED")))).toBe("NOT_FOUND");
    // Nothing the refused callers tried is in the trail.
    const trail = await server.repositories.serviceRequests.auditTrail(water);
    expect(trail.map((entry) => entry.actor.subject)).toEqual(["operator-ana", "key-vodovod"]);
  });

  it("reassigns with history; the previous provider loses sight of the request", async () => {
    const reassign = (id: string) =>
      `mutation { reassignServiceRequest(id: "${id}", assignee: { kind: DEPARTMENT, id: "communal-inspection" }, comment: "private installation") { assignee { kind id } auditTrail { kind from to comment } } }`;
    expect(codeOf(await gql(VODOVOD, reassign(water)))).toBe("FORBIDDEN");
    expect(codeOf(await gql(STAFF, reassign(water)))).toBe("FORBIDDEN");
    const moved = await gql(OPERATOR, reassign(water));
    expect(moved.errors).toBeUndefined();
    expect(moved.data.reassignServiceRequest.assignee).toEqual({ kind: "DEPARTMENT", id: "communal-inspection" });
    expect(moved.data.reassignServiceRequest.auditTrail.at(-1)).toEqual({
      kind: "ASSIGNMENT",
      from: "provider:jkp-vodovod-krusevac",
      to: "department:communal-inspection",
      comment: "private installation",
    });
    expect((await gql(VODOVOD, one(water))).data.serviceRequest).toBeNull();
    expect((await gql(STAFF, one(water))).data.serviceRequest.contact).toEqual({ email: CONTACT.email });
    const same = await gql(OPERATOR, reassign(water));
    expect([codeOf(same), fieldOf(same)]).toEqual(["BAD_USER_INPUT", "assignee"]);
  });
});

describe("lifecycle over HTTP", () => {
  it("refuses invalid transitions naming both states, needs a reason to reject, and disarms escalation when done", async () => {
    const submitted = await submit(OPERATOR, { categoryCode: "parking", description: "Car parked on the pavement", location: { type: "Point", coordinates: centreOf("dedina") }, channel: "PHONE" });
    const id = submitted.data.submitServiceRequest.serviceRequest.id;
    const transition = (to: string, extra = "") => gql(OPERATOR, `mutation { transitionServiceRequest(id: "${id}", to: ${to}${extra}) { status rejectionReason } }`);
    const invalid = await transition("RESOLVED");
    expect([codeOf(invalid), fieldOf(invalid)]).toEqual(["BAD_USER_INPUT", "to"]);
    expect(invalid.errors?.[0]?.message).toMatch(/received.*resolved/);
    const noReason = await transition("REJECTED");
    expect(fieldOf(noReason)).toBe("rejectionReason");
    calls.length = 0;
    const rejected = await transition("REJECTED", `, rejectionReason: "a private car park"`);
    expect(rejected.data.transitionServiceRequest).toEqual({ status: "REJECTED", rejectionReason: "a private car park" });
    expect(calls).toEqual([{ action: "cancel", requestId: id }]);
    const final = await transition("ASSIGNED");
    expect(fieldOf(final)).toBe("to");
  });

  it("re-arms the escalation when a resolved request is reopened", async () => {
    const submitted = await submit(OPERATOR, { categoryCode: "heating", description: "Radiators are cold", address: "Cara Lazara 20", channel: "PHONE" });
    const id = submitted.data.submitServiceRequest.serviceRequest.id;
    for (const to of ["ASSIGNED", "IN_PROGRESS", "RESOLVED", "IN_PROGRESS"]) {
      expect((await gql(OPERATOR, `mutation { transitionServiceRequest(id: "${id}", to: ${to}) { status } }`)).errors).toBeUndefined();
    }
    const stored = (await server.repositories.serviceRequests.findById(id))!;
    expect(calls).toEqual([
      { action: "schedule", requestId: id, at: stored.resolutionDueAt },
      { action: "cancel", requestId: id },
      { action: "schedule", requestId: id, at: stored.resolutionDueAt },
    ]);
  });

  it("flags escalated, overdue requests for the department head", async () => {
    const submitted = await submit(OPERATOR, { categoryCode: "stray-animals", description: "A pack of dogs near the school", location: { type: "Point", coordinates: offset(centreOf("rasadnik"), 250) }, channel: "PHONE" });
    const id = submitted.data.submitServiceRequest.serviceRequest.id;
    expect(await server.repositories.serviceRequests.escalateIfOverdue(id, new Date(clock.getTime() + 73 * HOUR))).toBe("escalated");
    const overdue = await gql(STAFF, `{ serviceRequests(filter: { overdue: true }) { nodes { id escalated escalationLevel overdue auditTrail { kind actor } } } }`);
    expect(overdue.errors).toBeUndefined();
    const node = overdue.data.serviceRequests.nodes.find((candidate: { id: string }) => candidate.id === id);
    expect(node).toMatchObject({ escalated: true, escalationLevel: 1, overdue: true });
    expect(node.auditTrail.at(-1)).toEqual({ kind: "ESCALATION", actor: "system:escalation" });
    const notOverdue = await gql(STAFF, `{ serviceRequests(filter: { overdue: false }, first: 100) { nodes { id } } }`);
    expect(notOverdue.data.serviceRequests.nodes.map((candidate: { id: string }) => candidate.id)).not.toContain(id);
    const escalated = await gql(OPERATOR, `{ serviceRequests(filter: { escalated: true }) { nodes { id } } }`);
    expect(escalated.data.serviceRequests.nodes.map((candidate: { id: string }) => candidate.id)).toContain(id);
  });

  it("has no mutation that could touch the audit trail", async () => {
    const schema = await gql(ANONYMOUS, `{ __type(name: "Mutation") { fields { name } } }`);
    const names: string[] = schema.data.__type.fields.map((field: { name: string }) => field.name);
    expect(names).toEqual(expect.arrayContaining(["submitServiceRequest", "transitionServiceRequest", "reassignServiceRequest", "upsertServiceCategory"]));
    expect(names.filter((name) => /audit|history|delete|remove/i.test(name))).toEqual([]);
  });
});

describe("the unified view", () => {
  it("gives a district its open requests (scoped) and their counts (public)", async () => {
    clock = new Date(START.getTime() + 30 * DAY);
    const spot = centreOf("lazarica");
    const made: string[] = [];
    for (const [categoryCode, north] of [["water", 0], ["water", 400], ["waste", 0], ["roads", 0]] as const) {
      const response = await submit(OPERATOR, { categoryCode, description: "Something to fix here", location: { type: "Point", coordinates: offset(spot, north) }, channel: "PHONE" });
      made.push(response.data.submitServiceRequest.serviceRequest.id);
    }
    await gql(OPERATOR, `mutation { transitionServiceRequest(id: "${made[1]}", to: ASSIGNED) { status } }`);
    await gql(OPERATOR, `mutation { transitionServiceRequest(id: "${made[3]}", to: REJECTED, rejectionReason: "not a city road") { status } }`);

    const counts = await gql(ANONYMOUS, `{ district(id: "lazarica") { requestCounts { byStatus { key count } byCategory { key count } } } }`);
    expect(counts.errors).toBeUndefined();
    expect(counts.data.district.requestCounts).toEqual({
      byStatus: [
        { key: "assigned", count: 1 },
        { key: "received", count: 2 },
      ],
      byCategory: [
        { key: "waste", count: 1 },
        { key: "water", count: 2 },
      ],
    });
    const all = await gql(ANONYMOUS, `{ district(id: "lazarica") { requestCounts(includeClosed: true) { byStatus { key count } } } }`);
    expect(all.data.district.requestCounts.byStatus).toContainEqual({ key: "rejected", count: 1 });

    const open = `{ district(id: "lazarica") { openRequests(first: 10) { totalCount nodes { id categoryCode } } } }`;
    expect((await gql(OPERATOR, open)).data.district.openRequests.totalCount).toBe(3);
    const vodovod = await gql(VODOVOD, open);
    expect(vodovod.data.district.openRequests.nodes.map((node: { id: string }) => node.id).sort()).toEqual([made[0], made[1]].sort());
    expect((await gql(STAFF, open)).data.district.openRequests.totalCount).toBe(0);
    expect(codeOf(await gql(ANONYMOUS, open))).toBe("UNAUTHENTICATED");
  });

  it("extends Provider with its open requests and SLA figures computed in the database", async () => {
    const base = new Date(START.getTime() + 60 * DAY);
    const at = (offsetMs: number) => new Date(base.getTime() + offsetMs);
    const file = async (when: Date) => {
      clock = when;
      const response = await submit(OPERATOR, { categoryCode: "public-transport", description: "Bus 3 did not come", address: "Autobuska stanica", channel: "PHONE" });
      return response.data.submitServiceRequest.serviceRequest.id as string;
    };
    const move = async (id: string, when: Date, ...steps: string[]) => {
      clock = when;
      for (const to of steps) expect((await gql(OPERATOR, `mutation { transitionServiceRequest(id: "${id}", to: ${to}) { status } }`)).errors).toBeUndefined();
    };
    // public-transport: resolution due 168 h after intake.
    const r1 = await file(at(1 * HOUR));
    const r2 = await file(at(2 * HOUR));
    const r3 = await file(at(3 * HOUR));
    const r4 = await file(at(5 * DAY));
    await file(at(11 * DAY)); // outside the period
    await move(r1, at(2 * DAY), "ASSIGNED", "IN_PROGRESS", "RESOLVED"); // within SLA
    await move(r2, at(8 * DAY), "ASSIGNED", "IN_PROGRESS", "RESOLVED"); // late
    await move(r3, at(1 * DAY), "ASSIGNED"); // still open; due at 7 d 3 h
    void r4; // open, due at 12 d
    clock = at(9 * DAY);

    const query = `query P($representations: [_Any!]!, $from: DateTimeISO!, $to: DateTimeISO!) {
      _entities(representations: $representations) {
        ... on Provider { id slaFigures(from: $from, to: $to) { total resolvedWithinSla slaCompliance overdueOpen } openRequests(first: 50) { totalCount } }
      }
    }`;
    const variables = {
      representations: [{ __typename: "Provider", id: "gradski-prevoz-krusevac" }],
      from: base.toISOString(),
      to: at(10 * DAY).toISOString(),
    };
    const figures = await gql(OPERATOR, query, variables);
    expect(figures.errors).toBeUndefined();
    expect(figures.data._entities[0].slaFigures).toEqual({ total: 4, resolvedWithinSla: 1, slaCompliance: 0.25, overdueOpen: 1 });
    expect(figures.data._entities[0].openRequests.totalCount).toBe(3); // r3, r4 and the one outside the period

    const own = await gql({ subject: "key-bus", roles: ["provider"], providerId: "gradski-prevoz-krusevac" }, query, variables);
    expect(own.data._entities[0].slaFigures.total).toBe(4);
    const other = await gql(VODOVOD, query, variables);
    expect(other.errors?.map((error) => error.extensions?.code)).toContain("FORBIDDEN");
    const backwards = await gql(OPERATOR, query, { ...variables, from: variables.to, to: variables.from });
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
    clock = START;
  });
});
