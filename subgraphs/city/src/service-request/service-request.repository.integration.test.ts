import { NotFoundError, UserInputError } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CITIZEN, centreOf, offset, OPERATOR, openSeededRepositories, point, type ContactCenterRepositories } from "../test-support/contact-center.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import { ALLOWED_TRANSITIONS, REQUEST_STATUSES, type RequestStatus, type ServiceRequestDocument } from "./service-request.model.js";
import { REQUEST_AUDIT_COLLECTION, SERVICE_REQUESTS_COLLECTION, type SubmitInput } from "./service-request.repository.js";

let store: TestStore;
let repos: ContactCenterRepositories;

beforeAll(async () => {
  store = await startTestStore();
  repos = await openSeededRepositories(store.mongo.db(store.databaseName));
});

afterAll(async () => {
  await store?.close();
});

const HOUR = 3_600_000;
// Each test works in its own week, so that no request of one is an open duplicate candidate for another.
let week = 0;
function freshTime(): Date {
  week += 1;
  return new Date(Date.UTC(2026, 0, 1) + week * 7 * 24 * HOUR);
}

function waterAt(position: [number, number], extra: Partial<SubmitInput> = {}): SubmitInput {
  return { categoryCode: "water", description: "Water is leaking from the street", location: point(position), channel: "web", ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(UserInputError);
  return (error as UserInputError).field;
}

const PATHS: Record<RequestStatus, RequestStatus[]> = {
  received: [],
  assigned: ["assigned"],
  "in-progress": ["assigned", "in-progress"],
  "waiting-for-citizen": ["assigned", "waiting-for-citizen"],
  resolved: ["assigned", "in-progress", "resolved"],
  closed: ["assigned", "in-progress", "resolved", "closed"],
  rejected: ["rejected"],
};

/** A request (address only, so it is never a duplicate) driven to `status`. */
async function requestIn(status: RequestStatus, now = freshTime()): Promise<ServiceRequestDocument> {
  const { request } = await repos.requests.submit(
    { categoryCode: "administrative-information", description: "How do I register a business?", address: "Trg kosovskih junaka 1", channel: "phone" },
    OPERATOR,
    now,
  );
  let current = request;
  for (const [step, to] of PATHS[status].entries()) {
    current = await repos.requests.transition(
      request._id,
      to,
      OPERATOR,
      to === "rejected" ? { rejectionReason: "not the city's competence" } : {},
      new Date(now.getTime() + (step + 1) * HOUR),
    );
  }
  return current;
}

async function countAll(): Promise<{ requests: number; audit: number }> {
  const db = store.mongo.db(store.databaseName);
  return {
    requests: await db.collection(SERVICE_REQUESTS_COLLECTION).countDocuments({}),
    audit: await db.collection(REQUEST_AUDIT_COLLECTION).countDocuments({}),
  };
}

describe("intake", () => {
  it("derives the district, routes to the category's responsible, computes the due times, and issues a tracking code", async () => {
    const now = freshTime();
    const { request, duplicateOf } = await repos.requests.submit(
      waterAt(centreOf("centar"), {
        address: "Vidovdanska 1",
        contact: { name: "Petar Petrović", email: "petar@example.rs", phone: "+381 37 123-456" },
        attachments: ["https://photos.example/leak.jpg"],
      }),
      CITIZEN,
      now,
    );
    expect(duplicateOf).toBeUndefined();
    expect(request).toMatchObject({
      categoryCode: "water",
      districtId: "centar",
      status: "received",
      assignee: { kind: "provider", id: "jkp-vodovod-krusevac" },
      receivedAt: now,
      firstResponseDueAt: new Date(now.getTime() + 2 * HOUR),
      resolutionDueAt: new Date(now.getTime() + 24 * HOUR),
      escalationLevel: 0,
      overdue: false,
      contact: { name: "Petar Petrović", email: "petar@example.rs", phone: "+381 37 123-456" },
      attachments: ["https://photos.example/leak.jpg"],
      submittedBy: { subject: "anonymous", roles: [] },
    });
    expect(request.trackingCode).toMatch(/^KS-[23456789ABCDEFGHJKMNPQRSTWXYZ]{8}$/);
    expect((await repos.requests.findByTrackingCode(request.trackingCode.toLowerCase()))?._id).toBe(request._id);
    expect(await repos.requests.findById(request._id)).toEqual(request);
    const trail = await repos.requests.auditTrail(request._id);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ kind: "received", to: "received", actor: { subject: "anonymous" }, at: now });
  });

  it("routes by the category, and by a district rule where one applies", async () => {
    const now = freshTime();
    const roadsCentar = await repos.requests.submit({ ...waterAt(centreOf("centar")), categoryCode: "roads" }, OPERATOR, now);
    expect(roadsCentar.request.assignee).toEqual({ kind: "department", id: "roads" });
    const roadsBivolje = await repos.requests.submit({ ...waterAt(centreOf("bivolje")), categoryCode: "roads" }, OPERATOR, now);
    expect(roadsBivolje.request).toMatchObject({ districtId: "bivolje", assignee: { kind: "department", id: "rural-roads" } });
    const greenBagdala = await repos.requests.submit({ ...waterAt(centreOf("bagdala")), categoryCode: "green-areas" }, OPERATOR, now);
    expect(greenBagdala.request.assignee).toEqual({ kind: "department", id: "environmental-protection" });
    const greenCentar = await repos.requests.submit({ ...waterAt(centreOf("centar")), categoryCode: "green-areas" }, OPERATOR, now);
    expect(greenCentar.request.assignee).toEqual({ kind: "provider", id: "jkp-krusevac" });
    // Without a point there is no district, so the category's responsible answers.
    const heating = await repos.requests.submit(
      { categoryCode: "heating", description: "No heating in the flat", address: "Kosovska 5", channel: "phone" },
      OPERATOR,
      now,
    );
    expect(heating.request).toMatchObject({ assignee: { kind: "provider", id: "jkp-gradska-toplana-krusevac" } });
    expect(heating.request.districtId).toBeUndefined();
  });

  it("follows a routing rule added later by staff", async () => {
    const category = (await repos.categories.findByCode("parking"))!;
    await repos.categories.upsert({
      ...category,
      code: category._id,
      routingRules: [{ districtId: "jasika", responsible: { kind: "department", id: "jasika-office" } }],
    });
    const now = freshTime();
    const jasika = await repos.requests.submit({ ...waterAt(centreOf("jasika")), categoryCode: "parking" }, OPERATOR, now);
    expect(jasika.request.assignee).toEqual({ kind: "department", id: "jasika-office" });
    const tekija = await repos.requests.submit({ ...waterAt(centreOf("tekija")), categoryCode: "parking" }, OPERATOR, now);
    expect(tekija.request.assignee).toEqual({ kind: "department", id: "traffic" });
  });

  it("refuses bad input naming the field, and stores nothing", async () => {
    const before = await countAll();
    const now = freshTime();
    const centar = centreOf("centar");
    const cases: [SubmitInput, string][] = [
      [{ ...waterAt(centar), categoryCode: "teleportation" }, "categoryCode"],
      [{ ...waterAt(centar), channel: "pigeon" }, "channel"],
      [{ ...waterAt(centar), description: " x " }, "description"],
      [{ ...waterAt(centar), description: "x".repeat(4001) }, "description"],
      [{ ...waterAt(centar), location: point([20.0, 44.0]) }, "location"],
      [{ ...waterAt(centar), location: point([21.33, 95]) }, "location"],
      [{ ...waterAt(centar), location: { type: "Polygon", coordinates: [] } }, "location"],
      [{ ...waterAt(centar), address: "a".repeat(301) }, "address"],
      [{ ...waterAt(centar), contact: { email: "not-an-address" } }, "contact.email"],
      [{ ...waterAt(centar), contact: { phone: "call me maybe" } }, "contact.phone"],
      [{ ...waterAt(centar), contact: { phone: "123" } }, "contact.phone"],
      [{ ...waterAt(centar), contact: { name: "n".repeat(121) } }, "contact.name"],
      [{ ...waterAt(centar), attachments: ["ftp://files.example/a.jpg"] }, "attachments"],
      [{ ...waterAt(centar), attachments: ["javascript:alert(1)"] }, "attachments"],
      [{ ...waterAt(centar), attachments: Array.from({ length: 11 }, (_, i) => `https://x.example/${i}.jpg`) }, "attachments"],
      // Water needs a location; heating and noise need an address; any request needs one of the two.
      [{ categoryCode: "water", description: "Leak somewhere", address: "Kosovska 5", channel: "web" }, "location"],
      [{ categoryCode: "noise", description: "Loud music every night", location: point(centar), channel: "web" }, "address"],
      [{ categoryCode: "public-transport", description: "The bus was late", channel: "web" }, "location"],
    ];
    for (const [input, field] of cases) {
      expect(await fieldOf(repos.requests.submit(input, CITIZEN, now)), JSON.stringify(input).slice(0, 120)).toBe(field);
    }
    expect(await countAll()).toEqual(before);
  });

  it("refuses a category that staff deactivated", async () => {
    const category = (await repos.categories.findByCode("stray-animals"))!;
    await repos.categories.upsert({ ...category, code: category._id, active: false });
    try {
      expect(await fieldOf(repos.requests.submit({ ...waterAt(centreOf("centar")), categoryCode: "stray-animals" }, CITIZEN))).toBe(
        "categoryCode",
      );
    } finally {
      await repos.categories.upsert({ ...category, code: category._id, active: true });
    }
  });
});

