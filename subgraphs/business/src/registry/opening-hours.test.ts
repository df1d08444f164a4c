import { describe, expect, it } from "vitest";
import { OpeningHoursSyntaxError, parseOpeningHours } from "./opening-hours.js";

const problem = (text: string): string => {
  try {
    parseOpeningHours(text);
  } catch (error) {
    expect(error).toBeInstanceOf(OpeningHoursSyntaxError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
};

describe("opening hours", () => {
  it("parses day ranges, single days, several ranges a day and closed days", () => {
    const hours = parseOpeningHours("Mon-Fri 08:00-20:00; Sat 08:00-12:00, 16:00-19:00; Sun closed");
    expect(hours.text).toBe("Mon-Fri 08:00-20:00; Sat 08:00-12:00,16:00-19:00; Sun closed");
    expect(hours.periods).toHaveLength(7);
    expect(hours.periods[0]).toEqual({ day: "Mon", opens: "08:00", closes: "20:00" });
    expect(hours.periods.filter((period) => period.day === "Sat")).toEqual([
      { day: "Sat", opens: "08:00", closes: "12:00" },
      { day: "Sat", opens: "16:00", closes: "19:00" },
    ]);
    expect(hours.periods.some((period) => period.day === "Sun")).toBe(false);
  });

  it("ignores case and spacing, wraps day ranges over the week end and accepts 24:00", () => {
    const hours = parseOpeningHours("  fri-MON 00:00-24:00 ;  tue , thu 09:00 - 17:00 ; ");
    expect(hours.text).toBe("Fri-Mon 00:00-24:00; Tue,Thu 09:00-17:00");
    expect(hours.periods.map((period) => period.day)).toEqual(["Mon", "Tue", "Thu", "Fri", "Sat", "Sun"]);
  });

  it("explains what does not parse", () => {
    expect(problem("")).toMatch(/is empty/);
    expect(problem("Mon-Fri")).toMatch(/needs days and times/);
    expect(problem("Mo-Fr 08:00-20:00")).toMatch(/"Mo" .* is not a day/);
    expect(problem("Mon-Fri 8-20")).toMatch(/"8" .* is not a time/);
    expect(problem("Mon 08:00-25:00")).toMatch(/"25:00" .* is not a time/);
    expect(problem("Mon 24:30-24:45")).toMatch(/"24:30"/);
    expect(problem("Mon 20:00-02:00")).toMatch(/ends before it starts/);
    expect(problem("Mon 08:00-12:00,11:00-14:00")).toMatch(/overlap/);
    expect(problem("Mon-Fri 08:00-20:00; Fri 08:00-14:00")).toMatch(/Fri appears in both/);
    expect(problem("Mon,Mon 08:00-20:00")).toMatch(/names a day twice/);
    expect(problem("Mon 08:00")).toMatch(/not a time range/);
  });
});
