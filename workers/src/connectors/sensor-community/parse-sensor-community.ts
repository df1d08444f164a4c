/**
 * The Sensor.Community (formerly luftdaten.info) feed: `data.sensor.community/static/v2/data.json`
 * or `api.luftdaten.info/static/v1/…`, an array of measurements, each a sensor's values at a UTC
 * time. P1 is PM10 and P2 is PM2.5 (µg/m³); temperature (°C) comes from the DHT22/BME280 sensors
 * paired with them; other value types (humidity, pressure, P0, noise) have no parameter here.
 */
import { EnvironmentParameter, type EnvironmentRepositories } from "@situation/services-subgraph";
import { z } from "zod";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { absurdCoordinates, districtOf, type EnvironmentFeedRecord, type FeedMeasurement } from "../environment-readings/environment-store.js";
import { decodeUtf8, elementReject, readJsonArray } from "../generic/json-array.js";

export const SENSOR_COMMUNITY_VALUE_TYPES: Readonly<Record<string, EnvironmentParameter>> = {
  P1: EnvironmentParameter.PM10,
  P2: EnvironmentParameter.PM2_5,
  temperature: EnvironmentParameter.TEMPERATURE,
};

// The feed writes numbers as strings ("43.581", "12.30"); both are accepted.
const decimal = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/, "must be a decimal number").transform(Number)]);
const id = z.union([z.number().int().nonnegative(), z.string().trim().regex(/^\d+$/, "must be a number")]).transform(String);

export const sensorCommunityEntrySchema = z.object({
  id: id,
  timestamp: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be "YYYY-MM-DD HH:MM:SS" (UTC)')
    .transform((text) => new Date(`${text.replace(" ", "T")}Z`))
    .refine((date) => !Number.isNaN(date.getTime()), "is not a real date"),
  location: z.object({ latitude: decimal, longitude: decimal, country: z.string().optional() }),
  sensor: z.object({ id: id, sensor_type: z.object({ name: z.string().trim().min(1, "is required").max(100) }) }),
  sensordatavalues: z.array(z.object({ value_type: z.string(), value: decimal.or(z.null()) })),
});

export interface SensorCommunityParseOptions {
  filterToCity: boolean;
  city: EnvironmentRepositories["city"];
}

export function parseSensorCommunity(body: Uint8Array, options: SensorCommunityParseOptions): ParseResult<EnvironmentFeedRecord> {
  const { text, invalidBytes } = decodeUtf8(body);
  const warnings: string[] = [];
  if (invalidBytes) warnings.push("the body is not valid UTF-8: records with bytes that are not were quarantined");
  if (text.trim() === "") return { total: 0, records: [], rejects: [], listedIds: new Set(), complete: false, warnings: [...warnings, "the body is empty"] };
  let read;
  try {
    read = readJsonArray(text);
  } catch {
    // Not an array at all: an error page or another API, not a feed with bad records.
    throw new FeedRejectedError(`the body is not a Sensor.Community JSON array; it starts ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!read.complete) warnings.push("the JSON array breaks off (a truncated body?): the records after the cut were quarantined");

  const records: ParseResult<EnvironmentFeedRecord>["records"] = [];
  const rejects: RecordReject[] = [];
  const listedIds = new Set<string>();
  const firstLineOf = new Map<string, number>();
  let outside = 0;
  for (const element of read.elements) {
    const bad = elementReject(element);
    if (bad) {
      rejects.push(bad);
      continue;
    }
    const parsed = sensorCommunityEntrySchema.safeParse(element.value);
    const reject = (externalId: string | null, field: string, reason: string) => rejects.push({ line: element.line, externalId, field, reason, raw: element.raw });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      reject(null, issue.path.join(".") || "(row)", issue.message);
      continue;
    }
    const entry = parsed.data;
    // A sensor's measurement at one time; the feed's own `id` changes with every upload.
    const externalId = `${entry.sensor.id}@${entry.timestamp.toISOString()}`;
    listedIds.add(externalId);
    const { longitude, latitude } = entry.location;
    const absurd = absurdCoordinates(longitude, latitude);
    if (absurd) {
      reject(externalId, "location", absurd);
      continue;
    }
    if (options.filterToCity && districtOf(options.city, longitude, latitude) === null) {
      // The public feed is the world's sensors; the ones elsewhere are not an error.
      outside += 1;
      continue;
    }
    const earlier = firstLineOf.get(externalId);
    if (earlier !== undefined) {
      reject(externalId, "id", `sensor ${entry.sensor.id} has a measurement at the same time on line ${earlier}`);
      continue;
    }
    firstLineOf.set(externalId, element.line);
    const measurements: FeedMeasurement[] = [];
    let badValue: { field: string; reason: string } | null = null;
    for (const { value_type: valueType, value } of entry.sensordatavalues) {
      const parameter = SENSOR_COMMUNITY_VALUE_TYPES[valueType];
      if (!parameter) continue;
      if (value === null) {
        badValue ??= { field: `sensordatavalues.${valueType}`, reason: "has no value" };
        continue;
      }
      if (measurements.some((measurement) => measurement.parameter === parameter)) {
        badValue ??= { field: `sensordatavalues.${valueType}`, reason: "appears twice in one measurement" };
        continue;
      }
      measurements.push({ parameter, at: entry.timestamp, value, field: `sensordatavalues.${valueType}` });
    }
    if (badValue) {
      reject(externalId, badValue.field, badValue.reason);
      continue;
    }
    // A humidity-only or noise sensor: nothing this platform measures.
    if (measurements.length === 0) continue;
    records.push({
      line: element.line,
      externalId,
      record: {
        station: { externalId: entry.sensor.id, name: `${entry.sensor.sensor_type.name} #${entry.sensor.id}`, longitude, latitude },
        measurements,
      },
      raw: element.raw,
    });
  }
  if (outside > 0 && records.length === 0 && rejects.length === 0) warnings.push(`none of the ${outside} measurements lies inside the city`);
  return { total: read.elements.length, records, rejects, listedIds, complete: read.complete && !invalidBytes, warnings };
}
