/**
 * When an alert opens, changes and clears. The state follows the series' current window, the one
 * holding its newest reading: above the threshold an alert is open (raised if there was none, its
 * peak kept up to date), at or below it any open alert clears. Means come from the stored readings,
 * so a reading that arrives late into the current window counts as if it had come in order, and a
 * late reading for an earlier window never reopens or clears anything by itself: it can only raise
 * the peak of the alert open over that window. An exceedance confined to a past window whose readings
 * all arrive after newer ones is not raised retrospectively (it is in the readings, not an alert now).
 */
import { randomUUID } from "node:crypto";
import { AlertStatus, type AlertDocument } from "./alert.model.js";
import type { AlertWrite } from "./alert.repository.js";
import type { TimeWindow } from "./averaging-window.js";
import { unitOf, type EnvironmentParameter } from "./environment-parameter.js";
import type { ThresholdSetting } from "./threshold.model.js";

/** Window means by `<stationId>|<parameter>|<window start in ms>`. */
export type WindowMeans = Map<string, number>;

export interface SeriesEvaluation {
  /** `<stationId>|<parameter>` */
  key: string;
  stationId: string;
  parameter: EnvironmentParameter;
  districtId: string;
  setting: ThresholdSetting;
  /** The window holding the series' newest reading. */
  current: TimeWindow;
  /** Every window the ingest touched, with the current one. */
  windows: readonly TimeWindow[];
  open: AlertDocument | null;
}

export function evaluateAlerts(evaluations: readonly SeriesEvaluation[], means: WindowMeans, now: Date): AlertWrite[] {
  const writes: AlertWrite[] = [];
  for (const evaluation of evaluations) {
    const { setting, current, open } = evaluation;
    const threshold = setting.enabled ? setting.value : null;
    if (threshold === null) {
      // Switched off while open: nothing is above a threshold that no longer applies.
      if (open) writes.push({ kind: "clear", id: open._id, set: { status: AlertStatus.CLEARED, clearedAt: now, clearedWindowStart: current.start } });
      continue;
    }
    const meanOf = (window: TimeWindow) => means.get(`${evaluation.key}|${window.start.getTime()}`);
    const currentMean = meanOf(current);
    // The TTL index can remove a series' readings under it; without a mean there is nothing to judge.
    if (currentMean === undefined) continue;
    if (open) {
      let peakMean = open.peakMean;
      let peakWindowStart = open.peakWindowStart;
      for (const window of evaluation.windows) {
        const mean = meanOf(window);
        if (mean !== undefined && window.start >= open.windowStart && mean > peakMean) {
          peakMean = mean;
          peakWindowStart = window.start;
        }
      }
      const progress = { lastMean: currentMean, lastWindowStart: current.start, peakMean, peakWindowStart };
      if (currentMean > threshold) writes.push({ kind: "update", id: open._id, set: progress });
      else writes.push({ kind: "clear", id: open._id, set: { ...progress, status: AlertStatus.CLEARED, clearedAt: now, clearedWindowStart: current.start } });
    } else if (currentMean > threshold) {
      writes.push({
        kind: "raise",
        document: {
          _id: randomUUID(),
          stationId: evaluation.stationId,
          parameter: evaluation.parameter,
          districtId: evaluation.districtId,
          status: AlertStatus.OPEN,
          threshold,
          averaging: setting.averaging,
          unit: unitOf(evaluation.parameter),
          windowStart: current.start,
          lastWindowStart: current.start,
          lastMean: currentMean,
          peakMean: currentMean,
          peakWindowStart: current.start,
          raisedAt: now,
          clearedAt: null,
          clearedWindowStart: null,
          updatedAt: now,
        },
      });
    }
  }
  return writes;
}
