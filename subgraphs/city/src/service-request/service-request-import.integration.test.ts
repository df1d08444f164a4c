import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centreOf, offset, point, type ContactCenterRepositories, openSeededRepositories } from "../test-support/contact-center.js";
import { startTestStore, type TestStore } from "../test-support/test-stack.js";
import type { Actor } from "./service-request.model.js";
import { nextImportStep, REQUEST_AUDIT_COLLECTION, SERVICE_REQUESTS_COLLECTION, type ExternalRequestImport } from "./service-request.repository.js";

let store: TestStore;
let repos: ContactCenterRepositories;
const IMPORTER: Actor = { subject: "system:sync:other-city-311", roles: [] };
const HOUR = 3_600_000;

beforeAll(async () => {
  store = await startTestStore();
  repos = await openSeededRepositories(store.mongo.db(store.databaseName));
});

afterAll(async () => {
  await store?.close();
});

let sequence = 0;
function record(extra: Partial<ExternalRequestImport> = {}): ExternalRequestImport {
  sequence += 1;
  return {
    externalId: `EXT-${sequence}`,
    contentHash: `hash-${sequence}-a`,
    categoryCode: "administrative-information",
    description: "Imported from the regional Open311 system",
    address: "Trg kosovskih junaka 1",
    status: "open",
    receivedAt: new Date(Date.UTC(2026, 2, 1, 8) + sequence * HOUR),
    ...extra,
  };
}

async function writes(): Promise<{ requests: number; audit: number }> {
  const db = store.mongo.db(store.databaseName);
  return {
    requests: await db.collection(SERVICE_REQUESTS_COLLECTION).countDocuments({}),
    audit: await db.collection(REQUEST_AUDIT_COLLECTION).countDocuments({}),
  };
}

