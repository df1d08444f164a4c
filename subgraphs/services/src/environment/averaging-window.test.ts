import { describe, expect, it } from "vitest";
import { AveragingPeriod, windowOf } from "./averaging-window.js";

const iso = (window: { start: Date; end: Date }) => [window.start.toISOString(), window.end.toISOString()];

describe("averaging windows", () => {
  it("puts a reading in its clock hour", () => {
    expect(iso(windowOf(new Date("2025-03-10T10:59:59.999Z"), AveragingPeriod.HOUR))).toEqual(["2025-03-10T10:00:00.000Z", "2025-03-10T11:00:00.000Z"]);
    expect(iso(windowOf(new Date("2025-03-10T11:00:00.000Z"), AveragingPeriod.HOUR))).toEqual(["2025-03-10T11:00:00.000Z", "2025-03-10T12:00:00.000Z"]);
  });

  it("puts a reading in its calendar day in Belgrade (CET in winter, CEST in summer)", () => {
    // 23:30 UTC on the 9th is already 00:30 on the 10th in Belgrade.
    expect(iso(windowOf(new Date("2025-03-09T23:30:00Z"), AveragingPeriod.DAY))).toEqual(["2025-03-09T23:00:00.000Z", "2025-03-10T23:00:00.000Z"]);
    expect(iso(windowOf(new Date("2025-03-09T22:59:59Z"), AveragingPeriod.DAY))).toEqual(["2025-03-08T23:00:00.000Z", "2025-03-09T23:00:00.000Z"]);
    expect(iso(windowOf(new Date("2025-07-01T12:00:00Z"), AveragingPeriod.DAY))).toEqual(["2025-06-30T22:00:00.000Z", "2025-07-01T22:00:00.000Z"]);
  });

  it("makes the days the clocks change 23 and 25 hours long", () => {
    const spring = windowOf(new Date("2025-03-30T12:00:00Z"), AveragingPeriod.DAY);
    expect(iso(spring)).toEqual(["2025-03-29T23:00:00.000Z", "2025-03-30T22:00:00.000Z"]);
    const autumn = windowOf(new Date("2025-10-26T12:00:00Z"), AveragingPeriod.DAY);
    expect(iso(autumn)).toEqual(["2025-10-25T22:00:00.000Z", "2025-10-26T23:00:00.000Z"]);
  });
});
