/**
 * The contact center (issue 4) through the gateway, with real credentials: bearer tokens for
 * operators, city staff and admins, API keys for the providers of the services seed. Routing, the
 * lifecycle and its audit, duplicates, access per role, escalation by the real BullMQ delayed job
 * across a restart of the worker, and the reports (GraphQL and CSV) against figures worked out by hand.
 *
 * The city subgraph runs on a clock the test controls (`createCityServer({ now })`): real time unless
 * a test pins it (the reports' fixture lives in March 2026, the duplicates' in July 2026, both before
 * anything else this file files) or shifts it (the escalation).
 */
import { KRUSEVAC_DISTRICTS, type Position } from "@situation/city-subgraph/seed-data";
import { createApiKey, createLogger, issueAccessToken } from "@situation/platform";
import { createRequestEscalationWorker, escalationJobId, type RequestEscalationWorker } from "@situation/workers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runEveryStep } from "../support/cleanup.js";
import { errorCodesOf, type GraphQLAnswer } from "../support/graphql.js";
import { countRedisKeys, uniqueRedisPrefix } from "../support/redis.js";
import { startStack, type Stack } from "../support/stack.js";

const HOUR = 3_600_000;
const WATER_PROVIDER = "jkp-vodovod-krusevac";
const LIGHTING_PROVIDER = "elektrodistribucija-krusevac";

// Responses are checked by the assertions themselves; typing every query's shape would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** The city subgraph's clock: pinned to `fixed` when set, else real time shifted by `offsetMs`. */
const clock: { fixed: Date | undefined; offsetMs: number } = { fixed: undefined, offsetMs: 0 };
const cityNow = () => (clock.fixed ? new Date(clock.fixed) : new Date(Date.now() + clock.offsetMs));

const redisPrefix = uniqueRedisPrefix("contact-center");
let stack: Stack;
const headers: Record<"operator" | "staff" | "admin" | "water" | "lighting", Record<string, string>> = {} as never;
const workers: RequestEscalationWorker[] = [];

beforeAll(async () => {
  stack = await startStack({ name: "contact-center", cityNow, escalationRedisPrefix: redisPrefix });
  const secret = stack.config.jwtSecret;
  headers.operator = { authorization: `Bearer ${await issueAccessToken({ subject: "e2e-operator-ana", roles: ["operator"] }, secret)}` };
  headers.staff = { authorization: `Bearer ${await issueAccessToken({ subject: "e2e-staff-marko", roles: ["city-staff"] }, secret)}` };
  headers.admin = { authorization: `Bearer ${await issueAccessToken({ subject: "e2e-admin-jelena", roles: ["admin"] }, secret)}` };
  const platform = stack.mongo.db("platform");
  headers.water = { "x-api-key": (await createApiKey(platform, { roles: ["provider"], providerId: WATER_PROVIDER, label: "e2e water" })).key };
  headers.lighting = {
    "x-api-key": (await createApiKey(platform, { roles: ["provider"], providerId: LIGHTING_PROVIDER, label: "e2e lighting" })).key,
  };
});

afterEach(() => {
  clock.fixed = undefined;
  clock.offsetMs = 0;
});

afterAll(async () => {
  // Workers first (they write under the prefix), then the stack: gateway, subgraphs, queue, the
  // prefix's keys, the store.
  await runEveryStep([...workers.map((worker) => () => worker.close()), () => stack?.close()]);
  expect(await countRedisKeys(stack.config.redisUrl, redisPrefix)).toBe(0);
});

// ---------------------------------------------------------------------------------------------------
// Helpers

type Who = keyof typeof headers | "anonymous";