describe("importExternal", () => {
  it("takes a new request in as received on channel open311, with an audit entry, and a re-import of the same content writes nothing", async () => {
    const incoming = record({ location: point(offset(centreOf("centar"), 30)) });
    const now = new Date(Date.UTC(2026, 2, 2));
    expect(await repos.requests.importExternal("sync:other", [incoming], IMPORTER, now)).toEqual({ inserted: 1, updated: 0, unchanged: 0, refused: [] });
    const [stored] = await repos.requests.collection.find({ "external.id": incoming.externalId }).toArray();
    expect(stored).toMatchObject({ channel: "open311", status: "received", districtId: "centar", receivedAt: incoming.receivedAt, external: { source: "sync:other", id: incoming.externalId, contentHash: incoming.contentHash } });
    const trail = await repos.requests.auditTrail(stored!._id);
    expect(trail.map((entry) => entry.kind)).toEqual(["received"]);
    expect(trail[0]!.comment).toContain(`imported from sync:other (${incoming.externalId})`);

    const before = await writes();
    expect(await repos.requests.importExternal("sync:other", [incoming], IMPORTER, now)).toEqual({ inserted: 0, updated: 0, unchanged: 1, refused: [] });
    expect(await writes()).toEqual(before);
  });

  it("walks the lifecycle to the reported status, one status entry per step, and reopens a resolved request reported open", async () => {
    const incoming = record({ status: "closed", statusNote: "Replaced the lamp", changedAt: new Date(Date.UTC(2026, 2, 3, 12)) });
    await repos.requests.importExternal("sync:other", [incoming], IMPORTER, new Date(Date.UTC(2026, 2, 4)));
    const [stored] = await repos.requests.collection.find({ "external.id": incoming.externalId }).toArray();
    expect(stored).toMatchObject({ status: "closed", resolvedAt: incoming.changedAt, closedAt: incoming.changedAt });
    const trail = await repos.requests.auditTrail(stored!._id);
    expect(trail.map((entry) => `${entry.kind}:${entry.to}`)).toEqual(["received:received", "status:assigned", "status:in-progress", "status:resolved", "status:closed"]);
    expect(trail.at(-1)!.comment).toBe(`imported from sync:other (${incoming.externalId}): Replaced the lamp`);

    // The same request elsewhere went back to open: closed here cannot be reopened, and says so on `status`.
    const reopened = { ...incoming, status: "open" as const, contentHash: "changed" };
    const result = await repos.requests.importExternal("sync:other", [reopened], IMPORTER, new Date(Date.UTC(2026, 2, 5)));
    expect(result.refused).toEqual([{ externalId: incoming.externalId, field: "status", reason: "status: a closed request cannot be reopened" }]);

    const resolvedOnly = record({ status: "resolved" });
    await repos.requests.importExternal("sync:other", [resolvedOnly], IMPORTER, new Date(Date.UTC(2026, 2, 4)));
    await repos.requests.importExternal("sync:other", [{ ...resolvedOnly, status: "open", contentHash: "reopened" }], IMPORTER, new Date(Date.UTC(2026, 2, 5)));
    const [again] = await repos.requests.collection.find({ "external.id": resolvedOnly.externalId }).toArray();
    expect(again!.status).toBe("in-progress");
  });

  it("records changed fields of a known request in one import entry and never duplicates it", async () => {
    const incoming = record();
    await repos.requests.importExternal("sync:other", [incoming], IMPORTER, new Date(Date.UTC(2026, 2, 4)));
    const changed = { ...incoming, description: "Imported, and its text changed there", address: "Vidovdanska 10", contentHash: "second" };
    expect(await repos.requests.importExternal("sync:other", [changed], IMPORTER, new Date(Date.UTC(2026, 2, 5)))).toMatchObject({ inserted: 0, updated: 1 });
    const stored = await repos.requests.collection.find({ "external.id": incoming.externalId }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ description: changed.description, address: changed.address, external: { contentHash: "second" } });
    const trail = await repos.requests.auditTrail(stored[0]!._id);
    expect(trail.map((entry) => entry.kind)).toEqual(["received", "import"]);
    expect(trail[1]!.comment).toBe(`updated from sync:other (${incoming.externalId}): description, address`);
    // Another source may use the same id: a different request.
    await repos.requests.importExternal("sync:elsewhere", [incoming], IMPORTER, new Date(Date.UTC(2026, 2, 5)));
    expect(await repos.requests.collection.countDocuments({ "external.id": incoming.externalId })).toBe(2);
  });

  it("refuses a record on its field and imports the others", async () => {
    const good = record();
    const unknownCategory = record({ categoryCode: "no-such-category" });
    const outside = record({ location: point([19.8, 45.25]) });
    const before = await writes();
    const result = await repos.requests.importExternal("sync:other", [unknownCategory, good, outside], IMPORTER, new Date(Date.UTC(2026, 2, 4)));
    expect(result.inserted).toBe(1);
    expect(result.refused.map(({ externalId, field }) => [externalId, field])).toEqual([
      [unknownCategory.externalId, "categoryCode"],
      [outside.externalId, "location"],
    ]);
    expect(await writes()).toEqual({ requests: before.requests + 1, audit: before.audit + 1 });
  });

  it("finishes an import that died before its status walk when the same content comes again", async () => {
    const incoming = record({ status: "resolved" });
    await repos.requests.importExternal("sync:other", [incoming], IMPORTER, new Date(Date.UTC(2026, 2, 4)));
    // As if the worker died after inserting: walk not done, no hash.
    const [stored] = await repos.requests.collection.find({ "external.id": incoming.externalId }).toArray();
    await repos.requests.collection.updateOne({ _id: stored!._id }, { $set: { "external.contentHash": null } });
    expect(await repos.requests.importExternal("sync:other", [incoming], IMPORTER, new Date(Date.UTC(2026, 2, 4)))).toMatchObject({ updated: 1 });
    const trail = await repos.requests.auditTrail(stored!._id);
    expect(trail.filter((entry) => entry.kind === "status")).toHaveLength(3);
  });
});

describe("nextImportStep", () => {
  it("leads every status to the reported one along allowed transitions", () => {
    expect(nextImportStep("received", "open")).toBeNull();
    expect(nextImportStep("waiting-for-citizen", "open")).toBeNull();
    expect(nextImportStep("resolved", "open")).toBe("in-progress");
    expect(nextImportStep("waiting-for-citizen", "resolved")).toBe("resolved");
    expect(nextImportStep("resolved", "resolved")).toBeNull();
    expect(nextImportStep("resolved", "closed")).toBe("closed");
    expect(nextImportStep("rejected", "closed")).toBeNull();
    expect(() => nextImportStep("rejected", "open")).toThrow(/cannot be reopened/);
  });
});
