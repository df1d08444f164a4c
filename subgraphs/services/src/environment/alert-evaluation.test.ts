import { describe, expect, it } from "vitest";
import { AlertStatus, type AlertDocument } from "./alert.model.js";
import { evaluateAlerts, type SeriesEvaluation } from "./alert-evaluation.js";
import { AveragingPeriod } from "./averaging-window.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import { DEFAULT_THRESHOLDS } from "./threshold.model.js";

const NOW = new Date("2025-03-10T10:00:00Z");
const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.UTC(2025, 2, 10, hours));
const window = (hours: number) => ({ start: at(hours), end: at(hours + 1) });

function series(overrides: Partial<SeriesEvaluation> = {}): SeriesEvaluation {
  return {
    key: "s1|NO2",
    stationId: "s1",
    parameter: EnvironmentParameter.NO2,
    districtId: "centar",
    setting: { parameter: EnvironmentParameter.NO2, ...DEFAULT_THRESHOLDS.NO2, updatedAt: null, updatedBy: null },
    current: window(9),
    windows: [window(9)],
    open: null,
    ...overrides,
  };
}

function openAlert(overrides: Partial<AlertDocument> = {}): AlertDocument {
  return {
    _id: "alert-1",
    stationId: "s1",
    parameter: EnvironmentParameter.NO2,
    districtId: "centar",
    status: AlertStatus.OPEN,
    threshold: 200,
    averaging: AveragingPeriod.HOUR,
    unit: "µg/m³",
    windowStart: at(7),
    lastWindowStart: at(8),
    lastMean: 230,
    peakMean: 250,
    peakWindowStart: at(7),
    raisedAt: new Date(NOW.getTime() - 2 * HOUR),
    clearedAt: null,
    clearedWindowStart: null,
    updatedAt: new Date(NOW.getTime() - HOUR),
    ...overrides,
  };
}

const means = (entries: [number, number][]) => new Map(entries.map(([hour, mean]) => [`s1|NO2|${at(hour).getTime()}`, mean]));

describe("evaluateAlerts", () => {
  it("raises one alert when the current window's mean is above the threshold, and none at the threshold", () => {
    const [write] = evaluateAlerts([series()], means([[9, 210]]), NOW);
    expect(write).toMatchObject({ kind: "raise", document: { status: AlertStatus.OPEN, threshold: 200, lastMean: 210, peakMean: 210, windowStart: at(9), raisedAt: NOW } });
    expect(evaluateAlerts([series()], means([[9, 200]]), NOW)).toEqual([]);
  });

  it("keeps an open alert open with its peak while above, and clears it when the current window falls back", () => {
    const open = openAlert();
    expect(evaluateAlerts([series({ open, windows: [window(8), window(9)] })], means([[8, 260], [9, 240]]), NOW)).toEqual([
      { kind: "update", id: "alert-1", set: { lastMean: 240, lastWindowStart: at(9), peakMean: 260, peakWindowStart: at(8) } },
    ]);
    const [cleared] = evaluateAlerts([series({ open })], means([[9, 150]]), NOW);
    expect(cleared).toMatchObject({ kind: "clear", id: "alert-1", set: { status: AlertStatus.CLEARED, clearedAt: NOW, clearedWindowStart: at(9), lastMean: 150, peakMean: 250 } });
  });

  it("judges by the current window, so a late reading for an earlier window neither clears nor raises", () => {
    const open = openAlert();
    // Hour 6 (before the alert) was high, hour 9 (current) is still above: only the state of hour 9 counts.
    const writes = evaluateAlerts([series({ open, windows: [window(6), window(9)] })], means([[6, 400], [9, 220]]), NOW);
    expect(writes).toEqual([{ kind: "update", id: "alert-1", set: { lastMean: 220, lastWindowStart: at(9), peakMean: 250, peakWindowStart: at(7) } }]);
    expect(evaluateAlerts([series({ windows: [window(6), window(9)] })], means([[6, 400], [9, 20]]), NOW)).toEqual([]);
  });

  it("clears an open alert whose threshold was switched off, and raises nothing without one", () => {
    const off = { ...series().setting, enabled: false };
    expect(evaluateAlerts([series({ setting: off, open: openAlert() })], means([[9, 500]]), NOW)).toMatchObject([{ kind: "clear", id: "alert-1" }]);
    expect(evaluateAlerts([series({ setting: off })], means([[9, 500]]), NOW)).toEqual([]);
  });
});
