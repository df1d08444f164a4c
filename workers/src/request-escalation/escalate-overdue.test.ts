import { createLogger, loadConfig } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { sweepOverdueRequests, type EscalationOutcome, type EscalationRepository } from "./escalate-overdue.js";

const logger = createLogger(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }, { warn: () => {} }), "escalate-overdue-test");
const NOW = new Date("2026-11-25T08:00:00Z");

/** A repository over ids: overdue until escalated; `refuse` answers without escalating, `explode` throws. */
function fakeRepository(ids: string[], behaviour: { refuse?: string[]; explode?: string[] } = {}) {
  const escalated = new Set<string>();
  const calls: string[] = [];
  const queries: { now: Date; limit: number }[] = [];
  const repository = {
    async findOverdueOpen(now: Date, limit: number) {
      queries.push({ now, limit });
      return ids.filter((id) => !escalated.has(id)).slice(0, limit).map((_id) => ({ _id }));
    },
    async escalateIfOverdue(id: string): Promise<EscalationOutcome> {
      calls.push(id);
      if (behaviour.explode?.includes(id)) throw new Error(`store failed for ${id}`);
      if (behaviour.refuse?.includes(id)) return "closed";
      if (escalated.has(id)) return "already-escalated";
      escalated.add(id);
      return "escalated";
    },
  } as unknown as EscalationRepository;
  return { repository, escalated, calls, queries };
}

describe("sweepOverdueRequests", () => {
  it("escalates every overdue request, batch after batch, with the sweep's own time", async () => {
    const fake = fakeRepository(["a", "b", "c", "d", "e"]);
    const result = await sweepOverdueRequests(fake.repository, NOW, logger, 2);
    expect(result).toEqual({ found: 5, escalated: 5, skipped: 0, failed: 0 });
    expect([...fake.escalated].sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect(fake.queries.every((query) => query.now === NOW && query.limit === 2)).toBe(true);
    expect(fake.queries).toHaveLength(3);
  });

  it("asks once when nothing is overdue", async () => {
    const fake = fakeRepository([]);
    expect(await sweepOverdueRequests(fake.repository, NOW, logger, 10)).toEqual({ found: 0, escalated: 0, skipped: 0, failed: 0 });
    expect(fake.queries).toHaveLength(1);
  });

  it("goes on past requests that fail or that the repository declines, and does not loop on them", async () => {
    const fake = fakeRepository(["a", "b", "c", "d"], { explode: ["a"], refuse: ["b"] });
    const result = await sweepOverdueRequests(fake.repository, NOW, logger, 2);
    expect(result).toEqual({ found: 4, escalated: 2, skipped: 1, failed: 1 });
    expect(fake.calls.sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("stops after the batch limit", async () => {
    const fake = fakeRepository(Array.from({ length: 50 }, (_, index) => `r${index}`));
    const result = await sweepOverdueRequests(fake.repository, NOW, logger, 5, 3);
    expect(result.escalated).toBe(15);
  });
});
