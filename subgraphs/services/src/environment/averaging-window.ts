/**
 * The windows that thresholds average over. An hour is a clock hour; a day is a calendar day in
 * Europe/Belgrade (23 or 25 hours on the days the clocks change).
 *
 * Calendar days rather than a rolling 24 hours because that is what the limit values mean: Directive
 * 2008/50/EC (Annex VII/XI) and Serbia's regulation transposing it (Uredba o uslovima za monitoring i
 * zahtevima kvaliteta vazduha, Sl. glasnik RS 11/2010) count exceedances of the PM10 daily limit per
 * calendar day, and the daily figures the Serbian Environmental Protection Agency publishes are
 * calendar-day means. A rolling mean would raise alerts on days the official record shows no
 * exceedance. While a day is under way the mean is of the readings so far (a provisional daily mean).
 *
 * Belgrade's offset from UTC is always whole hours, so every window is a union of UTC hours: the
 * database sums readings per UTC hour and the windows are assembled from those sums.
 */
import { registerEnumType } from "type-graphql";

export enum AveragingPeriod {
  HOUR = "HOUR",
  DAY = "DAY",
}

registerEnumType(AveragingPeriod, {
  name: "AveragingPeriod",
  description: "What a threshold's value is compared with: a clock hour's mean, or a calendar day's (Europe/Belgrade)",
});

export const CITY_TIME_ZONE = "Europe/Belgrade";
export const HOUR_MS = 3_600_000;

export interface TimeWindow {
  start: Date;
  end: Date;
}

const localParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: CITY_TIME_ZONE,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** The city's wall-clock time at `instant`, written as if it were UTC, minus the instant: the offset. */
function offsetAt(instant: number): number {
  const parts = Object.fromEntries(localParts.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant of local midnight that starts the calendar day `days` after the one containing `instant`. */
function localMidnight(instant: number, days: number): number {
  const local = new Date(instant + offsetAt(instant));
  const midnightAsUtc = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days);
  // Midnight is never inside a DST change here (those happen at 02:00 and 03:00), so one correction suffices.
  return midnightAsUtc - offsetAt(midnightAsUtc - offsetAt(midnightAsUtc));
}

export function windowOf(at: Date, period: AveragingPeriod): TimeWindow {
  const instant = at.getTime();
  switch (period) {
    case AveragingPeriod.HOUR: {
      const start = instant - mod(instant, HOUR_MS);
      return { start: new Date(start), end: new Date(start + HOUR_MS) };
    }
    case AveragingPeriod.DAY:
      return { start: new Date(localMidnight(instant, 0)), end: new Date(localMidnight(instant, 1)) };
    default:
      return unreachable(period);
  }
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function unreachable(value: never): never {
  throw new Error(`unknown averaging period ${String(value)}`);
}
