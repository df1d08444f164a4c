import type { Identity } from "@situation/platform";
import { ANONYMOUS } from "@situation/platform";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCityServer, type CityServer } from "../server.js";
import { postGraphQL, startTestStore, type GraphQLResponse, type TestStore } from "../test-support/test-stack.js";
import type { SyncJobData, SyncScheduler } from "./sync-scheduler.js";
import type { SyncSourceDocument } from "./sync-source.model.js";

const ADMIN: Identity = { subject: "admin-jelena", roles: ["admin"] };
const OPERATOR: Identity = { subject: "operator-ana", roles: ["operator"] };
const STAFF: Identity = { subject: "staff-marko", roles: ["city-staff"] };

const START = new Date("2026-05-04T08:00:00.000Z");
let clock = START;

const applied: SyncSourceDocument[] = [];
const enqueued: SyncJobData[] = [];
const recordingScheduler: SyncScheduler = {
  async apply(source) {
    applied.push(source);
  },
  async enqueue(data) {
    enqueued.push(data);
    return `job-${enqueued.length}`;
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
    syncScheduler: recordingScheduler,
  });
  url = await server.start();
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

beforeEach(async () => {
  clock = START;
  applied.length = 0;
  enqueued.length = 0;
  await server.repositories.syncSources.collection.deleteMany({});
  await server.repositories.syncRuns.collection.deleteMany({});
  await server.repositories.syncQuarantine.collection.deleteMany({});
});

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, identity: Identity = ADMIN): Promise<GraphQLResponse<T>> =>
  postGraphQL<T>(url, store.config.identitySecret, { query, variables }, identity);

const SOURCE_FIELDS = "id name kind url schedule { pattern everyMs timezone } options target maxAgeMs paused freshness { lastSuccessAt ageMs stale lastRunStatus lastError }";
const CREATE = `mutation Create($input: CreateSyncSourceInput!) { createSyncSource(input: $input) { ${SOURCE_FIELDS} } }`;

const validInput = (overrides: Record<string, unknown> = {}) => ({
  id: "vodovod-outages",
  name: "Водовод: прекиди",
  kind: "OUTAGE_CSV",
  url: "https://vodovod.example/outages.csv",
  schedule: { pattern: "*/15 * * * *", timezone: "Europe/Belgrade" },
  target: "OUTAGES",
  maxAgeMs: 3_600_000,
  ...overrides,
});

const errorOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions;

