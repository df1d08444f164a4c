import type { Identity } from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";

const WATER = "jkp-vodovod-krusevac";
const HEATING = "jkp-gradska-toplana-krusevac";
const water: Identity = { subject: "key-water", roles: ["provider"], providerId: WATER };
const operator: Identity = { subject: "operator-1", roles: ["operator"] };

const SET = `mutation ($providerId: ID!, $service: String!, $status: ServiceStatusLevel!, $note: String) {
  setServiceStatus(providerId: $providerId, service: $service, status: $status, note: $note) {
    service status note since updatedAt provider { id } history(last: 10) { at status note }
  }
}`;
const BOARD = `query ($providerId: ID, $status: ServiceStatusLevel, $first: Int, $after: String) {
  serviceStatusBoard(providerId: $providerId, status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { service status provider { id } history(last: 1) { status } }
  }
}`;

interface Board {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { service: string; status: string; provider: { id: string } }[];
}

describe("the service status board over the subgraph's HTTP server", () => {
  let stack: ServicesTestStack;
  let now = TEST_NOW;

  beforeAll(async () => {
    stack = await startServicesTestStack({ now: () => now });
    await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("sets a provider's service status, keeping every change in its history", async () => {
    const first = await stack.query(SET, { providerId: WATER, service: "Водоснабдевање", status: "OPERATIONAL" }, water);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.setServiceStatus).toMatchObject({
      service: "Водоснабдевање",
      status: "OPERATIONAL",
      note: null,
      since: TEST_NOW.toISOString(),
      provider: { id: WATER },
    });

    now = new Date(TEST_NOW.getTime() + 60_000);
    await stack.query(SET, { providerId: WATER, service: "Водоснабдевање", status: "DEGRADED", note: "низак притисак" }, water);
    now = new Date(TEST_NOW.getTime() + 120_000);
    const third = await stack.query(SET, { providerId: WATER, service: "Водоснабдевање", status: "DEGRADED", note: "екипе на терену" }, water);
    const status = third.body.data?.setServiceStatus as { since: string; updatedAt: string; history: { status: string; note: string | null }[] };
    // A note alone does not move `since`.
    expect(status.since).toBe(new Date(TEST_NOW.getTime() + 60_000).toISOString());
    expect(status.updatedAt).toBe(now.toISOString());
    expect(status.history.map(({ status: level, note }) => [level, note])).toEqual([
      ["DEGRADED", "екипе на терену"],
      ["DEGRADED", "низак притисак"],
      ["OPERATIONAL", null],
    ]);
  });

  it("pages through the board by provider and service, filtered by status", async () => {
    for (const [service, level] of [
      ["Топловод Исток", "DOWN"],
      ["Топловод Запад", "OPERATIONAL"],
      ["Топловод Центар", "DEGRADED"],
    ] as const) {
      const response = await stack.query(SET, { providerId: HEATING, service, status: level }, operator);
      expect(response.body.errors).toBeUndefined();
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response = await stack.query(BOARD, { first: 2, after });
      expect(response.body.errors).toBeUndefined();
      const board = response.body.data?.serviceStatusBoard as Board;
      expect(board.totalCount).toBe(4);
      seen.push(...board.nodes.map((node) => `${node.provider.id}/${node.service}`));
      if (!board.pageInfo.hasNextPage) break;
      after = board.pageInfo.endCursor;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(4);

    const degraded = await stack.query(BOARD, { status: "DEGRADED" });
    expect((degraded.body.data?.serviceStatusBoard as Board).nodes.map((node) => node.service).sort()).toEqual([
      "Водоснабдевање",
      "Топловод Центар",
    ]);
    const heating = await stack.query(BOARD, { providerId: HEATING });
    expect((heating.body.data?.serviceStatusBoard as Board).totalCount).toBe(3);
  });

  it("rejects bad input naming the field, and another provider's service", async () => {
    const empty = await stack.query(SET, { providerId: WATER, service: "  ", status: "DOWN" }, water);
    expect(empty.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "service" });
    const unknown = await stack.query(SET, { providerId: "no-such-provider", service: "x", status: "DOWN" }, operator);
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "providerId" });
    const other = await stack.query(SET, { providerId: HEATING, service: "Топловод Исток", status: "OPERATIONAL" }, water);
    expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN" });
    const badCursor = await stack.query(BOARD, { after: "garbage" });
    expect(badCursor.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    const board = await stack.query(BOARD, { providerId: HEATING, status: "DOWN" });
    expect((board.body.data?.serviceStatusBoard as Board).nodes).toEqual([
      { service: "Топловод Исток", status: "DOWN", provider: { id: HEATING }, history: [{ status: "DOWN" }] },
    ]);
  });
});
