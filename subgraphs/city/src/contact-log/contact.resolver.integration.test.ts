/** The call archive over HTTP: logging with validation, reading by period with cursors, access by role. */
import "reflect-metadata";
import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_REQUESTS_COLLECTION } from "../reports/request-report.repository.js";
import { createCityServer, type CityServer } from "../server.js";
import { postGraphQL, startTestStore, type TestStore } from "../test-support/test-stack.js";

const NOW = new Date("2026-11-20T10:00:00Z");
const staff: Identity = { subject: "mira", roles: ["city-staff"] };
const operator: Identity = { subject: "ana", roles: ["operator"] };
const provider: Identity = { subject: "vodovod-api", roles: ["provider"], providerId: "jkp-vodovod-krusevac" };

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
    now: () => NOW,
  });
  url = await server.start();
  // A request as the service-request feature stores it; the contact log only checks that it exists.
  await store.mongo.db(store.databaseName).collection(SERVICE_REQUESTS_COLLECTION).insertOne({ _id: "request-1" } as never);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const LOG = `mutation Log($input: LogContactInput!) {
  logContact(input: $input) { id agent at durationSeconds channel outcome requestId note }
}`;

const log = (input: Record<string, unknown>, identity: Identity = staff) =>
  postGraphQL<{ logContact: Record<string, unknown> }>(url, store.config.identitySecret, { query: LOG, variables: { input } }, identity);

describe("logContact", () => {
  it("logs a call about a request, with the caller as agent and now as the time by default", async () => {
    const response = await log({ durationSeconds: 185, channel: "PHONE", outcome: "RESOLVED", requestId: "request-1", note: "  water back on  " });
    expect(response.errors).toBeUndefined();
    expect(response.data?.logContact).toMatchObject({
      agent: "mira",
      at: NOW.toISOString(),
      durationSeconds: 185,
      channel: "PHONE",
      outcome: "RESOLVED",
      requestId: "request-1",
      note: "water back on",
    });
    const stored = await store.mongo.db(store.databaseName).collection("contacts").findOne({ _id: response.data?.logContact.id as never });
    expect(stored).toMatchObject({ agent: "mira", channel: "phone", outcome: "resolved", requestId: "request-1" });
  });

  it("names the field of every bad input and writes nothing", async () => {
    const contacts = store.mongo.db(store.databaseName).collection("contacts");
    const before = await contacts.countDocuments();
    const cases: [Record<string, unknown>, string][] = [
      [{ durationSeconds: -1, channel: "PHONE", outcome: "RESOLVED" }, "durationSeconds"],
      [{ durationSeconds: 90_000, channel: "PHONE", outcome: "RESOLVED" }, "durationSeconds"],
      [{ durationSeconds: 10, channel: "PHONE", outcome: "RESOLVED", requestId: "no-such-request" }, "requestId"],
      [{ durationSeconds: 10, channel: "PHONE", outcome: "RESOLVED", agent: "   " }, "agent"],
      [{ durationSeconds: 10, channel: "PHONE", outcome: "RESOLVED", at: "2026-11-21T10:00:00Z" }, "at"],
      [{ durationSeconds: 10, channel: "PHONE", outcome: "RESOLVED", note: "x".repeat(2001) }, "note"],
    ];
    for (const [input, field] of cases) {
      const response = await log(input);
      expect(response.errors?.[0]?.extensions, field).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    // An outcome outside the enum is refused by GraphQL itself, before the resolver runs.
    const badEnum = await log({ durationSeconds: 10, channel: "PHONE", outcome: "MAYBE" });
    expect(badEnum.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await contacts.countDocuments()).toBe(before);
  });

  it("is for staff and operators: anonymous callers and providers are refused", async () => {
    const input = { durationSeconds: 10, channel: "EMAIL", outcome: "INFORMATION_GIVEN" };
    expect((await log(input, { subject: "anonymous", roles: [] })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await log(input, provider)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await log(input, operator)).errors).toBeUndefined();
  });
});

describe("contacts", () => {
  const PAGE = `query Page($from: DateTimeISO, $to: DateTimeISO, $first: Int, $after: String) {
    contacts(from: $from, to: $to, first: $first, after: $after) { nodes { id at } pageInfo { hasNextPage endCursor } }
  }`;
  type Page = { contacts: { nodes: { id: string; at: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
  const page = (variables: Record<string, unknown>, identity: Identity = staff) =>
    postGraphQL<Page>(url, store.config.identitySecret, { query: PAGE, variables }, identity);

  it("pages through a period newest first, and refuses a foreign cursor and providers", async () => {
    for (const hour of [1, 2, 3, 4, 5]) {
      const response = await log({ durationSeconds: 60, channel: "WALK_IN", outcome: "FORWARDED", at: `2026-11-19T0${hour}:00:00Z` });
      expect(response.errors).toBeUndefined();
    }
    const period = { from: "2026-11-19T02:00:00Z", to: "2026-11-19T05:00:00Z" }; // hours 2, 3 and 4
    const first = await page({ ...period, first: 2 });
    expect(first.errors).toBeUndefined();
    expect(first.data?.contacts.nodes.map((node) => node.at)).toEqual(["2026-11-19T04:00:00.000Z", "2026-11-19T03:00:00.000Z"]);
    expect(first.data?.contacts.pageInfo.hasNextPage).toBe(true);
    const second = await page({ ...period, first: 2, after: first.data?.contacts.pageInfo.endCursor });
    expect(second.data?.contacts.nodes.map((node) => node.at)).toEqual(["2026-11-19T02:00:00.000Z"]);
    expect(second.data?.contacts.pageInfo.hasNextPage).toBe(false);

    expect((await page({ after: "not-a-cursor" })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect((await page({ first: 0 })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    expect((await page({}, provider)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
