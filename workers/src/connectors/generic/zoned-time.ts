/** Local wall-clock times of a named zone to instants, right across daylight-saving changes. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetMs(instant: number, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(instant)).map(({ type, value }) => [type, Number(value)]));
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local time in `timeZone` (fields as Date.UTC takes them). A time the clocks skip
 * (spring forward) reads as the instant an hour later; a time they repeat (fall back) as its first
 * occurrence, as most schedules mean it.
 */
export function zonedToUtc(fields: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number }, timeZone: string): Date {
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0);
  if (timeZone === "UTC" || timeZone === "GMT") return new Date(wall);
  // The offsets in force half a day either side: around a clock change they differ, elsewhere they agree.
  const before = offsetMs(wall - 43_200_000, timeZone);
  const after = offsetMs(wall + 43_200_000, timeZone);
  const valid = [wall - before, wall - after].filter((instant, index) => offsetMs(instant, timeZone) === (index === 0 ? before : after));
  // Two readings (fall back): the first occurrence; none (spring forward): the earlier offset, an hour on.
  return new Date(valid.length > 0 ? Math.min(...valid) : wall - before);
}