describe("duplicates", () => {
  it("links a request of the same category within 100 m and 48 h of an open one, and tells so", async () => {
    const now = freshTime();
    const place = centreOf("lazarica");
    const original = (await repos.requests.submit(waterAt(place), CITIZEN, now)).request;
    const later = new Date(now.getTime() + 47 * HOUR);
    const { request, duplicateOf } = await repos.requests.submit(waterAt(offset(place, 60, 30)), CITIZEN, later);
    expect(duplicateOf?._id).toBe(original._id);
    expect(request.duplicateOf).toBe(original._id);
    // Linked, not merged: both exist, each with its own tracking code and status.
    expect(request._id).not.toBe(original._id);
    expect(request.status).toBe("received");
    const trail = await repos.requests.auditTrail(request._id);
    expect(trail.map((entry) => entry.kind)).toEqual(["received", "duplicate-link"]);
    expect(trail[1]).toMatchObject({ to: original._id });
  });

  it("does not link beyond 100 m, after 48 h, across categories, or to a closed, resolved or rejected request", async () => {
    const now = freshTime();
    const place = centreOf("mudrakovac");
    await repos.requests.submit(waterAt(place), CITIZEN, now);
    const farther = await repos.requests.submit(waterAt(offset(place, 0, 140)), CITIZEN, new Date(now.getTime() + HOUR));
    expect(farther.duplicateOf).toBeUndefined();
    const tooLate = await repos.requests.submit(waterAt(offset(place, 20)), CITIZEN, new Date(now.getTime() + 49 * HOUR));
    // 49 h later the first is out of the window; the second (140 m away) is not within 100 m either.
    expect(tooLate.duplicateOf).toBeUndefined();
    const otherCategory = await repos.requests.submit(
      { ...waterAt(offset(place, 10)), categoryCode: "waste" },
      CITIZEN,
      new Date(now.getTime() + 2 * HOUR),
    );
    expect(otherCategory.duplicateOf).toBeUndefined();

    for (const status of ["closed", "resolved", "rejected"] as const) {
      const at = freshTime();
      const spot = centreOf("rasadnik");
      const { request: first } = await repos.requests.submit(waterAt(spot), CITIZEN, at);
      for (const to of status === "rejected" ? (["rejected"] as const) : PATHS[status]) {
        await repos.requests.transition(first._id, to, OPERATOR, to === "rejected" ? { rejectionReason: "duplicate call" } : {}, at);
      }
      const second = await repos.requests.submit(waterAt(offset(spot, 10)), CITIZEN, new Date(at.getTime() + HOUR));
      expect(second.duplicateOf, status).toBeUndefined();
    }
  });
});

