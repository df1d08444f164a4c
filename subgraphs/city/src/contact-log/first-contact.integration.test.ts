/**
 * Each request's first contact, recorded on the request as contacts are logged: earliest `at` (then
 * contact id) wins whatever order contacts arrive in, concurrently or back-dated; an interrupted
 * recording is completed at the next start; the one-off migration derives it from older contacts.
 * Against the embedded store, through the repositories the subgraph uses.
 */
import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCityRepositories, type CityRepositories } from "../repositories.js";
import { ReportDimension } from "../reports/request-report.model.js";
import { SERVICE_REQUESTS_COLLECTION } from "../reports/request-report.repository.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import { CONTACTS_COLLECTION, FIRST_CONTACT_MIGRATION, MIGRATIONS_COLLECTION } from "./contact.repository.js";
import { ContactChannel, ContactOutcome } from "./contact.model.js";

const NOW = new Date("2026-11-20T10:00:00Z");
/** NOW minus n hours. */
const ago = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);
const agent = { subject: "mira" };

let store: TestStore;
let repositories: CityRepositories;

beforeAll(async () => {
  store = await startTestStore();
  repositories = openCityRepositories(store.mongo, { databaseName: store.databaseName, now: () => NOW });
  await repositories.ensureIndexes();
});

afterAll(async () => {
  await store?.close();
});

const db = () => store.mongo.db(store.databaseName);

/** A request as the reports read it: received `receivedHoursAgo`, closed long ago unless said otherwise. */
async function insertRequest(id: string, receivedHoursAgo = 24 * 200, fields: Record<string, unknown> = {}): Promise<void> {
  const receivedAt = ago(receivedHoursAgo);
  await db()
    .collection(SERVICE_REQUESTS_COLLECTION)
    .insertOne({
      _id: id,
      trackingCode: `KS-${id}`,
      categoryCode: "water",
      description: "fixture",
      attachments: [],
      channel: "phone",
      status: "closed",
      assignee: { kind: "provider", id: "jkp-vodovod-krusevac" },
      receivedAt,
      firstResponseDueAt: new Date(receivedAt.getTime() + 4 * 3_600_000),
      resolutionDueAt: new Date(receivedAt.getTime() + 48 * 3_600_000),
      resolvedAt: new Date(receivedAt.getTime() + 3_600_000),
      closedAt: new Date(receivedAt.getTime() + 2 * 3_600_000),
      escalationLevel: 0,
      overdue: false,
      submittedBy: { subject: "fixture", roles: [] },
      updatedAt: receivedAt,
      version: 1,
      ...fields,
    } as never);
}

async function firstContactOf(id: string): Promise<unknown> {
  return (await repositories.serviceRequests.findById(id))?.firstContact;
}

const logAbout = (requestId: string, at: Date, outcome: ContactOutcome) =>
  repositories.contacts.log({ requestId, at, outcome, channel: ContactChannel.PHONE, durationSeconds: 60 }, agent);

