/**
 * Open-Meteo's forecast API (`/v1/forecast?latitude=…&longitude=…&hourly=temperature_2m,precipitation,
 * wind_speed_10m&past_days=…`): one object whose `hourly` holds a `time` array and one array per
 * variable, in the units `hourly_units` names. Only hours up to the fetch become readings: the rest
 * is forecast, not measurement. Times are local to `timezone` (GMT unless the request set one), or
 * unix seconds with `timeformat=unixtime`.
 */
import { EnvironmentParameter } from "@situation/services-subgraph";
import { z } from "zod";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import type { EnvironmentFeedRecord, FeedMeasurement, FeedStation } from "../environment-readings/environment-store.js";
import { decodeUtf8 } from "../generic/json-array.js";
import { zonedToUtc } from "../generic/zoned-time.js";

/** Each variable read, its parameter, and how each unit Open-Meteo may answer in becomes the store's. */
const VARIABLES: Readonly<Record<string, { parameter: EnvironmentParameter; units: Readonly<Record<string, (value: number) => number>> }>> = {
  temperature_2m: { parameter: EnvironmentParameter.TEMPERATURE, units: { "°C": (value) => value, "°F": (value) => ((value - 32) * 5) / 9 } },
  precipitation: { parameter: EnvironmentParameter.PRECIPITATION, units: { mm: (value) => value, inch: (value) => value * 25.4 } },
  wind_speed_10m: {
    parameter: EnvironmentParameter.WIND_SPEED,
    units: { "km/h": (value) => value / 3.6, "m/s": (value) => value, "mp/h": (value) => value * 0.44704, kn: (value) => value * 0.514444 },
  },
  wind_direction_10m: { parameter: EnvironmentParameter.WIND_DIRECTION, units: { "°": (value) => value } },
};

const responseSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  timezone: z.string().default("GMT"),
  hourly_units: z.record(z.string(), z.string()),
  hourly: z.object({ time: z.array(z.union([z.string(), z.number()])) }).catchall(z.array(z.unknown())),
});

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

export interface OpenMeteoParseOptions {
  /** Where the readings go: a configured station, or one named by the source at the feed's coordinates. */
  station: { stationId: string } | { externalId: string; name: string };
  fetchedAt: Date;
}

export function parseOpenMeteo(body: Uint8Array, options: OpenMeteoParseOptions): ParseResult<EnvironmentFeedRecord> {
  const { text, invalidBytes } = decodeUtf8(body);
  const empty = (reason: string, warning: string): ParseResult<EnvironmentFeedRecord> => ({
    total: 0,
    records: [],
    rejects: reason ? [{ line: null, externalId: null, field: "(file)", reason, raw: text.slice(0, 10_000) }] : [],
    listedIds: new Set(),
    complete: false,
    warnings: [warning],
  });
  if (text.trim() === "") return empty("", "the body is empty");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // One object, not a list of records: a cut-off body has no part that can be trusted.
    return empty(`is not valid JSON (a truncated body?): ${error instanceof Error ? error.message : String(error)}`, "the body is not valid JSON: nothing was stored");
  }
  if (invalidBytes) return empty("has bytes that are not UTF-8", "the body is not valid UTF-8: nothing was stored");
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FeedRejectedError(`the body is not an Open-Meteo hourly forecast: ${issue.path.join(".") || "(root)"} ${issue.message}`);
  }
  const response = parsed.data;
  const times = response.hourly.time;
  const variables: { name: string; parameter: EnvironmentParameter; convert: (value: number) => number; values: unknown[] }[] = [];
  for (const [name, spec] of Object.entries(VARIABLES)) {
    const values = response.hourly[name];
    if (!Array.isArray(values)) continue;
    const unit = response.hourly_units[name];
    const convert = unit === undefined ? undefined : spec.units[unit];
    if (!convert) throw new FeedRejectedError(`hourly_units.${name} is ${JSON.stringify(unit)}; this connector reads ${Object.keys(spec.units).join(", ")}`);
    if (values.length !== times.length) throw new FeedRejectedError(`hourly.${name} has ${values.length} values for ${times.length} times`);
    variables.push({ name, parameter: spec.parameter, convert, values });
  }
  if (variables.length === 0) {
    throw new FeedRejectedError(`the body has none of the hourly variables ${Object.keys(VARIABLES).join(", ")}`);
  }

  const station: EnvironmentFeedRecord["station"] =
    "stationId" in options.station
      ? { stationId: options.station.stationId }
      : ({ externalId: options.station.externalId, name: options.station.name, longitude: response.longitude, latitude: response.latitude } satisfies FeedStation);
  const records: ParseResult<EnvironmentFeedRecord>["records"] = [];
  const rejects: RecordReject[] = [];
  const listedIds = new Set<string>();
  const timeZone = response.timezone === "GMT" ? "UTC" : response.timezone;
  let forecast = 0;
  for (const [index, time] of times.entries()) {
    const raw = JSON.stringify(Object.fromEntries([["time", time], ...variables.map(({ name, values }) => [name, values[index]])]));
    const at = toInstant(time, timeZone);
    if (!at) {
      rejects.push({ line: null, externalId: null, field: `hourly.time.${index}`, reason: `${JSON.stringify(time)} is not a time of the form YYYY-MM-DDTHH:MM or unix seconds`, raw });
      continue;
    }
    const externalId = at.toISOString();
    if (listedIds.has(externalId)) {
      rejects.push({ line: null, externalId, field: `hourly.time.${index}`, reason: "repeats an earlier hour", raw });
      continue;
    }
    listedIds.add(externalId);
    if (at.getTime() > options.fetchedAt.getTime()) {
      forecast += 1;
      continue;
    }
    const measurements: FeedMeasurement[] = [];
    for (const { name, parameter, convert, values } of variables) {
      const value = values[index];
      // Open-Meteo writes null for an hour a model has no value for: nothing to store, nothing wrong.
      if (value === null) continue;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        rejects.push({ line: null, externalId, field: `hourly.${name}.${index}`, reason: `${JSON.stringify(value)} is not a number`, raw });
        continue;
      }
      measurements.push({ parameter, at, value: Math.round(convert(value) * 1000) / 1000, field: `hourly.${name}` });
    }
    if (measurements.length > 0) records.push({ line: null, externalId, record: { station, measurements }, raw });
  }
  const warnings = forecast > 0 && records.length === 0 ? [`all ${forecast} hours lie after the fetch (forecast only; add past_days to the URL)`] : [];
  return { total: times.length, records, rejects, listedIds, complete: true, warnings };
}

function toInstant(time: string | number, timeZone: string): Date | null {
  if (typeof time === "number") return Number.isInteger(time) ? new Date(time * 1000) : null;
  const match = LOCAL_TIME.exec(time);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  return zonedToUtc({ year, month, day, hour, minute }, timeZone);
}