describe("lifecycle", () => {
  it("accepts every allowed transition and refuses every other naming both states on `to`", async () => {
    for (const from of REQUEST_STATUSES) {
      for (const to of REQUEST_STATUSES) {
        const request = await requestIn(from);
        const options = to === "rejected" ? { rejectionReason: "out of scope" } : {};
        if (ALLOWED_TRANSITIONS[from].includes(to)) {
          const updated = await repos.requests.transition(request._id, to, OPERATOR, options);
          expect(updated.status, `${from} → ${to}`).toBe(to);
          const last = (await repos.requests.auditTrail(request._id)).at(-1);
          expect(last).toMatchObject({ kind: "status", from, to, actor: OPERATOR });
        } else {
          const error = await rejection(repos.requests.transition(request._id, to, OPERATOR, options));
          expect(error, `${from} → ${to}`).toBeInstanceOf(UserInputError);
          expect((error as UserInputError).field).toBe("to");
          expect(error.message).toContain(from);
          expect(error.message).toContain(to);
          expect((await repos.requests.findById(request._id))?.status).toBe(from);
        }
      }
    }
  });

  it("needs a reason to reject, and takes one only for a rejection", async () => {
    const request = await requestIn("assigned");
    expect(await fieldOf(repos.requests.transition(request._id, "rejected", OPERATOR, {}))).toBe("rejectionReason");
    expect(await fieldOf(repos.requests.transition(request._id, "in-progress", OPERATOR, { rejectionReason: "why" }))).toBe(
      "rejectionReason",
    );
    expect(await fieldOf(repos.requests.transition(request._id, "in-progress", OPERATOR, { comment: "c".repeat(2001) }))).toBe("comment");
    expect(await fieldOf(repos.requests.transition(request._id, "paused" as RequestStatus, OPERATOR))).toBe("to");
    const rejected = await repos.requests.transition(request._id, "rejected", OPERATOR, { rejectionReason: "a private matter" });
    expect(rejected).toMatchObject({ status: "rejected", rejectionReason: "a private matter" });
    expect((await repos.requests.auditTrail(request._id)).length).toBe(3);
    await expect(repos.requests.transition("no-such-request", "assigned", OPERATOR)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("stamps first response, resolution and closing, and forgets the resolution on reopening", async () => {
    const now = freshTime();
    const { request } = await repos.requests.submit(waterAt(centreOf("citluk")), CITIZEN, now);
    const t = (hours: number) => new Date(now.getTime() + hours * HOUR);
    let current = await repos.requests.transition(request._id, "assigned", OPERATOR, {}, t(1));
    expect(current.firstRespondedAt).toBeUndefined();
    current = await repos.requests.transition(request._id, "in-progress", OPERATOR, {}, t(2));
    expect(current.firstRespondedAt).toEqual(t(2));
    current = await repos.requests.transition(request._id, "resolved", OPERATOR, { comment: "pipe fixed" }, t(3));
    expect(current).toMatchObject({ resolvedAt: t(3), overdue: false });
    current = await repos.requests.transition(request._id, "in-progress", OPERATOR, { comment: "still leaking" }, t(4));
    expect(current.resolvedAt).toBeUndefined();
    expect(current.firstRespondedAt).toEqual(t(2));
    await repos.requests.transition(request._id, "resolved", OPERATOR, {}, t(5));
    current = await repos.requests.transition(request._id, "closed", OPERATOR, {}, t(6));
    expect(current).toMatchObject({ status: "closed", resolvedAt: t(5), closedAt: t(6), version: 7 });
  });

  it("reassigns with history, and refuses a no-op or a finished request", async () => {
    const request = await requestIn("assigned");
    const moved = await repos.requests.reassign(request._id, { kind: "provider", id: "jkp-krusevac" }, OPERATOR, "their area");
    expect(moved.assignee).toEqual({ kind: "provider", id: "jkp-krusevac" });
    const last = (await repos.requests.auditTrail(request._id)).at(-1);
    expect(last).toMatchObject({
      kind: "assignment",
      from: "department:city-administration",
      to: "provider:jkp-krusevac",
      comment: "their area",
    });
    expect(await fieldOf(repos.requests.reassign(request._id, { kind: "provider", id: "jkp-krusevac" }, OPERATOR))).toBe("assignee");
    expect(await fieldOf(repos.requests.reassign(request._id, { kind: "team" as never, id: "x" }, OPERATOR))).toBe("assignee.kind");
    expect(await fieldOf(repos.requests.reassign(request._id, { kind: "department", id: "Not An Id" }, OPERATOR))).toBe("assignee.id");
    const closed = await requestIn("closed");
    expect(await fieldOf(repos.requests.reassign(closed._id, { kind: "department", id: "roads" }, OPERATOR))).toBe("id");
  });
});

describe("authorization at decision time", () => {
  it("checks ownership against the request as it is when the change is decided, and writes nothing when refused", async () => {
    const request = await requestIn("assigned");
    await repos.requests.reassign(request._id, { kind: "provider", id: "jkp-krusevac" }, OPERATOR);
    const before = await repos.requests.auditTrail(request._id);
    // The caller checked ownership on the stale copy (`request`); the repository checks the current one.
    const onlyCityAdministration = (current: ServiceRequestDocument) => {
      if (current.assignee.id !== "city-administration") throw new Error("not yours any more");
    };
    await expect(
      repos.requests.transition(request._id, "in-progress", OPERATOR, { authorize: onlyCityAdministration }),
    ).rejects.toThrow("not yours any more");
    await expect(
      repos.requests.reassign(request._id, { kind: "department", id: "roads" }, OPERATOR, null, undefined, onlyCityAdministration),
    ).rejects.toThrow("not yours any more");
    expect(await repos.requests.auditTrail(request._id)).toEqual(before);
    expect((await repos.requests.findById(request._id))?.status).toBe("assigned");
  });
});

describe("the audit trail", () => {
  it("only grows: earlier entries stay exactly as written", async () => {
    const request = await requestIn("received");
    const snapshots = [await repos.requests.auditTrail(request._id)];
    for (const to of ["assigned", "in-progress", "waiting-for-citizen", "in-progress", "resolved", "closed"] as const) {
      await repos.requests.transition(request._id, to, OPERATOR, { comment: `to ${to}` });
      snapshots.push(await repos.requests.auditTrail(request._id));
    }
    for (let index = 1; index < snapshots.length; index++) {
      expect(snapshots[index]).toHaveLength(snapshots[index - 1]!.length + 1);
      expect(snapshots[index]!.slice(0, -1)).toEqual(snapshots[index - 1]);
    }
    expect(snapshots.at(-1)!.map((entry) => entry.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("offers no way to change or remove an entry", () => {
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(repos.requests));
    expect(methods.filter((name) => /audit/i.test(name))).toEqual(["auditTrail"]);
    expect(Object.keys(repos.requests)).not.toContain("audit");
  });

  it("lets one of two concurrent changes win and records only that one", async () => {
    const request = await requestIn("assigned");
    const outcomes = await Promise.allSettled([
      repos.requests.transition(request._id, "in-progress", OPERATOR),
      repos.requests.transition(request._id, "in-progress", { subject: "operator-bob", roles: ["operator"] }),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const failed = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(UserInputError);
    const trail = await repos.requests.auditTrail(request._id);
    expect(trail.filter((entry) => entry.to === "in-progress")).toHaveLength(1);
    expect((await repos.requests.findById(request._id))?.version).toBe(trail.length);
  });

  it("finishes a change whose writer crashed between the audit entry and the request update", async () => {
    const request = await requestIn("assigned");
    const at = new Date();
    // What a crashed writer leaves: the entry of version 3, the request still at version 2.
    await store.mongo
      .db(store.databaseName)
      .collection(REQUEST_AUDIT_COLLECTION)
      .insertOne({
        _id: `${request._id}:3` as never,
        requestId: request._id,
        version: 3,
        at,
        actor: { subject: "operator-crashed", roles: ["operator"] },
        kind: "status",
        from: "assigned",
        to: "in-progress",
        patch: { set: { status: "in-progress", firstRespondedAt: at }, unset: [] },
      });
    expect((await repos.requests.auditTrail(request._id)).map((entry) => entry.version)).toEqual([1, 2]);
    // The next change first applies the pending one, then decides on the state it produced.
    const updated = await repos.requests.transition(request._id, "resolved", OPERATOR);
    expect(updated).toMatchObject({ status: "resolved", version: 4 });
    const trail = await repos.requests.auditTrail(request._id);
    expect(trail.map((entry) => [entry.from, entry.to])).toEqual([
      [undefined, "received"],
      ["received", "assigned"],
      ["assigned", "in-progress"],
      ["in-progress", "resolved"],
    ]);
    expect(trail[2]).not.toHaveProperty("patch");
  });
});

describe("escalation", () => {
  it("escalates once when overdue, and says why it does nothing otherwise", async () => {
    const now = freshTime();
    const { request } = await repos.requests.submit(waterAt(centreOf("parunovac")), CITIZEN, now);
    expect(await repos.requests.escalateIfOverdue(request._id, new Date(now.getTime() + 23 * HOUR))).toBe("not-due");
    const due = new Date(now.getTime() + 25 * HOUR);
    expect((await repos.requests.findOverdueOpen(due, 1000)).map((found) => found._id)).toContain(request._id);
    const outcomes = await Promise.all([repos.requests.escalateIfOverdue(request._id, due), repos.requests.escalateIfOverdue(request._id, due)]);
    expect(outcomes.sort()).toEqual(["already-escalated", "escalated"]);
    expect(await repos.requests.escalateIfOverdue(request._id, due)).toBe("already-escalated");
    expect(await repos.requests.findById(request._id)).toMatchObject({ escalationLevel: 1, overdue: true });
    expect((await repos.requests.findOverdueOpen(due, 1000)).map((found) => found._id)).not.toContain(request._id);
    const escalations = (await repos.requests.auditTrail(request._id)).filter((entry) => entry.kind === "escalation");
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ actor: { subject: "system:escalation" }, from: "0", to: "1" });

    await repos.requests.transition(request._id, "rejected", OPERATOR, { rejectionReason: "private pipe" });
    expect(await repos.requests.findById(request._id)).toMatchObject({ escalationLevel: 1, overdue: false });
    expect(await repos.requests.escalateIfOverdue(request._id, due)).toBe("closed");
    await expect(repos.requests.escalateIfOverdue("no-such-request")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("escalation after reopening", () => {
  it("flags a reopened request overdue again, once", async () => {
    const now = freshTime();
    const { request } = await repos.requests.submit(waterAt(centreOf("jasika")), CITIZEN, now);
    const late = new Date(now.getTime() + 30 * HOUR);
    expect(await repos.requests.escalateIfOverdue(request._id, late)).toBe("escalated");
    for (const to of ["assigned", "in-progress", "resolved"] as const) await repos.requests.transition(request._id, to, OPERATOR, {}, late);
    expect(await repos.requests.findById(request._id)).toMatchObject({ escalationLevel: 1, overdue: false });
    await repos.requests.transition(request._id, "in-progress", OPERATOR, { comment: "reopened" }, late);
    // The sweep must find it again, for when its delayed job was lost.
    expect((await repos.requests.findOverdueOpen(late)).map((overdue) => overdue._id)).toContain(request._id);
    expect(await repos.requests.escalateIfOverdue(request._id, late)).toBe("escalated");
    expect((await repos.requests.findOverdueOpen(late)).map((overdue) => overdue._id)).not.toContain(request._id);
    expect(await repos.requests.escalateIfOverdue(request._id, late)).toBe("already-escalated");
    expect(await repos.requests.findById(request._id)).toMatchObject({ escalationLevel: 1, overdue: true });
    const kinds = (await repos.requests.auditTrail(request._id)).map((entry) => entry.kind);
    expect(kinds.filter((kind) => kind === "escalation")).toHaveLength(2);
  });
});

describe("reading", () => {
  it("pages newest first within a scope, and refuses a foreign cursor", async () => {
    const now = freshTime();
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const { request } = await repos.requests.submit(
        { ...waterAt(offset(centreOf("dedina"), index * 300)), categoryCode: "public-transport" },
        CITIZEN,
        new Date(now.getTime() + index * 1000),
      );
      ids.push(request._id);
    }
    const filter = { categoryCodes: ["public-transport"], receivedFrom: now };
    const provider = { kind: "provider" as const, providerId: "gradski-prevoz-krusevac" };
    const first = await repos.requests.findPage(filter, { first: 2 }, provider);
    expect(first.requests.map((request) => request._id)).toEqual([ids[4], ids[3]]);
    expect(first).toMatchObject({ hasNextPage: true, totalCount: 5 });
    const second = await repos.requests.findPage(filter, { first: 10, after: first.cursors.at(-1) }, provider);
    expect(second.requests.map((request) => request._id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(second.hasNextPage).toBe(false);
    expect((await repos.requests.findPage(filter, { first: 10 }, { kind: "provider", providerId: "jkp-krusevac" })).totalCount).toBe(0);
    expect((await repos.requests.findPage(filter, { first: 10 }, { kind: "departments" })).totalCount).toBe(0);
    expect((await repos.requests.findPage(filter, { first: 10 }, { kind: "none" })).totalCount).toBe(0);
    expect((await repos.requests.findPage(filter, { first: 10 }, { kind: "all" })).totalCount).toBe(5);
    await expect(repos.requests.findPage(filter, { first: 1, after: "garbage" }, provider)).rejects.toThrow(/cursor/);
  });
});