function gql<TData = Loose>(who: Who, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer<TData>> {
  return stack.query<TData>(query, variables, who === "anonymous" ? {} : headers[who]);
}

function fieldOf(answer: GraphQLAnswer<unknown>): unknown {
  return answer.errors?.[0]?.extensions?.field;
}

function centreOf(districtId: string): Position {
  const district = KRUSEVAC_DISTRICTS.find((candidate) => candidate.id === districtId);
  if (!district) throw new Error(`no seed district ${districtId}`);
  return [...district.centre.coordinates] as Position;
}

/** `north` metres north and `east` metres east of `from` (flat approximation, fine within a city). */
function offset(from: Position, north: number, east = 0): Position {
  return [from[0] + east / (111_195 * Math.cos((from[1] * Math.PI) / 180)), from[1] + north / 111_195];
}

const point = (position: Position) => ({ type: "Point", coordinates: position });

const SUBMIT = `mutation Submit($input: SubmitServiceRequestInput!) {
  submitServiceRequest(input: $input) {
    trackingCode duplicate message
    request { trackingCode status districtId receivedAt resolutionDueAt duplicate }
    serviceRequest { id status districtId assignee { kind id } duplicateOf resolutionDueAt contact { name email phone } }
    duplicateOf { trackingCode status }
  }
}`;

async function submit(who: Who, input: Record<string, unknown>): Promise<Loose> {
  const answer = await gql(who, SUBMIT, { input });
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  return answer.data.submitServiceRequest;
}

const TRANSITION = `mutation T($id: ID!, $to: RequestStatus!, $comment: String, $rejectionReason: String) {
  transitionServiceRequest(id: $id, to: $to, comment: $comment, rejectionReason: $rejectionReason) {
    status rejectionReason auditTrail { actor actorRoles kind from to comment }
  }
}`;

function transition(who: Who, id: string, to: string, extra: { comment?: string; rejectionReason?: string } = {}) {
  return gql(who, TRANSITION, { id, to, ...extra });
}

async function moveAlong(who: Who, id: string, ...steps: string[]): Promise<void> {
  for (const to of steps) {
    const answer = await transition(who, id, to);
    expect(answer.errors, `${to}: ${JSON.stringify(answer.errors)}`).toBeUndefined();
  }
}

const ONE = `query One($id: ID!) {
  serviceRequest(id: $id) {
    id status assignee { kind id } escalated escalationLevel overdue duplicateOf contact { name email phone }
    auditTrail { actor kind from to }
  }
}`;

async function readAs(who: Who, id: string): Promise<GraphQLAnswer<Loose>> {
  return gql(who, ONE, { id });
}

/** The id of a request filed anonymously, as an operator finds it by its tracking code and receipt time. */
async function idOf(trackingCode: string, receivedAt: string): Promise<string> {
  const answer = await gql("operator", `query Find($filter: ServiceRequestFilter) { serviceRequests(filter: $filter, first: 100) { nodes { id trackingCode } } }`, {
    filter: { receivedFrom: receivedAt, receivedTo: new Date(Date.parse(receivedAt) + 1).toISOString() },
  });
  expect(answer.errors).toBeUndefined();
  const found = answer.data.serviceRequests.nodes.find((node: { trackingCode: string }) => node.trackingCode === trackingCode);
  if (!found) throw new Error(`no request ${trackingCode} received at ${receivedAt}`);
  return found.id;
}

const CONTACT = { name: "Mila Jovanović", email: "mila.jovanovic@example.rs", phone: "+381 64 123 4567" };

function expectNoContactDetails(value: unknown): void {
  const text = JSON.stringify(value);
  for (const detail of [CONTACT.name, CONTACT.email, CONTACT.phone]) expect(text).not.toContain(detail);
}

// ---------------------------------------------------------------------------------------------------

describe("routing on intake", () => {
  it("assigns a water request in Centar to the water utility", async () => {
    const result = await submit("operator", {
      categoryCode: "water",
      description: "No water in the building since this morning",
      location: point(centreOf("centar")),
      channel: "PHONE",
    });
    expect(result.serviceRequest).toMatchObject({ status: "RECEIVED", districtId: "centar", assignee: { kind: "PROVIDER", id: WATER_PROVIDER } });
    // The utility finds it in its own list.
    const own = await gql("water", `{ serviceRequests(filter: { categoryCodes: ["water"] }, first: 100) { nodes { id } } }`);
    expect(own.data.serviceRequests.nodes.map((node: { id: string }) => node.id)).toContain(result.serviceRequest.id);
  });

  it("routes by district where the category has a rule for it", async () => {
    // The seed: roads go to the roads department, but to rural roads in the four suburbs; green areas
    // go to JKP Kruševac, but to environmental protection in Bagdala (its park forest).
    const categories = await gql("anonymous", `{ serviceCategory(code: "roads") { responsible { kind id } routingRules { districtId responsible { kind id } } } }`);
    expect(categories.data.serviceCategory.responsible).toEqual({ kind: "DEPARTMENT", id: "roads" });
    expect(categories.data.serviceCategory.routingRules).toContainEqual({ districtId: "jasika", responsible: { kind: "DEPARTMENT", id: "rural-roads" } });

    const cases: [string, string, { kind: string; id: string }][] = [
      ["roads", "centar", { kind: "DEPARTMENT", id: "roads" }],
      ["roads", "jasika", { kind: "DEPARTMENT", id: "rural-roads" }],
      ["green-areas", "centar", { kind: "PROVIDER", id: "jkp-krusevac" }],
      ["green-areas", "bagdala", { kind: "DEPARTMENT", id: "environmental-protection" }],
    ];
    for (const [categoryCode, districtId, assignee] of cases) {
      const result = await submit("operator", {
        categoryCode,
        description: "Something to look at here",
        location: point(offset(centreOf(districtId), 500, 500)),
        channel: "PHONE",
      });
      expect(result.serviceRequest, `${categoryCode} in ${districtId}`).toMatchObject({ districtId, assignee });
    }
  });
});

describe("the lifecycle", () => {
  it("goes to resolved and closed along valid transitions, the audit growing by one entry (who, from, to) per change", async () => {
    const result = await submit("operator", {
      categoryCode: "water",
      description: "Water leaking from the meter shaft",
      location: point(offset(centreOf("centar"), -400, 300)),
      contact: CONTACT,
      channel: "PHONE",
    });
    const id: string = result.serviceRequest.id;
    let trail = (await readAs("operator", id)).data.serviceRequest.auditTrail;
    expect(trail).toEqual([{ actor: "e2e-operator-ana", kind: "RECEIVED", from: null, to: "received" }]);

    const steps: [Who, string, string, string][] = [
      ["water", "ASSIGNED", "received", "assigned"],
      ["water", "IN_PROGRESS", "assigned", "in-progress"],
      ["water", "WAITING_FOR_CITIZEN", "in-progress", "waiting-for-citizen"],
      ["water", "IN_PROGRESS", "waiting-for-citizen", "in-progress"],
      ["water", "RESOLVED", "in-progress", "resolved"],
      ["operator", "CLOSED", "resolved", "closed"],
    ];
    for (const [who, to, fromStored, toStored] of steps) {
      const answer = await transition(who, id, to, { comment: `now ${toStored}` });
      expect(answer.errors, `${to}: ${JSON.stringify(answer.errors)}`).toBeUndefined();
      const changed = answer.data.transitionServiceRequest;
      expect(changed.status).toBe(to);
      expect(changed.auditTrail).toHaveLength(trail.length + 1);
      // What was there stays as it was: the trail only grows.
      expect(changed.auditTrail.slice(0, trail.length).map((entry: Loose) => [entry.kind, entry.from, entry.to])).toEqual(
        trail.map((entry: Loose) => [entry.kind, entry.from, entry.to]),
      );
      const last = changed.auditTrail.at(-1);
      expect(last).toMatchObject({ kind: "STATUS", from: fromStored, to: toStored, comment: `now ${toStored}` });
      // Who: the API key's subject for the utility, the token's subject for the operator.
      if (who === "operator") expect(last).toMatchObject({ actor: "e2e-operator-ana", actorRoles: ["operator"] });
      else expect(last).toMatchObject({ actor: expect.stringMatching(/^api-key:/), actorRoles: ["provider"] });
      trail = changed.auditTrail;
    }
    expect(trail).toHaveLength(7);
  });

  it("refuses an invalid transition with BAD_USER_INPUT on `to`, and a rejection without a reason on `rejectionReason`", async () => {
    const result = await submit("operator", {
      categoryCode: "heating",
      description: "Radiators are cold in the whole entrance",
      address: "Cara Lazara 20",
      channel: "PHONE",
    });
    const id: string = result.serviceRequest.id;

    const invalid = await transition("operator", id, "RESOLVED");
    expect(errorCodesOf(invalid)).toEqual(["BAD_USER_INPUT"]);
    expect(fieldOf(invalid)).toBe("to");
    expect(invalid.errors?.[0]?.message).toMatch(/received.*resolved/);

    const noReason = await transition("operator", id, "REJECTED");
    expect(errorCodesOf(noReason)).toEqual(["BAD_USER_INPUT"]);
    expect(fieldOf(noReason)).toBe("rejectionReason");
    // Nothing half-written: the request is as it was received.
    expect((await readAs("operator", id)).data.serviceRequest).toMatchObject({ status: "RECEIVED", auditTrail: [{ kind: "RECEIVED" }] });

    const rejected = await transition("operator", id, "REJECTED", { rejectionReason: "the building has its own boiler" });
    expect(rejected.errors).toBeUndefined();
    expect(rejected.data.transitionServiceRequest).toMatchObject({ status: "REJECTED", rejectionReason: "the building has its own boiler" });
    // Rejected is final.
    const final = await transition("operator", id, "IN_PROGRESS");
    expect(fieldOf(final)).toBe("to");
    expect(final.errors?.[0]?.message).toMatch(/rejected.*in-progress/);
    expect((await readAs("operator", id)).data.serviceRequest.auditTrail).toHaveLength(2);
  });
});

describe("duplicates", () => {
  it("links a request of the same category within 100 m and 48 h, and not one 300 m away or 49 h later", async () => {
    const t0 = new Date("2026-07-01T08:00:00.000Z");
    const spot = offset(centreOf("citluk"), -300, -300);
    const input = (position: Position) => ({ categoryCode: "public-lighting", description: "The street light is out", location: point(position), channel: "PHONE" });

    clock.fixed = t0;
    const first = await submit("operator", input(spot));
    expect(first.duplicate).toBe(false);

    clock.fixed = new Date(t0.getTime() + 47 * HOUR);
    const near = await submit("operator", input(offset(spot, 60, 40))); // about 72 m away
    expect(near).toMatchObject({ duplicate: true, duplicateOf: { trackingCode: first.trackingCode, status: "RECEIVED" } });
    expect(near.serviceRequest.duplicateOf).toBe(first.serviceRequest.id);
    expect(near.message).toContain(first.trackingCode);
    // Linked, not merged: two requests, each with its own tracking code.
    expect(near.trackingCode).not.toBe(first.trackingCode);
    const audit = (await readAs("operator", near.serviceRequest.id)).data.serviceRequest.auditTrail;
    expect(audit.map((entry: Loose) => entry.kind)).toContain("DUPLICATE_LINK");

    const far = await submit("operator", input(offset(spot, 0, 300)));
    expect(far).toMatchObject({ duplicate: false, duplicateOf: null });
    expect(far.serviceRequest.duplicateOf).toBeNull();

    // Another spot, far from the three above: a request 49 hours after the first there is not linked.
    const elsewhere = offset(centreOf("citluk"), 300, 300);
    clock.fixed = t0;
    await submit("operator", input(elsewhere));
    clock.fixed = new Date(t0.getTime() + 49 * HOUR);
    expect(await submit("operator", input(offset(elsewhere, 10)))).toMatchObject({ duplicate: false, duplicateOf: null });
  });
});

describe("access per role", () => {
  let tracking: string;
  let id: string;

  beforeAll(async () => {
    const result = await submit("anonymous", {
      categoryCode: "water",
      description: "A burst pipe floods the pavement",
      location: point(offset(centreOf("centar"), 400, -400)),
      contact: CONTACT,
      channel: "WEB",
    });
    // The citizen gets the public view only, and not even their own contact details back.
    expect(result.serviceRequest).toBeNull();
    expect(result.request).toMatchObject({ status: "RECEIVED", districtId: "centar" });
    expectNoContactDetails(result);
    tracking = result.trackingCode;
    id = await idOf(tracking, result.request.receivedAt);
  });

  it("lets an anonymous citizen follow the request by its tracking code, without contact details or actors", async () => {
    const tracked = await gql("anonymous", `query Track($code: String!) {
      trackServiceRequest(trackingCode: $code) { trackingCode status categoryCode districtId history { kind from to } }
    }`, { code: tracking });
    expect(tracked.errors).toBeUndefined();
    expect(tracked.data.trackServiceRequest).toMatchObject({
      trackingCode: tracking,
      status: "RECEIVED",
      categoryCode: "water",
      history: [{ kind: "RECEIVED", from: null, to: "received" }],
    });
    expectNoContactDetails(tracked.data);
    // The full request is not for anonymous callers.
    expect(errorCodesOf(await readAs("anonymous", id))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodesOf(await transition("anonymous", id, "ASSIGNED"))).toEqual(["UNAUTHENTICATED"]);
  });

  it("lets the assigned provider see it with contact details and work it; another provider neither", async () => {
    const own = await readAs("water", id);
    expect(own.errors).toBeUndefined();
    expect(own.data.serviceRequest).toMatchObject({ id, assignee: { kind: "PROVIDER", id: WATER_PROVIDER }, contact: CONTACT });

    const other = await readAs("lighting", id);
    expect(other.errors).toBeUndefined();
    expect(other.data.serviceRequest).toBeNull();
    expect(errorCodesOf(await transition("lighting", id, "ASSIGNED"))).toEqual(["FORBIDDEN"]);
    const otherList = await gql("lighting", `{ serviceRequests(first: 100) { nodes { id assignee { id } } } }`);
    expect(otherList.data.serviceRequests.nodes.map((node: { id: string }) => node.id)).not.toContain(id);
    expect(otherList.data.serviceRequests.nodes.every((node: Loose) => node.assignee.id === LIGHTING_PROVIDER)).toBe(true);
    expect(errorCodesOf(await transition("lighting", "00000000-0000-0000-0000-000000000000", "ASSIGNED"))).toEqual(["NOT_FOUND"]);

    const worked = await transition("water", id, "ASSIGNED");
    expect(worked.errors).toBeUndefined();
    expect(worked.data.transitionServiceRequest.status).toBe("ASSIGNED");
    // The refused attempts left nothing in the trail.
    const trail = (await readAs("operator", id)).data.serviceRequest.auditTrail;
    expect(trail.map((entry: Loose) => [entry.kind, entry.to])).toEqual([
      ["RECEIVED", "received"],
      ["STATUS", "assigned"],
    ]);
    expect(trail[1].actor).toMatch(/^api-key:/);
  });

  it("shows operators and admins every request with contact details; city staff their departments' only", async () => {
    for (const who of ["operator", "admin"] as const) {
      const answer = await readAs(who, id);
      expect(answer.errors).toBeUndefined();
      expect(answer.data.serviceRequest.contact, who).toEqual(CONTACT);
    }
    // A utility's request is not city staff's to see...
    expect((await readAs("staff", id)).data.serviceRequest).toBeNull();
    // ...a department's is, contact details included, while the utilities see nothing of it.
    const roads = await submit("staff", {
      categoryCode: "roads",
      description: "A deep pothole at the crossing",
      location: point(offset(centreOf("centar"), 400, 400)),
      contact: CONTACT,
      channel: "WALK_IN",
    });
    expect(roads.serviceRequest).toMatchObject({ assignee: { kind: "DEPARTMENT", id: "roads" }, contact: CONTACT });
    expect((await readAs("staff", roads.serviceRequest.id)).data.serviceRequest.contact).toEqual(CONTACT);
    expect((await readAs("water", roads.serviceRequest.id)).data.serviceRequest).toBeNull();
    expect(errorCodesOf(await transition("water", roads.serviceRequest.id, "ASSIGNED"))).toEqual(["FORBIDDEN"]);
    expect((await transition("staff", roads.serviceRequest.id, "ASSIGNED")).data.transitionServiceRequest.status).toBe("ASSIGNED");
  });
});

describe("escalation across a restart of the worker", () => {
  /** How far ahead of intake the request falls due. */
  const LEAD_MS = 8_000;
  const CATEGORY = {
    code: "e2e-fast-sla",
    nameCyrillic: "Брзи рок",
    nameLatin: "Brzi rok",
    responsible: { kind: "PROVIDER", id: WATER_PROVIDER },
    // Whole hours, at least one (the catalog refuses fractions), so the clock does the rest below.
    slaFirstResponseHours: 1,
    slaResolutionHours: 1,
    requiredFields: [],
  };

  function startWorker(): RequestEscalationWorker {
    const worker = createRequestEscalationWorker({
      config: stack.config, // the stack's REDIS_PREFIX: the queue the city subgraph schedules on
      mongo: stack.mongo,
      logger: createLogger(stack.config, "e2e-contact-center-escalation"),
      // The hourly sweep stays out of the way: the delayed job is what is tested here.
      sweepIntervalMs: HOUR,
      attempts: 1,
    });
    workers.push(worker);
    return worker;
  }

  async function escalationState(id: string) {
    const answer = await readAs("operator", id);
    expect(answer.errors).toBeUndefined();
    return answer.data.serviceRequest as { escalated: boolean; escalationLevel: number; overdue: boolean; auditTrail: { actor: string; kind: string; from: string; to: string }[] };
  }

  let escalatedId: string;

  it("escalates the request once, by its delayed job, with the first worker closed before it was due and a new one started", async () => {
    const upsert = await gql("admin", "mutation U($input: ServiceCategoryInput!) { upsertServiceCategory(input: $input) { code slaResolutionHours } }", { input: CATEGORY });
    expect(upsert.errors).toBeUndefined();

    // The city's clock runs an hour minus LEAD_MS behind: the request is received "an hour ago" and due
    // LEAD_MS from now, real time, which is also when its delayed job fires.
    clock.offsetMs = -(HOUR - LEAD_MS);
    const result = await submit("operator", { categoryCode: CATEGORY.code, description: "Due in seconds", address: "Vidovdanska 1", channel: "PHONE" });
    // A second one, resolved in time: its job is cancelled and it is never escalated.
    const resolved = await submit("operator", { categoryCode: CATEGORY.code, description: "Fixed in time", address: "Vidovdanska 3", channel: "PHONE" });
    clock.offsetMs = 0;
    const id: string = result.serviceRequest.id;
    escalatedId = id;
    const resolvedId: string = resolved.serviceRequest.id;
    await moveAlong("water", resolvedId, "ASSIGNED", "IN_PROGRESS", "RESOLVED");
    const due = Date.parse(result.serviceRequest.resolutionDueAt);
    expect(due - Date.now()).toBeGreaterThan(0);
    expect(due - Date.now()).toBeLessThanOrEqual(LEAD_MS);

    const first = startWorker();
    await first.start();
    // The intake put the delayed job on the real queue.
    const job = await first.queue.getJob(escalationJobId(id));
    expect(job?.data).toEqual({ requestId: id });
    expect(await job?.getState()).toBe("delayed");
    expect(await first.queue.getJob(escalationJobId(resolvedId))).toBeUndefined();
    await first.close();
    // Otherwise the first worker may have done the work, and this test would prove nothing.
    expect(Date.now(), "the first worker was closed only after the request fell due; raise LEAD_MS").toBeLessThan(due);
    expect(await escalationState(id)).toMatchObject({ escalated: false, overdue: false });

    // The "restart": a new worker with its own connections, on the same prefix and store.
    const second = startWorker();
    await second.start();
    expect(await (await second.queue.getJob(escalationJobId(id)))?.getState()).toBe("delayed");

    const deadline = due + 30_000;
    let state = await escalationState(id);
    while (!state.escalated && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await escalationState(id);
    }
    expect(state).toMatchObject({ escalated: true, escalationLevel: 1, overdue: true });
    expect(Date.now()).toBeGreaterThanOrEqual(due);

    // A sweep on top finds nothing more to do: the escalation stays single.
    const sweep = await second.sweepNow();
    const sweepDeadline = Date.now() + 15_000;
    let sweepState = await sweep.getState();
    while (sweepState !== "completed" && sweepState !== "failed" && sweepState !== "unknown" && Date.now() < sweepDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sweepState = await sweep.getState();
    }
    const escalations = (await escalationState(id)).auditTrail.filter((entry) => entry.kind === "ESCALATION");
    expect(escalations).toEqual([{ actor: "system:escalation", kind: "ESCALATION", from: "0", to: "1" }]);
    // The job is done and gone; operators see the request flagged.
    expect(await second.queue.getJob(escalationJobId(id))).toBeUndefined();
    expect(await escalationState(resolvedId)).toMatchObject({ escalated: false, overdue: false });
    const flagged = await gql("operator", `{ serviceRequests(filter: { overdue: true, escalated: true }, first: 100) { nodes { id } } }`);
    expect(flagged.data.serviceRequests.nodes.map((node: { id: string }) => node.id)).toContain(id);
  });

  it("clears the flag on resolution, and a reopened overdue request is flagged again by its re-armed job", async () => {
    await moveAlong("water", escalatedId, "ASSIGNED", "IN_PROGRESS", "RESOLVED");
    expect(await escalationState(escalatedId)).toMatchObject({ escalated: true, overdue: false });
    await moveAlong("water", escalatedId, "IN_PROGRESS");
    // Due long ago: the job is re-armed for now, and the running worker takes it at once.
    const deadline = Date.now() + 30_000;
    let state = await escalationState(escalatedId);
    while (!state.overdue && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await escalationState(escalatedId);
    }
    expect(state).toMatchObject({ escalated: true, escalationLevel: 1, overdue: true });
    expect(state.auditTrail.filter((entry) => entry.kind === "ESCALATION").map((entry) => [entry.from, entry.to])).toEqual([
      ["0", "1"],
      ["1", "1"],
    ]);
  });
});

describe("reports against hand-computed figures", () => {
  // The fixture lives in one week of March 2026, before anything else in this file was received,
  // so the period and its backlog hold these requests alone.
  const FROM = new Date("2026-03-02T00:00:00.000Z");
  const TO = new Date("2026-03-09T00:00:00.000Z"); // FROM + 168 h
  const h = (n: number) => new Date(FROM.getTime() + n * HOUR);
  const at = async <T>(when: Date, work: () => Promise<T>): Promise<T> => {
    clock.fixed = when;
    try {
      return await work();
    } finally {
      clock.fixed = undefined;
    }
  };

  // The SLAs of the seed: water (jkp-vodovod-krusevac) resolution 24 h; roads (department roads) 240 h.
  // Channels: PHONE when an operator files it, WEB when a citizen does. Points far apart (no duplicates).
  //
  //      category district  channel received  first response          resolved          due    at `to` (h 168)
  //  G   water    centar    PHONE   h(-48)    none (assigned only)    -                 h(-24) open, age 216
  //  A   water    centar    PHONE   h(1)      h(3)  → 2 h             h(11) → 10 h, met  h(25)  closed h(20)
  //  B   water    centar    WEB     h(10)     h(14) → 4 h             h(40) → 30 h, late h(34)  resolved
  //  C   water    bagdala   PHONE   h(20)     h(21) → 1 h             -                  h(44)  open, age 148; late
  //  D   roads    centar    PHONE   h(30)     h(31) → 1 h (rejected)  -                  h(270) rejected
  //  E   roads    pakastica WEB     h(100)    h(106) → 6 h            h(150) → 50 h, met h(340) resolved
  //  F   roads    centar    PHONE   h(160)    none                    -                  h(400) open, age 8; undecided
  //
  // Contacts (first per request in the period): A h(1) REQUEST_CREATED, then h(12) RESOLVED (not first);
  // B h(15) INFORMATION_GIVEN; C h(20) RESOLVED; D h(30) FORWARDED; E h(100) RESOLVED; one without a
  // request at h(50) (counted nowhere).
  const WATER = {
    volume: 3, // A B C (G was received before the period)
    firstResponseMedianHours: 2, // [1, 2, 4]: nearest rank ceil(0.5·3) = 2nd → 2
    firstResponseP90Hours: 4, // ceil(0.9·3) = 3rd → 4
    resolutionMedianHours: 10, // [10, 30]: ceil(0.5·2) = 1st → 10
    resolutionP90Hours: 30, // ceil(0.9·2) = 2nd → 30
    slaCompliance: 0.3333, // decided: A met, B late (40 > 34), C due h(44) < h(168) and open → 1/3
    backlog: 2, // C and G
    backlogMedianAgeHours: 148, // [168-20 = 148, 168+48 = 216]: 1st → 148
    firstContactResolution: 0.3333, // A no, B no, C yes → 1/3
    firstContacts: 3,
  };
  const ROADS = {
    volume: 3, // D E F
    firstResponseMedianHours: 1, // [1, 6]: 1st → 1
    firstResponseP90Hours: 6, // 2nd → 6
    resolutionMedianHours: 50, // [50]
    resolutionP90Hours: 50,
    slaCompliance: 1, // E met; D rejected (not counted); F due after `to` (undecided) → 1/1
    backlog: 1, // F
    backlogMedianAgeHours: 8, // 168-160
    firstContactResolution: 0.5, // D no (forwarded), E yes → 1/2
    firstContacts: 2,
  };
  const CATEGORY_ROWS = [
    { key: "roads", ...ROADS },
    { key: "water", ...WATER },
  ];

  const REPORT = `query Report($from: DateTimeISO!, $to: DateTimeISO!, $groupBy: ReportDimension!) {
    requestReport(from: $from, to: $to, groupBy: $groupBy) {
      key volume firstResponseMedianHours firstResponseP90Hours resolutionMedianHours resolutionP90Hours
      slaCompliance backlog backlogMedianAgeHours firstContactResolution firstContacts
    }
  }`;
  const report = (who: Who, groupBy: string) => gql(who, REPORT, { from: FROM.toISOString(), to: TO.toISOString(), groupBy });
  const csv = async (who: Who, groupBy: string) => {
    const url = new URL("/reports/requests.csv", stack.gatewayUrl);
    url.search = new URLSearchParams({ from: FROM.toISOString(), to: TO.toISOString(), groupBy }).toString();
    const response = await fetch(url, { headers: who === "anonymous" ? {} : headers[who] });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  };

  beforeAll(async () => {
    const file = (who: Who, when: number, categoryCode: string, districtId: string, north: number, channel: string) =>
      at(h(when), async () => {
        const result = await submit(who, {
          categoryCode,
          description: `Report fixture received at hour ${when}`,
          location: point(offset(centreOf(districtId), north, north)),
          channel,
        });
        return result.serviceRequest ? (result.serviceRequest.id as string) : idOf(result.trackingCode, result.request.receivedAt);
      });
    const move = (id: string, when: number, ...steps: string[]) => at(h(when), () => moveAlong("operator", id, ...steps));

    const g = await file("operator", -48, "water", "centar", -600, "PHONE");
    await move(g, -47, "ASSIGNED");
    const a = await file("operator", 1, "water", "centar", -300, "PHONE");
    await move(a, 1, "ASSIGNED");
    await move(a, 3, "IN_PROGRESS");
    await move(a, 11, "RESOLVED");
    await move(a, 20, "CLOSED");
    const b = await file("anonymous", 10, "water", "centar", 0, "WEB");
    await move(b, 10, "ASSIGNED");
    await move(b, 14, "IN_PROGRESS");
    await move(b, 40, "RESOLVED");
    const c = await file("operator", 20, "water", "bagdala", 0, "PHONE");
    await move(c, 20, "ASSIGNED");
    await move(c, 21, "IN_PROGRESS");
    const d = await file("operator", 30, "roads", "centar", 300, "PHONE");
    await at(h(31), async () => {
      const rejected = await transition("operator", d, "REJECTED", { rejectionReason: "a private road" });
      expect(rejected.errors).toBeUndefined();
    });
    const e = await file("anonymous", 100, "roads", "pakastica", 0, "WEB");
    await move(e, 100, "ASSIGNED");
    await move(e, 106, "IN_PROGRESS");
    await move(e, 150, "RESOLVED");
    await file("operator", 160, "roads", "centar", 600, "PHONE");

    const contacts: [number, string, string | undefined][] = [
      [1, "REQUEST_CREATED", a],
      [12, "RESOLVED", a],
      [15, "INFORMATION_GIVEN", b],
      [20, "RESOLVED", c],
      [30, "FORWARDED", d],
      [50, "NO_ANSWER", undefined],
      [100, "RESOLVED", e],
    ];
    for (const [when, outcome, requestId] of contacts) {
      const logged = await at(h(when), () =>
        gql("staff", `mutation Log($input: LogContactInput!) { logContact(input: $input) { id at outcome requestId } }`, {
          input: { at: h(when).toISOString(), durationSeconds: 180, channel: "PHONE", outcome, ...(requestId ? { requestId } : {}) },
        }),
      );
      expect(logged.errors, JSON.stringify(logged.errors)).toBeUndefined();
      expect(logged.data.logContact).toMatchObject({ at: h(when).toISOString(), outcome, requestId: requestId ?? null });
    }
  });

  it("groups by category", async () => {
    const answer = await report("staff", "CATEGORY");
    expect(answer.errors).toBeUndefined();
    expect(answer.data.requestReport).toEqual(CATEGORY_ROWS);
  });

  it("groups by provider (the assignee)", async () => {
    const answer = await report("operator", "PROVIDER");
    expect(answer.errors).toBeUndefined();
    expect(answer.data.requestReport).toEqual([
      { key: WATER_PROVIDER, ...WATER },
      { key: "roads", ...ROADS },
    ]);
  });

  it("groups by district", async () => {
    const answer = await report("staff", "DISTRICT");
    expect(answer.errors).toBeUndefined();
    expect(answer.data.requestReport).toEqual([
      {
        key: "bagdala", // C
        volume: 1,
        firstResponseMedianHours: 1,
        firstResponseP90Hours: 1,
        resolutionMedianHours: null,
        resolutionP90Hours: null,
        slaCompliance: 0, // C late
        backlog: 1,
        backlogMedianAgeHours: 148,
        firstContactResolution: 1, // C yes
        firstContacts: 1,
      },
      {
        key: "centar", // A B D F in the period, G in the backlog
        volume: 4,
        firstResponseMedianHours: 2, // A 2, B 4, D 1 → [1, 2, 4]: 2nd → 2
        firstResponseP90Hours: 4, // 3rd → 4
        resolutionMedianHours: 10, // [10, 30]
        resolutionP90Hours: 30,
        slaCompliance: 0.5, // A met, B late; D rejected, F undecided → 1/2
        backlog: 2, // F 8, G 216
        backlogMedianAgeHours: 8, // [8, 216]: 1st → 8
        firstContactResolution: 0, // A no, B no, D no → 0/3
        firstContacts: 3,
      },
      {
        key: "pakastica", // E
        volume: 1,
        firstResponseMedianHours: 6,
        firstResponseP90Hours: 6,
        resolutionMedianHours: 50,
        resolutionP90Hours: 50,
        slaCompliance: 1,
        backlog: 0,
        backlogMedianAgeHours: null,
        firstContactResolution: 1, // E yes
        firstContacts: 1,
      },
    ]);
  });

  it("groups by intake channel", async () => {
    const answer = await report("staff", "CHANNEL");
    expect(answer.errors).toBeUndefined();
    expect(answer.data.requestReport).toEqual([
      {
        key: "phone", // A C D F in the period; G in the backlog
        volume: 4,
        firstResponseMedianHours: 1, // A 2, C 1, D 1 → [1, 1, 2]: 2nd → 1
        firstResponseP90Hours: 2, // 3rd → 2
        resolutionMedianHours: 10, // A
        resolutionP90Hours: 10,
        slaCompliance: 0.5, // A met, C late; D rejected, F undecided → 1/2
        backlog: 3, // C 148, F 8, G 216
        backlogMedianAgeHours: 148, // [8, 148, 216]: ceil(1.5) = 2nd → 148
        firstContactResolution: 0.3333, // A no, C yes, D no → 1/3
        firstContacts: 3,
      },
      {
        key: "web", // B E
        volume: 2,
        firstResponseMedianHours: 4, // [4, 6]: 1st → 4
        firstResponseP90Hours: 6,
        resolutionMedianHours: 30, // [30, 50]: 1st → 30
        resolutionP90Hours: 50,
        slaCompliance: 0.5, // B late, E met
        backlog: 0,
        backlogMedianAgeHours: null,
        firstContactResolution: 0.5, // B no, E yes
        firstContacts: 2,
      },
    ]);
  });

  it("exports the same figures as CSV to staff, and refuses anonymous callers (401) and providers (403)", async () => {
    const exported = await csv("staff", "CATEGORY");
    expect(exported.status).toBe(200);
    expect(exported.type).toMatch(/^text\/csv/);
    expect(exported.text).toBe(
      [
        "key,volume,firstResponseMedianHours,firstResponseP90Hours,resolutionMedianHours,resolutionP90Hours,slaCompliance,backlog,backlogMedianAgeHours,firstContactResolution,firstContacts",
        "roads,3,1,6,50,50,1,1,8,0.5,2",
        "water,3,2,4,10,30,0.3333,2,148,0.3333,3",
        "",
      ].join("\r\n"),
    );
    // Empty fields for nulls, as the GraphQL report's nulls.
    const byChannel = await csv("operator", "CHANNEL");
    expect(byChannel.status).toBe(200);
    expect(byChannel.text.split("\r\n")[2]).toBe("web,2,4,6,30,50,0.5,0,,0.5,2");

    expect((await csv("anonymous", "CATEGORY")).status).toBe(401);
    expect((await csv("water", "CATEGORY")).status).toBe(403);
    expect(errorCodesOf(await report("water", "CATEGORY"))).toEqual(["FORBIDDEN"]);
    expect(errorCodesOf(await report("anonymous", "CATEGORY"))).toEqual(["UNAUTHENTICATED"]);
  });
});
