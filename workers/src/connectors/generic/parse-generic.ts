/**
 * The generic connector: JSON (the records array at a dotted path), CSV (one header row) or GeoJSON
 * (a FeatureCollection's features, paths read from the feature: `properties.name`, `id`), each
 * record mapped field by field as the source's options say, into an outage or a station's readings.
 */
import type { GenericField, GenericOptions } from "@situation/city-subgraph";
import { EnvironmentParameter, OutageStatus, ServiceKind, toMultiPolygon, type OutageFeedRecord } from "@situation/services-subgraph";
import { parse, type CsvError } from "csv-parse/sync";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { absurdCoordinates, type EnvironmentFeedRecord, type FeedMeasurement } from "../environment-readings/environment-store.js";
import { MappingError, applyTransform, mapField, toBoolean, toDate } from "./field-mapping.js";
import { decodeUtf8, elementReject, offsetOfPath, readJsonArray, valueAt, type JsonElement } from "./json-array.js";

export type GenericRecord = { target: "outages"; record: OutageFeedRecord } | { target: "readings"; record: EnvironmentFeedRecord };

interface SourceRecord {
  line: number | null;
  raw: string;
  value: unknown;
  /** Set when the record could not be read at all. */
  reject?: RecordReject;
}

interface ReadRecords {
  records: SourceRecord[];
  complete: boolean;
  warnings: string[];
}

export function parseGeneric(body: Uint8Array, options: GenericOptions): ParseResult<GenericRecord> {
  const { text, invalidBytes } = decodeUtf8(body);
  if (text.trim() === "") return { total: 0, records: [], rejects: [], listedIds: new Set(), complete: false, warnings: ["the body is empty: nothing was ended"] };
  const read = options.format === "csv" ? readCsv(text, options.delimiter) : readJson(text, options.format === "geojson" ? "features" : options.recordsPath, options.format === "geojson");
  const warnings = [...read.warnings];
  if (invalidBytes) warnings.push("the body is not valid UTF-8: records with bytes that are not were quarantined, and nothing was ended");

  const records: ParseResult<GenericRecord>["records"] = [];
  const rejects: RecordReject[] = [];
  const listedIds = new Set<string>();
  const lineOf = new Map<string, number | null>();
  for (const source of read.records) {
    if (source.reject) {
      rejects.push(source.reject);
      continue;
    }
    const idValue = valueAt(source.value, options.externalId);
    const externalId = typeof idValue === "string" || typeof idValue === "number" ? String(idValue).trim() : "";
    const reject = (field: string, reason: string, id: string | null = externalId || null) => rejects.push({ line: source.line, externalId: id, field, reason, raw: source.raw });
    if (externalId !== "") listedIds.add(externalId);
    if (source.raw.includes("\uFFFD")) {
      reject("(encoding)", "has bytes that are not UTF-8");
      continue;
    }
    if (externalId === "" || externalId.length > 200) {
      reject(options.externalId, externalId === "" ? "is required (the record's id)" : "must be at most 200 characters");
      continue;
    }
    let mapped: { id: string; record: GenericRecord };
    try {
      mapped = options.target === "outages" ? mapOutage(source.value, externalId, options) : mapReading(source.value, externalId, options);
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      reject(error.field, error.message);
      continue;
    }
    const earlier = lineOf.get(mapped.id);
    if (earlier !== undefined) {
      reject(options.externalId, `duplicates the record ${earlier === null ? "before" : `on line ${earlier}`}${options.target === "readings" ? " (same station and time)" : ""}`, mapped.id);
      continue;
    }
    lineOf.set(mapped.id, source.line);
    records.push({ line: source.line, externalId: mapped.id, record: mapped.record, raw: source.raw });
  }
  return { total: read.records.length, records, rejects, listedIds, complete: read.complete && !invalidBytes, warnings };
}

