/**
 * Operational reports: the rules of each kind, validity windows on a controlled clock, and the
 * district figures, in the repository and over HTTP with real business API keys.
 */
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { findIdentityByApiKey, UserInputError, type Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Business } from "../business/business.model.js";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { seedBusinessesIfEmpty } from "../seed/seed.js";
import { createBusinessServer, type BusinessServer } from "../server.js";
import { postGraphQL, startTestStore, type GraphQLResponse, type TestStore } from "../test-support/test-stack.js";
import { BusinessOperatingStatus, BusinessReportKind, IncidentSeverity } from "./report.model.js";
import type { ReportInput } from "./report.repository.js";

const HOUR = 3_600_000;
let clock = new Date("2026-11-25T08:00:00Z");
let store: TestStore;
let server: BusinessServer;
let url: string;

const demo = demoBusinesses();
const centar = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!;
const [first, second, third] = demo.filter((business) => business.districtId === "centar") as unknown as [Business, Business, Business];
const inCentar = demo.filter((business) => business.districtId === "centar").length;

beforeAll(async () => {
  store = await startTestStore();
  server = createBusinessServer({
    config: store.config,
    mongo: store.mongo,
    logger: store.logger,
    port: 0,
    databaseName: store.databaseName,
    platformDatabaseName: store.platformDatabaseName,
    now: () => clock,
  });
  url = await server.start();
  await seedBusinessesIfEmpty(server.repositories.businesses);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const reports = () => server.repositories.reports;
const until = (hours: number) => new Date(clock.getTime() + hours * HOUR);
const status = (value: BusinessOperatingStatus, hours = 2): ReportInput => ({ kind: BusinessReportKind.STATUS, status: value, validUntil: until(hours) });

async function fieldOf(input: ReportInput, business: Business = first): Promise<string> {
  const error = await reports().file(business, input, "test").then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, JSON.stringify(input)).toBeInstanceOf(UserInputError);
  return (error as UserInputError).field;
}

describe("operational reports in the repository", () => {
  it("checks each kind's fields, the window and the location rule, naming the field", async () => {
    const [longitude, latitude] = first.location.coordinates;
    expect(await fieldOf({ kind: BusinessReportKind.OCCUPANCY, capacity: 40, occupancy: 41, validUntil: until(1) })).toBe("occupancy");
    expect(await fieldOf({ kind: BusinessReportKind.OCCUPANCY, capacity: 0, occupancy: 0, validUntil: until(1) })).toBe("capacity");
    expect(await fieldOf({ kind: BusinessReportKind.OCCUPANCY, capacity: 10, validUntil: until(1) })).toBe("occupancy");
    expect(await fieldOf({ ...status(BusinessOperatingStatus.OPEN), capacity: 10 })).toBe("capacity");
    expect(await fieldOf({ kind: BusinessReportKind.STATUS, validUntil: until(1) })).toBe("status");
    expect(await fieldOf({ ...status(BusinessOperatingStatus.OPEN), validUntil: clock })).toBe("validUntil");
    expect(await fieldOf({ ...status(BusinessOperatingStatus.OPEN), validUntil: until(24 * 40) })).toBe("validUntil");
    expect(await fieldOf({ ...status(BusinessOperatingStatus.OPEN), validFrom: until(-5), validUntil: until(-1) })).toBe("validUntil");
    expect(await fieldOf({ kind: BusinessReportKind.TEMPORARY_HOURS, temporaryHours: "Mon-Sun 14:00-10:00", validUntil: until(1) })).toBe("temporaryHours");
    expect(await fieldOf({ kind: BusinessReportKind.CRITICAL_GOODS, goods: [], validUntil: until(1) })).toBe("goods");
    const incident = { kind: "fire", severity: IncidentSeverity.HIGH, description: "Kuhinja" };
    // About 1.6 km north: outside the business's own area.
    expect(await fieldOf({ kind: BusinessReportKind.INCIDENT, incident, location: { longitude, latitude: latitude + 0.015 }, validUntil: until(1) })).toBe("location");
    expect(await fieldOf({ ...status(BusinessOperatingStatus.OPEN), location: { longitude, latitude } })).toBe("location");
    expect(await fieldOf({ kind: BusinessReportKind.INCIDENT, incident: { ...incident, description: " " }, validUntil: until(1) })).toBe("incident.description");
    const event = { title: "Koncert", startsAt: until(2), endsAt: until(1), expectedAttendance: 100 };
    expect(await fieldOf({ kind: BusinessReportKind.EVENT, event, validUntil: until(3) })).toBe("event.endsAt");
    expect(await reports().findForBusiness(first.id, { includeExpired: true })).toEqual([]);
  });

  it("counts current reports only: expired ones stop counting but stay in the history", async () => {
    const occupancy = await reports().file(first, { kind: BusinessReportKind.OCCUPANCY, capacity: 120, occupancy: 120, validUntil: until(1) }, "test");
    expect(occupancy).toMatchObject({ capacity: 120, occupancy: 120, current: true, location: first.location });
    await reports().file(first, status(BusinessOperatingStatus.OPEN, 1), "test");
    await reports().file(second, status(BusinessOperatingStatus.CLOSED, 3), "test");
    await reports().file(third, status(BusinessOperatingStatus.OPEN, 3), "test");
    // A later report of the same business replaces its earlier status.
    clock = new Date(clock.getTime() + 10 * 60_000);
    await reports().file(third, status(BusinessOperatingStatus.LIMITED, 3), "test");
    expect(await reports().countStatusesWithin(centar.boundary, inCentar)).toEqual({ open: 1, closed: 1, limited: 1, unreported: inCentar - 3 });

    clock = new Date(clock.getTime() + HOUR);
    expect(await reports().countStatusesWithin(centar.boundary, inCentar)).toEqual({ open: 0, closed: 1, limited: 1, unreported: inCentar - 2 });
    expect(await reports().findForBusiness(first.id)).toEqual([]);
    const history = await reports().findForBusiness(first.id, { includeExpired: true });
    // Both were filed at the same moment, so their order between them is not defined.
    expect(history.map((report) => [report.kind, report.current]).sort()).toEqual([
      [BusinessReportKind.OCCUPANCY, false],
      [BusinessReportKind.STATUS, false],
    ]);
  });

  it("finds current incidents and events inside a district", async () => {
    const [longitude, latitude] = second.location.coordinates;
    await reports().file(
      second,
      {
        kind: BusinessReportKind.INCIDENT,
        incident: { kind: "poplava", severity: IncidentSeverity.MEDIUM, description: "Voda u podrumu" },
        location: { longitude: longitude + 0.001, latitude },
        validUntil: until(5),
      },
      "test",
    );
    await reports().file(second, { kind: BusinessReportKind.EVENT, event: { title: "Sajam", startsAt: until(1), endsAt: until(4), expectedAttendance: 500 }, validUntil: until(4) }, "test");
    const incidents = await reports().findCurrentWithin(centar.boundary, BusinessReportKind.INCIDENT);
    expect(incidents.map((report) => report.incident?.kind)).toEqual(["poplava"]);
    expect((await reports().findCurrentWithin(centar.boundary, BusinessReportKind.EVENT)).map((report) => report.event?.title)).toEqual(["Sajam"]);
    const elsewhere = KRUSEVAC_DISTRICTS.find((district) => district.id !== "centar")!;
    expect(await reports().findCurrentWithin(elsewhere.boundary, BusinessReportKind.INCIDENT)).toEqual([]);
  });
});

describe("operational reports over HTTP", () => {
  const graphql = <TData>(identity: Identity | null, query: string, variables?: Record<string, unknown>) =>
    postGraphQL<TData>(url, store.config.identitySecret, { query, ...(variables ? { variables } : {}) }, identity ?? undefined);
  const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code ?? "OK";
  const FILE = `mutation F($businessId: ID!, $input: BusinessReportInput!) { fileBusinessReport(businessId: $businessId, input: $input) { id kind occupancy capacity current } }`;
  const STAFF: Identity = { subject: "staff-1", roles: ["city-staff"] };
  const OPERATOR: Identity = { subject: "operator-1", roles: ["operator"] };

  it("lets a business file and read only its own reports, with its real API key", async () => {
    const platform = store.mongo.db(store.platformDatabaseName);
    const own = (await findIdentityByApiKey(platform, (await server.repositories.apiKeys.issue(first.id)).key))!;
    const other = (await findIdentityByApiKey(platform, (await server.repositories.apiKeys.issue(second.id)).key))!;
    const input = { kind: "OCCUPANCY", capacity: 50, occupancy: 10, validUntil: until(2).toISOString() };

    const filed = await graphql<{ fileBusinessReport: { occupancy: number; current: boolean } }>(own, FILE, { businessId: first.id, input });
    expect(filed.errors).toBeUndefined();
    expect(filed.data?.fileBusinessReport).toMatchObject({ occupancy: 10, capacity: 50, current: true });

    const matrix = {
      anonymous: codeOf(await graphql(null, FILE, { businessId: first.id, input })),
      operator: codeOf(await graphql(OPERATOR, FILE, { businessId: first.id, input })),
      provider: codeOf(await graphql({ subject: "p", roles: ["provider"], providerId: "jkp-vodovod" }, FILE, { businessId: first.id, input })),
      admin: codeOf(await graphql({ subject: "a", roles: ["admin"] }, FILE, { businessId: first.id, input })),
      "city-staff": codeOf(await graphql(STAFF, FILE, { businessId: first.id, input })),
      "own business": codeOf(await graphql(own, FILE, { businessId: first.id, input })),
      "other business": codeOf(await graphql(other, FILE, { businessId: first.id, input })),
    };
    expect(matrix).toEqual({ anonymous: "UNAUTHENTICATED", operator: "FORBIDDEN", provider: "FORBIDDEN", admin: "OK", "city-staff": "OK", "own business": "OK", "other business": "FORBIDDEN" });

    const over = await graphql(own, FILE, { businessId: first.id, input: { ...input, occupancy: 51 } });
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "occupancy" });

    const READ = `query R($id: ID!) { business(id: $id) { id reports { kind occupancy } } }`;
    expect((await graphql<{ business: { reports: unknown[] } }>(own, READ, { id: first.id })).data?.business.reports).toHaveLength(4);
    expect(codeOf(await graphql(other, READ, { id: first.id }))).toBe("FORBIDDEN");
    expect(codeOf(await graphql(OPERATOR, READ, { id: first.id }))).toBe("OK");
    expect(codeOf(await graphql(null, READ, { id: first.id }))).toBe("UNAUTHENTICATED");
  });

  it("adds status counts and current incidents and events to District, for the control room", async () => {
    const QUERY = `query D($representations: [_Any!]!) { _entities(representations: $representations) { ... on District {
      id businessStatusCounts { open closed limited unreported } currentBusinessIncidents { incident { kind severity } } currentBusinessEvents { event { title expectedAttendance } }
    } } }`;
    const representations = [{ __typename: "District", id: "centar", boundary: centar.boundary }];
    const answer = await graphql<{ _entities: unknown[] }>(OPERATOR, QUERY, { representations });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities[0]).toEqual({
      id: "centar",
      businessStatusCounts: { open: 0, closed: 1, limited: 1, unreported: inCentar - 2 },
      currentBusinessIncidents: [{ incident: { kind: "poplava", severity: "MEDIUM" } }],
      currentBusinessEvents: [{ event: { title: "Sajam", expectedAttendance: 500 } }],
    });
    expect(codeOf(await graphql(null, QUERY, { representations }))).toBe("UNAUTHENTICATED");
  });
});
