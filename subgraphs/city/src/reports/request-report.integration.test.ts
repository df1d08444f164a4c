/**
 * The request report over HTTP against a fixture of twelve requests and twelve contacts whose figures
 * were worked out by hand (below, next to each expectation), not by the code under test.
 */
import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCityServer, type CityServer } from "../server.js";
import { postGraphQL, startTestStore, type TestStore } from "../test-support/test-stack.js";
import { SERVICE_REQUESTS_COLLECTION } from "./request-report.repository.js";

const FROM = new Date("2026-03-01T00:00:00Z");
const TO = new Date("2026-03-31T00:00:00Z"); // 720 hours after FROM
/** FROM plus n hours. */
const h = (n: number) => new Date(FROM.getTime() + n * 3_600_000);

const staff: Identity = { subject: "mira", roles: ["city-staff"] };
const provider: Identity = { subject: "vodovod-api", roles: ["provider"], providerId: "jkp-vodovod-krusevac" };

const water = { categoryCode: "water", assignee: { kind: "provider", id: "jkp-vodovod-krusevac" } };
const roads = { categoryCode: "roads", assignee: { kind: "department", id: "roads" } };

// Only the fields the reports read, plus the contract's required ones with dummy values.
function request(id: string, fields: Record<string, unknown>) {
  const receivedAt = fields.receivedAt as Date;
  return {
    _id: id,
    trackingCode: `KS-${id.toUpperCase().padEnd(8, "X")}`,
    description: "fixture",
    attachments: [],
    firstResponseDueAt: new Date(receivedAt.getTime() + 4 * 3_600_000),
    escalationLevel: 0,
    overdue: false,
    submittedBy: { subject: "fixture", roles: [] },
    updatedAt: receivedAt,
    ...fields,
  };
}

const REQUESTS = [
  // water: provider jkp-vodovod-krusevac, district centar, channel phone
  request("w1", { ...water, districtId: "centar", channel: "phone", status: "closed", receivedAt: h(0), firstRespondedAt: h(2), resolvedAt: h(10), closedAt: h(20), resolutionDueAt: h(24) }),
  request("w2", { ...water, districtId: "centar", channel: "phone", status: "resolved", receivedAt: h(10), firstRespondedAt: h(14), resolvedAt: h(40), resolutionDueAt: h(34) }),
  request("w3", { ...water, districtId: "centar", channel: "phone", status: "in-progress", receivedAt: h(20), firstRespondedAt: h(21), resolutionDueAt: h(44) }),
  request("w4", { ...water, districtId: "centar", channel: "phone", status: "received", receivedAt: h(700), resolutionDueAt: h(772) }),
  // Received before the period, still open: backlog only.
  request("w5", { ...water, districtId: "centar", channel: "phone", status: "in-progress", receivedAt: h(-48), firstRespondedAt: h(-40), resolutionDueAt: h(24) }),
  // Received and closed before the period: nowhere.
  request("w6", { ...water, districtId: "centar", channel: "phone", status: "closed", receivedAt: h(-100), firstRespondedAt: h(-99), resolvedAt: h(-50), closedAt: h(-40), resolutionDueAt: h(-28) }),
  // Resolved only after `to`: open at `to`, no resolution time, an SLA breach (due inside the period).
  request("w7", { ...water, districtId: "centar", channel: "phone", status: "resolved", receivedAt: h(30), firstRespondedAt: h(31), resolvedAt: h(730), resolutionDueAt: h(54) }),
  // roads: department roads, channel web unless said otherwise
  request("r1", { ...roads, districtId: "pakastica", channel: "web", status: "resolved", receivedAt: h(100), firstRespondedAt: h(103), resolvedAt: h(150), resolutionDueAt: h(172) }),
  request("r2", { ...roads, channel: "web", status: "rejected", rejectionReason: "not the city's", receivedAt: h(200), updatedAt: h(205), resolutionDueAt: h(272) }),
  // Rejected only after `to`: open at `to`.
  request("r3", { ...roads, districtId: "pakastica", channel: "web", status: "rejected", rejectionReason: "duplicate", receivedAt: h(300), firstRespondedAt: h(306), updatedAt: h(730), resolutionDueAt: h(372) }),
  request("r4", { ...roads, channel: "phone", status: "received", receivedAt: h(719), resolutionDueAt: h(791) }),
  // Received after the period: nowhere.
  request("r5", { ...roads, districtId: "pakastica", channel: "web", status: "received", receivedAt: h(725), resolutionDueAt: h(797) }),
];