function readJson(text: string, path: string | undefined, geojson: boolean): ReadRecords {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    // A truncated body: read what arrived of the records array, element by element.
    const start = offsetOfPath(text, path);
    if (start < 0 || text[start] !== "[") throw new FeedRejectedError(`the body is not JSON with a records array at ${path ?? "its root"}`);
    const read = readJsonArray(text, start);
    return {
      records: read.elements.map((element) => fromElement(element)),
      complete: false,
      warnings: ["the body is not whole JSON (a truncated body?): the records that arrived whole were read, the rest quarantined, and nothing was ended"],
    };
  }
  if (geojson && (whole === null || typeof whole !== "object" || (whole as { type?: unknown }).type !== "FeatureCollection")) {
    throw new FeedRejectedError('the body is not a GeoJSON FeatureCollection (its "type" must be "FeatureCollection")');
  }
  const array = path ? valueAt(whole, path) : whole;
  if (!Array.isArray(array)) throw new FeedRejectedError(`the body has no records array at ${path ?? "its root"}`);
  // Lines are those of the array's elements when the body is laid out one per line; element order otherwise.
  const start = offsetOfPath(text, path);
  const elements = start >= 0 && text[start] === "[" ? readJsonArray(text, start).elements : [];
  return {
    records: array.map((value, index) => {
      const element = elements[index];
      return element && element.error === undefined ? fromElement(element) : { line: null, raw: JSON.stringify(value), value };
    }),
    complete: true,
    warnings: [],
  };
}

function fromElement(element: JsonElement): SourceRecord {
  const reject = element.error === undefined ? null : elementReject(element);
  return reject ? { line: element.line, raw: element.raw, value: undefined, reject } : { line: element.line, raw: element.raw, value: element.value };
}

interface CsvRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

function readCsv(text: string, delimiter: string): ReadRecords {
  const broken: SourceRecord[] = [];
  const rows = parse(text, {
    bom: true,
    info: true,
    raw: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      const line = typeof error?.lines === "number" ? error.lines : null;
      broken.push({ line, raw: raw ?? "", value: undefined, reject: { line, externalId: null, field: "(row)", reason: `is not valid CSV: ${error?.message ?? "unreadable"}`, raw: raw ?? "" } });
      return undefined;
    },
  }) as unknown as CsvRow[];
  const [header, ...dataRows] = rows;
  const warnings = broken.length > 0 ? ["the CSV breaks off or has an unclosed quote (a truncated file?): the rows after it were quarantined, and nothing was ended"] : [];
  if (!header) return { records: broken, complete: false, warnings };
  const columns = header.record.map((name) => name.trim());
  let complete = broken.length === 0;
  const records: SourceRecord[] = dataRows.map(({ record: cells, raw, info }, index) => {
    const line = info.lines;
    const text = raw.replace(/\r?\n$/, "");
    if (cells.length !== columns.length) {
      if (index === dataRows.length - 1 && !/\n$/.test(raw)) {
        complete = false;
        warnings.push("the last row is cut short (a truncated file?): nothing was ended");
      }
      return { line, raw: text, value: undefined, reject: { line, externalId: null, field: "(row)", reason: `has ${cells.length} cells, the header has ${columns.length}`, raw: text } };
    }
    return { line, raw: text, value: Object.fromEntries(columns.map((column, at) => [column, cells[at]])) };
  });
  return { records: [...records, ...broken].sort((left, right) => (left.line ?? 0) - (right.line ?? 0)), complete, warnings };
}