describe("first contact recorded on the request", () => {
  it("keeps the earliest contact when contacts are logged out of order", async () => {
    await insertRequest("out-of-order");
    expect(await firstContactOf("out-of-order")).toBeUndefined();
    const second = await logAbout("out-of-order", ago(10), ContactOutcome.FORWARDED);
    expect(await firstContactOf("out-of-order")).toEqual({ at: ago(10), contactId: second.id, outcome: "forwarded" });
    // Back-dated: logged later, happened earlier, so it becomes the first.
    const first = await logAbout("out-of-order", ago(20), ContactOutcome.RESOLVED);
    expect(await firstContactOf("out-of-order")).toEqual({ at: ago(20), contactId: first.id, outcome: "resolved" });
    await logAbout("out-of-order", ago(5), ContactOutcome.NO_ANSWER);
    expect(await firstContactOf("out-of-order")).toEqual({ at: ago(20), contactId: first.id, outcome: "resolved" });
    const stored = await db().collection(CONTACTS_COLLECTION).countDocuments({ requestId: "out-of-order", firstContactPending: { $exists: true } });
    expect(stored).toBe(0);
  });

  it("keeps the earliest of many contacts logged at once, in any order", async () => {
    await insertRequest("concurrent");
    const hours = [17, 3, 29, 11, 29, 5, 23, 2, 19, 29, 7, 13, 1, 29, 8, 21, 4, 16, 9, 12];
    const outcomes = Object.values(ContactOutcome);
    const logged = await Promise.all(hours.map((h, n) => logAbout("concurrent", ago(h), outcomes[n % outcomes.length]!)));
    // Four share the earliest moment (29 hours ago): the smallest contact id among them wins.
    const earliest = logged
      .filter((contact) => contact.at.getTime() === ago(29).getTime())
      .sort((a, b) => (a.id < b.id ? -1 : 1))[0]!;
    expect(await firstContactOf("concurrent")).toEqual({ at: ago(29), contactId: earliest.id, outcome: earliest.outcome });
  });

  it("breaks a tie on `at` by contact id, whichever is recorded first, and ignores a repeat", async () => {
    await insertRequest("tie");
    const at = ago(30);
    await repositories.serviceRequests.recordFirstContacts([{ requestId: "tie", contact: { at, contactId: "c-b", outcome: "forwarded" } }]);
    await repositories.serviceRequests.recordFirstContacts([
      { requestId: "tie", contact: { at, contactId: "c-a", outcome: "resolved" } },
      { requestId: "tie", contact: { at, contactId: "c-c", outcome: "no-answer" } },
      { requestId: "tie", contact: { at, contactId: "c-b", outcome: "forwarded" } },
    ]);
    expect(await firstContactOf("tie")).toEqual({ at, contactId: "c-a", outcome: "resolved" });
    // Recording neither versions the request nor touches its other fields.
    const request = await repositories.serviceRequests.findById("tie");
    expect(request).toMatchObject({ version: 1, status: "closed" });
  });

  it("records nothing and writes no contact for an unknown request", async () => {
    await expect(logAbout("no-such-request", ago(1), ContactOutcome.RESOLVED)).rejects.toMatchObject({ name: "UserInputError", field: "requestId" });
    expect(await db().collection(CONTACTS_COLLECTION).countDocuments({ requestId: "no-such-request" })).toBe(0);
    expect(await db().collection(SERVICE_REQUESTS_COLLECTION).countDocuments({ _id: "no-such-request" as never })).toBe(0);
  });

  it("completes a recording interrupted between the contact and the request at the next start", async () => {
    await insertRequest("interrupted");
    await logAbout("interrupted", ago(3), ContactOutcome.FORWARDED);
    // As a process leaves it when it stops after inserting the contact: flagged, not yet recorded.
    await db()
      .collection(CONTACTS_COLLECTION)
      .insertOne({ _id: "interrupted-1", agent: "mira", at: ago(6), durationSeconds: 60, channel: "phone", outcome: "resolved", requestId: "interrupted", firstContactPending: true } as never);
    expect(await firstContactOf("interrupted")).toMatchObject({ outcome: "forwarded" });
    await repositories.ensureIndexes();
    expect(await firstContactOf("interrupted")).toEqual({ at: ago(6), contactId: "interrupted-1", outcome: "resolved" });
    expect(await db().collection(CONTACTS_COLLECTION).countDocuments({ firstContactPending: { $exists: true } })).toBe(0);
  });

  it("counts a request in the period of its first contact, even when it was received long before", async () => {
    await insertRequest("old-request", 24 * 300, { categoryCode: "first-contact-old" });
    await logAbout("old-request", ago(24 * 2), ContactOutcome.RESOLVED);
    const rows = await repositories.reports.requestReport({ from: ago(24 * 7), to: NOW }, ReportDimension.CATEGORY);
    expect(rows.find((row) => row.key === "first-contact-old")).toMatchObject({ volume: 0, backlog: 0, firstContacts: 1, firstContactResolution: 1 });
    // A period before the contact: the request has no first contact there.
    const earlier = await repositories.reports.requestReport({ from: ago(24 * 14), to: ago(24 * 7) }, ReportDimension.CATEGORY);
    expect(earlier.find((row) => row.key === "first-contact-old")).toBeUndefined();
  });
});

describe("the first-contact migration", () => {
  it("records each request's earliest contact from existing contacts once, and keeps an earlier recorded one", async () => {
    await insertRequest("legacy-a");
    await insertRequest("legacy-b");
    await insertRequest("legacy-c");
    const contact = (id: string, requestId: string | undefined, at: Date | undefined, outcome: string) => ({
      _id: id,
      agent: "mira",
      ...(at === undefined ? {} : { at }),
      durationSeconds: 60,
      channel: "phone",
      outcome,
      ...(requestId === undefined ? {} : { requestId }),
    });
    await db()
      .collection(CONTACTS_COLLECTION)
      .insertMany([
        contact("legacy-1", "legacy-a", ago(50), "forwarded"),
        contact("legacy-2", "legacy-a", ago(60), "resolved"),
        contact("legacy-3", "legacy-a", ago(60), "no-answer"), // same moment as legacy-2, larger id
        contact("legacy-4", "legacy-b", ago(40), "request-created"),
        contact("legacy-5", "legacy-b", undefined, "resolved"), // no time: never a first contact
        contact("legacy-6", undefined, ago(70), "resolved"), // no request
        contact("legacy-7", "gone-request", ago(70), "resolved"), // its request does not exist
        contact("legacy-8", "legacy-c", ago(45), "forwarded"),
      ] as never[]);
    // legacy-c already has an earlier first contact recorded (logged after the migration began).
    await repositories.serviceRequests.recordFirstContacts([
      { requestId: "legacy-c", contact: { at: ago(80), contactId: "live-1", outcome: "resolved" } },
    ]);
    await db().collection(MIGRATIONS_COLLECTION).deleteOne({ _id: FIRST_CONTACT_MIGRATION as never });

    expect(await repositories.contacts.backfillFirstContacts()).toBe(true);
    expect(await firstContactOf("legacy-a")).toEqual({ at: ago(60), contactId: "legacy-2", outcome: "resolved" });
    expect(await firstContactOf("legacy-b")).toEqual({ at: ago(40), contactId: "legacy-4", outcome: "request-created" });
    expect(await firstContactOf("legacy-c")).toEqual({ at: ago(80), contactId: "live-1", outcome: "resolved" });
    expect(await db().collection(SERVICE_REQUESTS_COLLECTION).countDocuments({ _id: "gone-request" as never })).toBe(0);
    expect(await db().collection(MIGRATIONS_COLLECTION).findOne({ _id: FIRST_CONTACT_MIGRATION as never })).toMatchObject({ completedAt: NOW });
    // Done once: the next start skips it.
    expect(await repositories.contacts.backfillFirstContacts()).toBe(false);
  });
});
