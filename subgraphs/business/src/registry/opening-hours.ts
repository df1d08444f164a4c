/**
 * Weekly opening hours in a compact text form, e.g. `Mon-Fri 08:00-20:00; Sat 08:00-14:00; Sun closed`.
 *
 * Grammar: rules separated by `;`. A rule is a day set and either `closed` or one or more time ranges
 * separated by `,`. A day set is days and day ranges separated by `,` (`Mon-Fri`, `Sat,Sun`,
 * `Fri-Mon` wraps over the week end). A range is `HH:MM-HH:MM`, 00:00 to 24:00, and ends after it
 * starts (a night past midnight is written as two ranges on two days). A day may be named in one rule
 * only; days no rule names are closed. Case and spaces around separators do not matter.
 */

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningPeriod {
  day: Weekday;
  /** "HH:MM" */
  opens: string;
  /** "HH:MM", after `opens`; "24:00" is the end of the day. */
  closes: string;
}

export interface OpeningHoursValue {
  /** The canonical text: rules in the order given, days and times spelled as in the grammar. */
  text: string;
  /** Every open period, by day of the week and time. */
  periods: OpeningPeriod[];
}

/** A problem in opening-hours text; `message` says where and what. */
export class OpeningHoursSyntaxError extends Error {
  override readonly name = "OpeningHoursSyntaxError";
}

const TIME = /^([01]\d|2[0-4]):([0-5]\d)$/;

export function parseOpeningHours(text: string): OpeningHoursValue {
  const rules = text
    .split(";")
    .map((rule) => rule.trim())
    .filter((rule, index, all) => rule !== "" || (index === all.length - 1 && all.length > 1));
  if (rules.length === 0 || rules.every((rule) => rule === "")) {
    throw new OpeningHoursSyntaxError('is empty; write e.g. "Mon-Fri 08:00-20:00; Sat 08:00-14:00"');
  }
  const seen = new Map<Weekday, string>();
  const periods: OpeningPeriod[] = [];
  const canonical: string[] = [];
  for (const rule of rules) {
    if (rule === "") continue;
    // The days are everything before the first time or "closed".
    const match = /^([^\d]*?[a-z])\s*((?:\d|closed\b).*)$/i.exec(rule);
    if (!match) throw new OpeningHoursSyntaxError(`rule "${rule}" needs days and times, e.g. "Mon-Fri 08:00-20:00"`);
    const [, daysText, timesText] = match as unknown as [string, string, string];
    const days = parseDays(daysText.replace(/\s+/g, ""), rule);
    for (const day of days) {
      const earlier = seen.get(day);
      if (earlier !== undefined) throw new OpeningHoursSyntaxError(`${day} appears in both "${earlier}" and "${rule}"`);
      seen.set(day, rule);
    }
    const times = timesText.trim();
    if (times.toLowerCase() === "closed") {
      canonical.push(`${canonicalDays(daysText)} closed`);
      continue;
    }
    const ranges = times.split(",").map((range) => parseRange(range.trim(), rule));
    ranges.sort((a, b) => a.opens.localeCompare(b.opens));
    for (let index = 1; index < ranges.length; index++) {
      if (ranges[index]!.opens < ranges[index - 1]!.closes) {
        throw new OpeningHoursSyntaxError(`in "${rule}", ${ranges[index - 1]!.opens}-${ranges[index - 1]!.closes} and ${ranges[index]!.opens}-${ranges[index]!.closes} overlap`);
      }
    }
    for (const day of days) for (const range of ranges) periods.push({ day, ...range });
    canonical.push(`${canonicalDays(daysText)} ${ranges.map((range) => `${range.opens}-${range.closes}`).join(",")}`);
  }
  periods.sort((a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || a.opens.localeCompare(b.opens));
  return { text: canonical.join("; "), periods };
}

function dayOf(name: string, rule: string): Weekday {
  const day = WEEKDAYS.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (day === undefined) {
    throw new OpeningHoursSyntaxError(`"${name}" in "${rule}" is not a day; use ${WEEKDAYS.join(", ")}`);
  }
  return day;
}

function parseDays(text: string, rule: string): Weekday[] {
  const days: Weekday[] = [];
  for (const part of text.split(",")) {
    const [from, to, extra] = part.split("-");
    if (extra !== undefined || from === undefined || from === "") {
      throw new OpeningHoursSyntaxError(`"${part}" in "${rule}" is not a day or a day range such as Mon-Fri`);
    }
    const start = WEEKDAYS.indexOf(dayOf(from, rule));
    if (to === undefined) {
      days.push(WEEKDAYS[start]!);
      continue;
    }
    const end = WEEKDAYS.indexOf(dayOf(to, rule));
    for (let index = start; ; index = (index + 1) % 7) {
      days.push(WEEKDAYS[index]!);
      if (index === end) break;
    }
  }
  const unique = new Set(days);
  if (unique.size !== days.length) throw new OpeningHoursSyntaxError(`"${text}" in "${rule}" names a day twice`);
  return days;
}

function canonicalDays(text: string): string {
  return text
    .replace(/\s+/g, "")
    .split(",")
    .map((part) => part.split("-").map((day) => day.charAt(0).toUpperCase() + day.slice(1).toLowerCase()).join("-"))
    .join(",");
}

function parseRange(text: string, rule: string): { opens: string; closes: string } {
  const [opens, closes, extra] = text.split("-").map((part) => part.trim());
  if (opens === undefined || closes === undefined || extra !== undefined) {
    throw new OpeningHoursSyntaxError(`"${text}" in "${rule}" is not a time range such as 08:00-20:00 (or "closed")`);
  }
  for (const time of [opens, closes]) {
    const match = TIME.exec(time);
    if (!match || (match[1] === "24" && match[2] !== "00")) {
      throw new OpeningHoursSyntaxError(`"${time}" in "${rule}" is not a time from 00:00 to 24:00 (HH:MM)`);
    }
  }
  if (closes <= opens) {
    throw new OpeningHoursSyntaxError(`in "${rule}", ${opens}-${closes} ends before it starts; split a night past midnight over two days`);
  }
  return { opens, closes };
}