function required(record: unknown, mapping: GenericField, target: string): unknown {
  const value = mapField(record, mapping, target);
  if (value === undefined) throw new MappingError(mapping.from ?? target, `is required (${target})`);
  return value;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== "string" && typeof value !== "number") throw new MappingError(field, "must be text");
  const result = String(value).trim();
  if (result === "" || result.length > max) throw new MappingError(field, `must be text of 1 to ${max} characters`);
  return result;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  const word = String(value).trim().toLowerCase() as T;
  if (!allowed.includes(word)) throw new MappingError(field, `${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  return word;
}

function asDate(value: unknown, field: string): Date {
  // A mapping without a date transform hands over text: it must then be an ISO instant.
  const date = value instanceof Date ? value : toDate(value, "iso", "UTC", field);
  if (Number.isNaN(date.getTime())) throw new MappingError(field, "is not a date");
  return date;
}

function mapOutage(record: unknown, externalId: string, options: GenericOptions): { id: string; record: GenericRecord } {
  const mapping = options.outage!;
  const field = (name: keyof typeof mapping) => mapping[name]?.from ?? name;
  const startsAt = asDate(required(record, mapping.startsAt, "startsAt"), field("startsAt"));
  const endValue = mapping.expectedEndAt ? mapField(record, mapping.expectedEndAt, "expectedEndAt") : undefined;
  const expectedEndAt = endValue === undefined ? null : asDate(endValue, field("expectedEndAt"));
  if (expectedEndAt && expectedEndAt.getTime() <= startsAt.getTime()) throw new MappingError(field("expectedEndAt"), "must be after startsAt");
  const areaValue = mapping.area ? required(record, mapping.area, "area") : valueAt(record, "geometry");
  const area = toMultiPolygon(typeof areaValue === "string" ? applyTransform(areaValue, { type: "geojson" }, field("area")) : areaValue);
  if (typeof area === "string") throw new MappingError(mapping.area?.from ?? "geometry", area);
  const plannedValue = required(record, mapping.planned, "planned");
  return {
    id: externalId,
    record: {
      target: "outages",
      record: {
        externalId,
        providerId: text(required(record, mapping.providerId, "providerId"), field("providerId"), 200),
        kind: oneOf(required(record, mapping.kind, "kind"), Object.values(ServiceKind), field("kind")),
        planned: toBoolean(plannedValue, field("planned")),
        startsAt,
        expectedEndAt,
        status: oneOf(required(record, mapping.status, "status"), Object.values(OutageStatus), field("status")),
        description: text(required(record, mapping.description, "description"), field("description"), 2000),
        affectedArea: area,
      },
    },
  };
}

function mapReading(record: unknown, stationId: string, options: GenericOptions): { id: string; record: GenericRecord } {
  const mapping = options.reading!;
  const at = asDate(required(record, mapping.at, "at"), mapping.at.from ?? "at");
  let longitude: unknown;
  let latitude: unknown;
  if (mapping.longitude && mapping.latitude) {
    longitude = applyTransform(required(record, mapping.longitude, "longitude"), { type: "number", decimalComma: false }, mapping.longitude.from ?? "longitude");
    latitude = applyTransform(required(record, mapping.latitude, "latitude"), { type: "number", decimalComma: false }, mapping.latitude.from ?? "latitude");
  } else {
    const geometry = valueAt(record, "geometry") as { type?: unknown; coordinates?: unknown } | undefined;
    if (!geometry || geometry.type !== "Point" || !Array.isArray(geometry.coordinates)) throw new MappingError("geometry", "must be a GeoJSON Point");
    [longitude, latitude] = geometry.coordinates as unknown[];
  }
  if (typeof longitude !== "number" || typeof latitude !== "number") throw new MappingError("geometry", "coordinates must be numbers");
  const absurd = absurdCoordinates(longitude, latitude);
  if (absurd) {
    const latitudeAtFault = Math.abs(latitude) > 90 && Math.abs(longitude) <= 180;
    throw new MappingError((latitudeAtFault ? mapping.latitude?.from : mapping.longitude?.from) ?? "geometry", absurd);
  }
  const nameValue = mapping.stationName ? mapField(record, mapping.stationName, "stationName") : undefined;
  const measurements: FeedMeasurement[] = [];
  for (const value of mapping.values) {
    const mapped = mapField(record, { from: value.from, ...(value.transform ? { transform: value.transform } : {}) }, value.parameter);
    if (mapped === undefined) continue;
    const number = typeof mapped === "number" ? mapped : applyTransform(mapped, { type: "number", decimalComma: false }, value.from);
    measurements.push({ parameter: value.parameter as EnvironmentParameter, at, value: number as number, field: value.from });
  }
  if (measurements.length === 0) throw new MappingError(mapping.values[0]!.from, `has none of the values ${mapping.values.map(({ from }) => from).join(", ")}`);
  return {
    id: `${stationId}@${at.toISOString()}`,
    record: {
      target: "readings",
      record: {
        station: { externalId: stationId, name: nameValue === undefined ? stationId : text(nameValue, mapping.stationName!.from ?? "stationName", 200), longitude, latitude },
        measurements,
      },
    },
  };
}
