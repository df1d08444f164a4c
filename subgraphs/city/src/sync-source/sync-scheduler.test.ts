import { describe, expect, it } from "vitest";
import { checkSchedule, syncSchedulerId } from "./sync-scheduler.js";

const schedule = (overrides: { pattern?: string | null; everyMs?: number | null; timezone?: string | null }) => ({
  pattern: null,
  everyMs: null,
  timezone: null,
  ...overrides,
});

describe("checkSchedule", () => {
  it("accepts cron patterns of 5 or 6 fields, with a time zone, and intervals in range", () => {
    expect(checkSchedule(schedule({ pattern: "*/15 * * * *" }))).toBeNull();
    expect(checkSchedule(schedule({ pattern: "0 30 6 * * 1-5", timezone: "Europe/Belgrade" }))).toBeNull();
    expect(checkSchedule(schedule({ everyMs: 300_000 }))).toBeNull();
  });

  it("names the field at fault, with the parser's reason for a bad pattern", () => {
    expect(checkSchedule(schedule({ pattern: "61 * * * *" }))).toMatchObject({ field: "schedule.pattern", message: expect.stringMatching(/not a valid cron pattern/) });
    expect(checkSchedule(schedule({ pattern: "* * *" }))).toMatchObject({ field: "schedule.pattern" });
    expect(checkSchedule(schedule({ pattern: "0 0 31 2 *" }))).toMatchObject({ field: "schedule.pattern" });
    expect(checkSchedule(schedule({ pattern: "0 * * * *", timezone: "Nowhere/City" }))).toMatchObject({ field: "schedule.timezone" });
    expect(checkSchedule(schedule({ everyMs: 999 }))).toMatchObject({ field: "schedule.everyMs" });
    expect(checkSchedule(schedule({ everyMs: 1.5e3 + 0.5 }))).toMatchObject({ field: "schedule.everyMs" });
    expect(checkSchedule(schedule({ everyMs: 60_000, timezone: "Europe/Belgrade" }))).toMatchObject({ field: "schedule.timezone" });
    expect(checkSchedule(schedule({}))).toMatchObject({ field: "schedule" });
    expect(checkSchedule(schedule({ pattern: "* * * * *", everyMs: 1_000 }))).toMatchObject({ field: "schedule" });
  });

  it("makes scheduler ids BullMQ accepts (no ':')", () => {
    expect(syncSchedulerId("vodovod-outages")).toBe("source-vodovod-outages");
  });
});