describe("sync sources through GraphQL", () => {
  it("lets an admin create a source, validated and with the connector's defaults, and schedules it", async () => {
    const answer = await gql<{ createSyncSource: Record<string, unknown> }>(CREATE, { input: validInput({ options: { fullSnapshot: false } }) });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.createSyncSource).toEqual({
      id: "vodovod-outages",
      name: "Водовод: прекиди",
      kind: "OUTAGE_CSV",
      url: "https://vodovod.example/outages.csv",
      schedule: { pattern: "*/15 * * * *", everyMs: null, timezone: "Europe/Belgrade" },
      options: { fullSnapshot: false, timeoutMs: 15_000, maxBytes: 5 * 1024 * 1024 },
      target: "OUTAGES",
      maxAgeMs: 3_600_000,
      paused: false,
      freshness: { lastSuccessAt: null, ageMs: null, stale: true, lastRunStatus: null, lastError: null },
    });
    expect(applied.map((source) => [source._id, source.paused])).toEqual([["vodovod-outages", false]]);
    expect(await server.repositories.syncSources.findById("vodovod-outages")).toMatchObject({ createdBy: "admin-jelena" });
  });

  it.each([
    ["id", { id: "Vodovod Outages" }],
    ["url", { url: "ftp://vodovod.example/outages.csv" }],
    ["url", { url: "https://user:secret@vodovod.example/outages.csv" }],
    ["schedule", { schedule: { pattern: "0 * * * *", everyMs: 60_000 } }],
    ["schedule", { schedule: {} }],
    ["schedule.pattern", { schedule: { pattern: "61 * * * *" } }],
    ["schedule.pattern", { schedule: { pattern: "every hour" } }],
    ["schedule.everyMs", { schedule: { everyMs: 10 } }],
    ["schedule.timezone", { schedule: { pattern: "0 * * * *", timezone: "Mars/Olympus" } }],
    ["options.maxBytes", { options: { maxBytes: 1024 * 1024 * 1024 } }],
    ["options.timeoutMs", { options: { timeoutMs: "fast" } }],
    ["options.fullSnaphsot", { options: { fullSnaphsot: true } }],
    ["maxAgeMs", { maxAgeMs: 5 }],
    ["name", { name: "   " }],
  ])("refuses a bad %s with an error naming it, and stores nothing", async (field, overrides) => {
    const answer = await gql(CREATE, { input: validInput(overrides) });
    expect(errorOf(answer)).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await server.repositories.syncSources.collection.countDocuments()).toBe(0);
    expect(applied).toEqual([]);
  });

  it("refuses a second source with the same id", async () => {
    await gql(CREATE, { input: validInput() });
    const again = await gql(CREATE, { input: validInput({ name: "Друго" }) });
    expect(errorOf(again)).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    expect((await server.repositories.syncSources.findById("vodovod-outages"))?.name).toBe("Водовод: прекиди");
  });

  it("lets operators read sources but not change them; others see nothing", async () => {
    await gql(CREATE, { input: validInput() });
    const read = await gql<{ syncSources: { id: string }[] }>("{ syncSources { id } }", {}, OPERATOR);
    expect(read.data?.syncSources).toEqual([{ id: "vodovod-outages" }]);
    expect(errorOf(await gql(CREATE, { input: validInput({ id: "other" }) }, OPERATOR))).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await gql('mutation { pauseSyncSource(id: "vodovod-outages") { id } }', {}, OPERATOR))).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await gql("{ syncSources { id } }", {}, STAFF))).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await gql("{ syncSources { id } }", {}, ANONYMOUS))).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("updates a source, re-validating its options, and re-applies its schedule", async () => {
    await gql(CREATE, { input: validInput() });
    await server.repositories.syncSources.recordRunFinished("vodovod-outages", {
      summary: { runId: "r1", status: "succeeded", startedAt: START, finishedAt: START, error: null },
      succeeded: true,
      validators: { etag: '"v1"', lastModified: null, bodyHash: "abc" },
    });
    applied.length = 0;
    const bad = await gql('mutation { updateSyncSource(id: "vodovod-outages", input: { options: { maxBytes: 10 } }) { id } }');
    expect(errorOf(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "options.maxBytes" });
    const changed = await gql<{ updateSyncSource: { url: string; schedule: { everyMs: number | null; pattern: string | null } } }>(
      'mutation { updateSyncSource(id: "vodovod-outages", input: { url: "https://vodovod.example/v2/outages.csv", schedule: { everyMs: 60000 } }) { url schedule { everyMs pattern } } }',
    );
    expect(changed.data?.updateSyncSource).toEqual({ url: "https://vodovod.example/v2/outages.csv", schedule: { everyMs: 60_000, pattern: null } });
    expect(applied).toHaveLength(1);
    // Another URL's validators must not make the new one look unchanged.
    expect(await server.repositories.syncSources.findById("vodovod-outages")).toMatchObject({ etag: null, bodyHash: null, updatedBy: "admin-jelena" });
    expect(errorOf(await gql('mutation { updateSyncSource(id: "nope", input: { name: "x" }) { id } }'))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("pauses and resumes, telling the scheduler each time", async () => {
    await gql(CREATE, { input: validInput() });
    applied.length = 0;
    const paused = await gql<{ pauseSyncSource: { paused: boolean } }>('mutation { pauseSyncSource(id: "vodovod-outages") { paused } }');
    expect(paused.data?.pauseSyncSource.paused).toBe(true);
    await gql('mutation { resumeSyncSource(id: "vodovod-outages") { paused } }');
    expect(applied.map((source) => source.paused)).toEqual([true, false]);
  });

  it("queues a run now and a backfill, refusing a period that is not one", async () => {
    await gql(CREATE, { input: validInput() });
    const now = await gql<{ runSyncSourceNow: { sourceId: string; jobId: string } }>('mutation { runSyncSourceNow(id: "vodovod-outages") { sourceId jobId } }');
    expect(now.data?.runSyncSourceNow).toEqual({ sourceId: "vodovod-outages", jobId: "job-1" });
    const backfill = await gql('mutation { backfillSyncSource(id: "vodovod-outages", from: "2026-04-01T00:00:00Z", to: "2026-04-08T00:00:00Z") { jobId } }');
    expect(backfill.errors).toBeUndefined();
    expect(enqueued).toEqual([
      { sourceId: "vodovod-outages", trigger: "manual" },
      { sourceId: "vodovod-outages", trigger: "backfill", from: "2026-04-01T00:00:00.000Z", to: "2026-04-08T00:00:00.000Z" },
    ]);
    const backwards = await gql('mutation { backfillSyncSource(id: "vodovod-outages", from: "2026-04-08T00:00:00Z", to: "2026-04-01T00:00:00Z") { jobId } }');
    expect(errorOf(backwards)).toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
    const future = await gql('mutation { backfillSyncSource(id: "vodovod-outages", from: "2027-01-01T00:00:00Z", to: "2027-01-02T00:00:00Z") { jobId } }');
    expect(errorOf(future)).toMatchObject({ code: "BAD_USER_INPUT", field: "from" });
    expect(errorOf(await gql('mutation { runSyncSourceNow(id: "nope") { jobId } }'))).toMatchObject({ code: "NOT_FOUND" });
    expect(enqueued).toHaveLength(2);
  });

  it("shows each source's freshness: age of the last success, the last run's outcome, stale past maxAgeMs", async () => {
    await gql(CREATE, { input: validInput() });
    await gql(CREATE, { input: validInput({ id: "never-run" }) });
    await server.repositories.syncSources.recordRunFinished("vodovod-outages", {
      summary: { runId: "r1", status: "succeeded", startedAt: START, finishedAt: START, error: null },
      succeeded: true,
    });
    clock = new Date(START.getTime() + 30 * 60_000);
    await server.repositories.syncSources.recordRunFinished("vodovod-outages", {
      summary: { runId: "r2", status: "failed", startedAt: clock, finishedAt: clock, error: "feed answered HTTP 503" },
      succeeded: false,
    });
    const fresh = await gql<{ syncSources: { id: string; freshness: Record<string, unknown> }[] }>("{ syncSources { id freshness { lastSuccessAt ageMs stale lastRunStatus lastError } } }", {}, OPERATOR);
    expect(fresh.data?.syncSources).toEqual([
      { id: "never-run", freshness: { lastSuccessAt: null, ageMs: null, stale: true, lastRunStatus: null, lastError: null } },
      {
        id: "vodovod-outages",
        freshness: { lastSuccessAt: START.toISOString(), ageMs: 30 * 60_000, stale: false, lastRunStatus: "FAILED", lastError: "feed answered HTTP 503" },
      },
    ]);
    clock = new Date(START.getTime() + 2 * 3_600_000);
    const stale = await gql<{ syncSource: { freshness: { stale: boolean } } }>('{ syncSource(id: "vodovod-outages") { freshness { stale } } }', {}, OPERATOR);
    expect(stale.data?.syncSource.freshness.stale).toBe(true);
  });

  it("pages through a source's runs and its quarantine, newest first", async () => {
    await gql(CREATE, { input: validInput() });
    for (let index = 0; index < 3; index += 1) {
      await server.repositories.syncRuns.start({
        _id: `run-${index}`,
        sourceId: "vodovod-outages",
        jobId: `job-${index}`,
        attempt: 1,
        trigger: "scheduled",
        from: null,
        to: null,
        status: "succeeded",
        startedAt: new Date(START.getTime() + index * 60_000),
        finishedAt: new Date(START.getTime() + index * 60_000 + 1_000),
        bytes: 100,
        fetched: 2,
        inserted: 1,
        updated: 0,
        unchanged: 1,
        ended: 0,
        quarantined: index,
        warnings: [],
        error: null,
        errorKind: null,
      });
    }
    await server.repositories.syncQuarantine.addMany([
      { _id: "q-1", sourceId: "vodovod-outages", runId: "run-2", line: 3, externalId: "X-1", field: "kind", reason: "must be one of water", raw: "X-1,gas", quarantinedAt: START },
    ]);
    const RUNS = "query Runs($after: String) { syncRuns(sourceId: \"vodovod-outages\", first: 2, after: $after) { nodes { id status trigger quarantined } endCursor hasNextPage } }";
    const first = await gql<{ syncRuns: { nodes: { id: string }[]; endCursor: string; hasNextPage: boolean } }>(RUNS, {}, OPERATOR);
    expect(first.data?.syncRuns.nodes.map((run) => run.id)).toEqual(["run-2", "run-1"]);
    expect(first.data?.syncRuns.hasNextPage).toBe(true);
    const second = await gql<{ syncRuns: { nodes: { id: string }[]; hasNextPage: boolean } }>(RUNS, { after: first.data?.syncRuns.endCursor }, OPERATOR);
    expect(second.data?.syncRuns).toMatchObject({ nodes: [{ id: "run-0", status: "SUCCEEDED", trigger: "SCHEDULED", quarantined: 0 }], hasNextPage: false });
    expect(errorOf(await gql(RUNS, { after: "garbage" }, OPERATOR))).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect(errorOf(await gql('{ syncRuns(sourceId: "vodovod-outages", first: 1000) { hasNextPage } }', {}, OPERATOR))).toMatchObject({ field: "first" });

    const quarantine = await gql<{ syncQuarantine: { nodes: Record<string, unknown>[] } }>(
      '{ syncQuarantine(sourceId: "vodovod-outages") { nodes { id runId line externalId field reason raw } } }',
      {},
      OPERATOR,
    );
    expect(quarantine.data?.syncQuarantine.nodes).toEqual([{ id: "q-1", runId: "run-2", line: 3, externalId: "X-1", field: "kind", reason: "must be one of water", raw: "X-1,gas" }]);
  });
});
