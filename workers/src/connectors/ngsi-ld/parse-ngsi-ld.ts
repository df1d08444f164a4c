/**
 * Entities of a FIWARE context broker's NGSI-LD API (`/ngsi-ld/v1/entities?type=…`), in the
 * normalized representation (`{ "type": "Property", "value": … }`) or with `options=keyValues`,
 * mapped by Smart Data Model type:
 * - `AirQualityObserved` and `WeatherObserved` become readings of a station per entity (its id and
 *   `location`), at `dateObserved`, converted from the attribute's `unitCode` (UN/CEFACT) when given;
 * - `Alert` becomes an outage when the source maps its `subCategory` to a service (a disruption of
 *   water, heating, …) and its `location` is an area; every other Alert is quarantined with the
 *   reason: the data model has no weather, traffic or health alerts, and the environment alerts are
 *   the services subgraph's own, raised from the readings through its thresholds.
 */
import type { NgsiLdOptions } from "@situation/city-subgraph";
import { EnvironmentParameter, OutageStatus, ServiceKind, toMultiPolygon, type OutageFeedRecord } from "@situation/services-subgraph";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { absurdCoordinates, type EnvironmentFeedRecord, type FeedMeasurement } from "../environment-readings/environment-store.js";
import { decodeUtf8, elementReject, readJsonArray } from "../generic/json-array.js";

export type NgsiLdRecord = { target: "readings"; record: EnvironmentFeedRecord } | { target: "outages"; record: OutageFeedRecord };

type Convert = (value: number) => number;
interface AttributeSpec {
  parameter: EnvironmentParameter;
  /** The Smart Data Model's unit when the attribute has no unitCode. */
  defaultUnit: string;
  units: Readonly<Record<string, Convert>>;
}

const same: Convert = (value) => value;
const MASS_CONCENTRATION = { GQ: same, GP: (value: number) => value * 1000 };
const AIR_QUALITY: Readonly<Record<string, AttributeSpec>> = {
  pm10: { parameter: EnvironmentParameter.PM10, defaultUnit: "GQ", units: MASS_CONCENTRATION },
  pm25: { parameter: EnvironmentParameter.PM2_5, defaultUnit: "GQ", units: MASS_CONCENTRATION },
  no2: { parameter: EnvironmentParameter.NO2, defaultUnit: "GQ", units: MASS_CONCENTRATION },
  o3: { parameter: EnvironmentParameter.O3, defaultUnit: "GQ", units: MASS_CONCENTRATION },
};
const TEMPERATURE: AttributeSpec = { parameter: EnvironmentParameter.TEMPERATURE, defaultUnit: "CEL", units: { CEL: same, FAH: (value) => ((value - 32) * 5) / 9 } };
const WEATHER: Readonly<Record<string, AttributeSpec>> = {
  temperature: TEMPERATURE,
  precipitation: { parameter: EnvironmentParameter.PRECIPITATION, defaultUnit: "MMT", units: { MMT: same, "4H": same } },
  windSpeed: { parameter: EnvironmentParameter.WIND_SPEED, defaultUnit: "MTS", units: { MTS: same, KMH: (value) => value / 3.6, KNT: (value) => value * 0.514444 } },
  windDirection: { parameter: EnvironmentParameter.WIND_DIRECTION, defaultUnit: "DD", units: { DD: same } },
};
/** By Smart Data Model type, the attributes read; AirQualityObserved often carries temperature too. */
const OBSERVED_TYPES: Readonly<Record<string, Readonly<Record<string, AttributeSpec>>>> = {
  AirQualityObserved: { ...AIR_QUALITY, temperature: TEMPERATURE },
  WeatherObserved: WEATHER,
};

export interface NgsiLdParseOptions {
  target: "readings" | "outages";
  alertOutages: NgsiLdOptions["alertOutages"];
  fetchedAt: Date;
}

/** A Property's value in either representation; `{ "@type": "DateTime", "@value": … }` unwrapped. */
function propertyOf(entity: Record<string, unknown>, name: string): { value: unknown; unitCode: string | undefined } | undefined {
  const attribute = entity[name];
  if (attribute === undefined) return undefined;
  let value: unknown = attribute;
  let unitCode: string | undefined;
  if (attribute !== null && typeof attribute === "object" && !Array.isArray(attribute) && "value" in attribute) {
    value = (attribute as { value: unknown }).value;
    const code = (attribute as { unitCode?: unknown }).unitCode;
    unitCode = typeof code === "string" ? code : undefined;
  }
  if (value !== null && typeof value === "object" && "@value" in value) value = (value as { "@value": unknown })["@value"];
  return { value, unitCode };
}

function dateOf(entity: Record<string, unknown>, name: string): Date | null | string {
  const property = propertyOf(entity, name);
  if (property === undefined || property.value === null) return null;
  if (typeof property.value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(property.value)) {
    return "must be an ISO 8601 date-time with Z or an offset";
  }
  return new Date(property.value);
}