const contact = (id: string, at: Date, outcome: string, requestId?: string) => ({
  _id: id,
  agent: "agent-1",
  at,
  durationSeconds: 120,
  channel: "phone",
  outcome,
  ...(requestId === undefined ? {} : { requestId }),
});

const CONTACTS = [
  contact("c01", h(0), "resolved", "w1"), // w1's first: resolved
  contact("c02", h(5), "request-created", "w1"),
  contact("c03", h(10), "request-created", "w2"), // w2's first: not resolved
  contact("c04", h(12), "resolved", "w2"),
  contact("c05", h(-48), "request-created", "w5"), // w5's first is before the period: not counted
  contact("c06", h(5), "resolved", "w5"),
  contact("c07", h(100), "resolved", "r1"), // r1's first: resolved
  contact("c08", h(721), "resolved", "r4"), // after `to`: not counted
  contact("c09", h(50), "resolved"), // no request: not counted
  contact("c10", h(200), "forwarded", "r2"), // same moment as c11; c10 sorts first by _id: not resolved
  contact("c11", h(200), "resolved", "r2"),
  contact("c12", h(300), "resolved", "r3"), // r3's first: resolved
];

let store: TestStore;
let server: CityServer;
let url: string;

beforeAll(async () => {
  store = await startTestStore();
  // Stored before the server starts, as in a database that predates recorded first contacts: the
  // start's one-off migration records each request's first contact from these contacts.
  const db = store.mongo.db(store.databaseName);
  await db.collection(SERVICE_REQUESTS_COLLECTION).insertMany(REQUESTS as never[]);
  await db.collection("contacts").insertMany(CONTACTS as never[]);
  server = createCityServer({ config: store.config, mongo: store.mongo, logger: store.logger, port: 0, databaseName: store.databaseName });
  url = await server.start();
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const REPORT = `query Report($from: DateTimeISO!, $to: DateTimeISO!, $groupBy: ReportDimension!) {
  requestReport(from: $from, to: $to, groupBy: $groupBy) {
    key volume firstResponseMedianHours firstResponseP90Hours resolutionMedianHours resolutionP90Hours
    slaCompliance backlog backlogMedianAgeHours firstContactResolution firstContacts
  }
}`;

async function report(groupBy: string, identity: Identity = staff, from = FROM, to = TO) {
  return postGraphQL<{ requestReport: Record<string, unknown>[] }>(
    url,
    store.config.identitySecret,
    { query: REPORT, variables: { from: from.toISOString(), to: to.toISOString(), groupBy } },
    identity,
  );
}

// Hand-worked figures. Nearest rank: the value at position ceil(p * n) in the sorted list (1-based).
const WATER = {
  volume: 5, // w1 w2 w3 w4 w7
  firstResponseMedianHours: 1, // w1 2, w2 4, w3 1, w7 1 → [1, 1, 2, 4]; ceil(0.5·4) = 2nd → 1
  firstResponseP90Hours: 4, // ceil(0.9·4) = 4th → 4
  resolutionMedianHours: 10, // w1 10, w2 30 (w7 resolved after `to`) → [10, 30]; 1st → 10
  resolutionP90Hours: 30, // ceil(1.8) = 2nd → 30
  slaCompliance: 0.25, // decided: w1 met; w2 (40 > 34), w3 (due 44, open), w7 (due 54) breached; w4 undecided → 1/4
  backlog: 4, // w3, w4, w5 (older), w7 (resolved after `to`)
  backlogMedianAgeHours: 690, // ages 720-20=700, 720-700=20, 720+48=768, 720-30=690 → [20, 690, 700, 768]; 2nd → 690
  firstContactResolution: 0.5, // w1 resolved on c01, w2 not on c03; w5's first contact is before the period
  firstContacts: 2,
};

const ROADS = {
  volume: 4, // r1 r2 r3 r4
  firstResponseMedianHours: 3, // r1 3, r3 6 → [3, 6]; 1st → 3
  firstResponseP90Hours: 6,
  resolutionMedianHours: 50, // r1 150-100
  resolutionP90Hours: 50,
  slaCompliance: 1, // r1 met; r2 and r3 rejected (not counted); r4 due after `to` → 1/1
  backlog: 2, // r3 (rejected after `to`), r4
  backlogMedianAgeHours: 1, // r3 720-300=420, r4 720-719=1 → [1, 420]; 1st → 1
  firstContactResolution: 0.6667, // r1 yes (c07), r2 no (c10 before c11 by _id), r3 yes (c12) → 2/3
  firstContacts: 3,
};

describe("requestReport against hand-computed figures", () => {
  it("groups by category", async () => {
    const response = await report("CATEGORY");
    expect(response.errors).toBeUndefined();
    expect(response.data?.requestReport).toEqual([
      { key: "roads", ...ROADS },
      { key: "water", ...WATER },
    ]);
  });

  it("groups by provider (the assignee's id)", async () => {
    const response = await report("PROVIDER");
    expect(response.errors).toBeUndefined();
    expect(response.data?.requestReport).toEqual([
      { key: "jkp-vodovod-krusevac", ...WATER },
      { key: "roads", ...ROADS },
    ]);
  });

  it("groups by district, with requests without one under null", async () => {
    const response = await report("DISTRICT");
    expect(response.errors).toBeUndefined();
    expect(response.data?.requestReport).toEqual([
      {
        key: null, // r2, r4
        volume: 2,
        firstResponseMedianHours: null,
        firstResponseP90Hours: null,
        resolutionMedianHours: null,
        resolutionP90Hours: null,
        slaCompliance: null, // r2 rejected, r4 undecided
        backlog: 1, // r4
        backlogMedianAgeHours: 1,
        firstContactResolution: 0, // r2: c10 forwarded
        firstContacts: 1,
      },
      { key: "centar", ...WATER },
      {
        key: "pakastica", // r1, r3
        volume: 2,
        firstResponseMedianHours: 3,
        firstResponseP90Hours: 6,
        resolutionMedianHours: 50,
        resolutionP90Hours: 50,
        slaCompliance: 1,
        backlog: 1, // r3
        backlogMedianAgeHours: 420,
        firstContactResolution: 1, // r1 and r3
        firstContacts: 2,
      },
    ]);
  });

  it("groups by intake channel", async () => {
    const response = await report("CHANNEL");
    expect(response.errors).toBeUndefined();
    expect(response.data?.requestReport).toEqual([
      {
        key: "phone", // w1 w2 w3 w4 w7 r4 in the period; w5 in the backlog
        volume: 6,
        firstResponseMedianHours: 1, // [1, 1, 2, 4]
        firstResponseP90Hours: 4,
        resolutionMedianHours: 10, // [10, 30]
        resolutionP90Hours: 30,
        slaCompliance: 0.25, // as water; r4 undecided
        backlog: 5, // w3 w4 w5 w7 r4
        backlogMedianAgeHours: 690, // [1, 20, 690, 700, 768]; ceil(2.5) = 3rd → 690
        firstContactResolution: 0.5, // w1 yes, w2 no (r4's contact is after `to`)
        firstContacts: 2,
      },
      {
        key: "web", // r1 r2 r3
        volume: 3,
        firstResponseMedianHours: 3,
        firstResponseP90Hours: 6,
        resolutionMedianHours: 50,
        resolutionP90Hours: 50,
        slaCompliance: 1,
        backlog: 1, // r3
        backlogMedianAgeHours: 420,
        firstContactResolution: 0.6667, // r1 yes, r2 no, r3 yes
        firstContacts: 3,
      },
    ]);
  });

  it("counts a later period's backlog from requests received before it", async () => {
    // Nothing received and no contact made in April; open at its end: w3, w4, w5, r4 and r5 (w7 and r3
    // ended at hour 730, before it).
    const later = new Date("2026-04-30T00:00:00Z"); // 1440 hours after FROM
    const response = await report("CATEGORY", staff, new Date("2026-04-01T00:00:00Z"), later);
    expect(response.errors).toBeUndefined();
    expect(response.data?.requestReport).toEqual([
      { ...emptyFigures(), key: "roads", backlog: 2, backlogMedianAgeHours: 715 }, // r4 1440-719=721, r5 1440-725=715 → [715, 721]
      { ...emptyFigures(), key: "water", backlog: 3, backlogMedianAgeHours: 1420 }, // w3 1420, w4 740, w5 1488 → [740, 1420, 1488]
    ]);
  });

  it("refuses anonymous callers, providers, and a period that ends before it starts", async () => {
    const anonymous = await report("CATEGORY", { subject: "anonymous", roles: [] });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const forbidden = await report("CATEGORY", provider);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const backwards = await report("CATEGORY", staff, TO, FROM);
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "from" });
    const operator = await report("CHANNEL", { subject: "ana", roles: ["operator"] });
    expect(operator.errors).toBeUndefined();
  });
});

function emptyFigures() {
  return {
    volume: 0,
    firstResponseMedianHours: null,
    firstResponseP90Hours: null,
    resolutionMedianHours: null,
    resolutionP90Hours: null,
    slaCompliance: null,
    backlog: 0,
    backlogMedianAgeHours: null,
    firstContactResolution: null,
    firstContacts: 0,
  };
}