function textOf(entity: Record<string, unknown>, name: string): string | undefined {
  const value = propertyOf(entity, name)?.value;
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export function parseNgsiLd(body: Uint8Array, options: NgsiLdParseOptions): ParseResult<NgsiLdRecord> {
  const { text, invalidBytes } = decodeUtf8(body);
  const warnings: string[] = [];
  if (invalidBytes) warnings.push("the body is not valid UTF-8: entities with bytes that are not were quarantined, and nothing was ended");
  if (text.trim() === "") return { total: 0, records: [], rejects: [], listedIds: new Set(), complete: false, warnings: [...warnings, "the body is empty: nothing was ended"] };
  let read;
  try {
    read = readJsonArray(text);
  } catch {
    // A broker answers errors as a ProblemDetails object: the request or the API is wrong, not one entity.
    throw new FeedRejectedError(`the body is not an NGSI-LD entity array; it starts ${JSON.stringify(text.slice(0, 120))}`);
  }
  if (!read.complete) warnings.push("the JSON array breaks off (a truncated body?): the entities after the cut were quarantined, and nothing was ended");
  const records: ParseResult<NgsiLdRecord>["records"] = [];
  const rejects: RecordReject[] = [];
  const listedIds = new Set<string>();
  const lineOf = new Map<string, number>();
  for (const element of read.elements) {
    const idValue = element.value !== null && typeof element.value === "object" ? (element.value as { id?: unknown }).id : undefined;
    const id = typeof idValue === "string" && idValue.trim() !== "" ? idValue.trim() : null;
    const bad = elementReject(element, id);
    if (bad) {
      if (id) listedIds.add(id);
      rejects.push(bad);
      continue;
    }
    const reject = (field: string, reason: string) => rejects.push({ line: element.line, externalId: id, field, reason, raw: element.raw });
    if (element.value === null || typeof element.value !== "object" || Array.isArray(element.value)) {
      reject("(row)", "is not an NGSI-LD entity object");
      continue;
    }
    const entity = element.value as Record<string, unknown>;
    if (!id || !/^urn:ngsi-ld:/i.test(id) || id.length > 200) {
      reject("id", "must be a URN of at most 200 characters, e.g. urn:ngsi-ld:AirQualityObserved:centar-01");
      continue;
    }
    listedIds.add(id);
    const earlier = lineOf.get(id);
    if (earlier !== undefined) {
      reject("id", `duplicates the entity on line ${earlier}`);
      continue;
    }
    lineOf.set(id, element.line);
    const type = typeof entity.type === "string" ? entity.type.replace(/^https:\/\/smartdatamodels\.org\/dataModel\.\w+\//, "") : "";
    const mapped = type === "Alert" ? mapAlert(entity, id, options) : OBSERVED_TYPES[type] ? mapObserved(entity, id, OBSERVED_TYPES[type]!, options) : { field: "type", reason: `${JSON.stringify(entity.type)} is not a type this connector maps (AirQualityObserved, WeatherObserved, Alert)` };
    if ("reason" in mapped) {
      reject(mapped.field, mapped.reason);
      continue;
    }
    records.push({ line: element.line, externalId: id, record: mapped, raw: element.raw });
  }
  return { total: read.elements.length, records, rejects, listedIds, complete: read.complete && !invalidBytes, warnings };
}

type Mapped = NgsiLdRecord | { field: string; reason: string };

function mapObserved(entity: Record<string, unknown>, id: string, attributes: Readonly<Record<string, AttributeSpec>>, options: NgsiLdParseOptions): Mapped {
  if (options.target !== "readings") return { field: "type", reason: `${String(entity.type)} entities are readings; this source's target is outages` };
  const at = dateOf(entity, "dateObserved");
  if (at === null) return { field: "dateObserved", reason: "is required" };
  if (typeof at === "string") return { field: "dateObserved", reason: at };
  const location = propertyOf(entity, "location")?.value as { type?: unknown; coordinates?: unknown } | undefined;
  if (!location || location.type !== "Point" || !Array.isArray(location.coordinates) || location.coordinates.length < 2) {
    return { field: "location", reason: "must be a GeoProperty whose value is a GeoJSON Point" };
  }
  const [longitude, latitude] = location.coordinates as [unknown, unknown];
  const absurd = typeof longitude === "number" && typeof latitude === "number" ? absurdCoordinates(longitude, latitude) : "coordinates must be numbers";
  if (absurd) return { field: "location", reason: absurd };
  const measurements: FeedMeasurement[] = [];
  for (const [name, spec] of Object.entries(attributes)) {
    const property = propertyOf(entity, name);
    if (property === undefined || property.value === null) continue;
    if (typeof property.value !== "number" || !Number.isFinite(property.value)) return { field: name, reason: `${JSON.stringify(property.value)} is not a number` };
    const unit = property.unitCode ?? spec.defaultUnit;
    const convert = spec.units[unit];
    if (!convert) return { field: `${name}.unitCode`, reason: `${JSON.stringify(unit)} is not a unit this connector reads for ${name} (${Object.keys(spec.units).join(", ")})` };
    measurements.push({ parameter: spec.parameter, at, value: Math.round(convert(property.value) * 1000) / 1000, field: name });
  }
  if (measurements.length === 0) return { field: "(row)", reason: `has none of the attributes ${Object.keys(attributes).join(", ")}` };
  const name = textOf(entity, "name") ?? id.replace(/^urn:ngsi-ld:[^:]+:/i, "");
  return { target: "readings", record: { station: { externalId: id, name: name.slice(0, 200), longitude: longitude as number, latitude: latitude as number }, measurements } };
}

function mapAlert(entity: Record<string, unknown>, id: string, options: NgsiLdParseOptions): Mapped {
  if (options.target !== "outages") return { field: "type", reason: "Alert entities can only become outages; this source's target is readings" };
  const category = textOf(entity, "category") ?? "(none)";
  const subCategory = textOf(entity, "subCategory");
  const mapping = options.alertOutages.find((entry) => entry.subCategory === subCategory);
  if (!mapping) {
    return {
      field: "subCategory",
      reason: `an Alert of category ${category}/${subCategory ?? "(none)"} is not a service disruption this source maps (options.alertOutages); the data model has no other alerts`,
    };
  }
  const area = toMultiPolygon(propertyOf(entity, "location")?.value);
  if (typeof area === "string") return { field: "location", reason: `an outage needs an area: ${area}` };
  const issued = dateOf(entity, "dateIssued");
  const from = dateOf(entity, "validFrom");
  const to = dateOf(entity, "validTo");
  for (const [field, value] of [["dateIssued", issued], ["validFrom", from], ["validTo", to]] as const) {
    if (typeof value === "string") return { field, reason: value };
  }
  const startsAt = (from as Date | null) ?? (issued as Date | null);
  if (!startsAt) return { field: "validFrom", reason: "is required when dateIssued is absent" };
  const endsAt = to as Date | null;
  if (endsAt && endsAt.getTime() <= startsAt.getTime()) return { field: "validTo", reason: "must be after validFrom" };
  const now = options.fetchedAt.getTime();
  const status = endsAt && endsAt.getTime() <= now ? OutageStatus.RESOLVED : startsAt.getTime() > now ? OutageStatus.ANNOUNCED : OutageStatus.ACTIVE;
  const description = (textOf(entity, "description") ?? `${category}: ${subCategory}`).slice(0, 2000);
  return {
    target: "outages",
    record: {
      externalId: id,
      providerId: mapping.providerId,
      kind: mapping.kind as ServiceKind,
      // Announced ahead of its start: planned work, not a failure.
      planned: issued instanceof Date && startsAt.getTime() > issued.getTime(),
      startsAt,
      expectedEndAt: endsAt,
      status,
      description,
      affectedArea: area,
    },
  };
}

/** The paging of `/ngsi-ld/v1/entities`: `limit`/`offset`, following a `Link: <…>; rel="next"` when the broker sends one. */
export function ngsiLdFirstPage(url: string, options: Pick<NgsiLdOptions, "pageSize">): string {
  const first = new URL(url);
  first.searchParams.set("limit", String(options.pageSize));
  first.searchParams.set("offset", "0");
  // NGSILD-Results-Count tells when the last page has been read.
  first.searchParams.set("count", "true");
  return first.toString();
}

export function ngsiLdNextPage(previous: { url: string; body: Uint8Array; headers: Readonly<Record<string, string>> }): string | null {
  const link = previous.headers.link;
  if (link) {
    for (const part of link.split(",")) {
      const match = /<([^>]+)>\s*;(.*)/.exec(part.trim());
      if (match && /rel="?next"?/.test(match[2]!)) return new URL(match[1]!, previous.url).toString();
    }
  }
  const url = new URL(previous.url);
  const limit = Number(url.searchParams.get("limit"));
  const offset = Number(url.searchParams.get("offset") ?? 0);
  if (!Number.isInteger(limit) || limit <= 0) return null;
  const count = Number(previous.headers["ngsild-results-count"]);
  if (Number.isInteger(count)) {
    if (offset + limit >= count) return null;
  } else {
    // No count: a short page is the last one.
    let elements: number;
    try {
      elements = readJsonArray(new TextDecoder().decode(previous.body)).elements.length;
    } catch {
      return null;
    }
    if (elements < limit) return null;
  }
  url.searchParams.set("offset", String(offset + limit));
  return url.toString();
}
