/**
 * The generic connector's field mapping: a source value found by a dotted path, then one transform
 * (see workers/README.md, "generic"). Each failure says which field and why, for the quarantine.
 */
import type { GenericField, GenericTransform } from "@situation/city-subgraph";
import { valueAt } from "./json-array.js";
import { zonedToUtc } from "./zoned-time.js";

export class MappingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "MappingError";
  }
}

const TRUE_WORDS = new Set(["true", "yes", "1", "y"]);
const FALSE_WORDS = new Set(["false", "no", "0", "n"]);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The mapped value; undefined when the source has none (an empty cell, a missing key, null). */
export function mapField(record: unknown, mapping: GenericField, target: string): unknown {
  const field = mapping.from ?? target;
  const raw = mapping.from === undefined ? undefined : valueAt(record, mapping.from);
  if (mapping.transform?.type === "constant") return mapping.transform.value;
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return undefined;
  return mapping.transform ? applyTransform(raw, mapping.transform, field) : typeof raw === "string" ? raw.trim() : raw;
}

export function applyTransform(raw: unknown, transform: GenericTransform, field: string): unknown {
  switch (transform.type) {
    case "number":
      return toNumber(raw, field, transform.decimalComma);
    case "scale":
      return toNumber(raw, field, transform.decimalComma) * transform.factor + transform.offset;
    case "date":
      return toDate(raw, transform.format, transform.timeZone, field);
    case "constant":
      return transform.value;
    case "enum": {
      const key = String(raw).trim();
      if (Object.hasOwn(transform.map, key)) return transform.map[key];
      if (transform.default !== undefined) return transform.default;
      throw new MappingError(field, `${JSON.stringify(key)} is not one of ${Object.keys(transform.map).join(", ")}`);
    }
    case "boolean":
      return toBoolean(raw, field);
    case "geojson":
      if (typeof raw !== "string") return raw;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new MappingError(field, "is not valid JSON");
      }
    default: {
      const unreachable: never = transform;
      throw new Error(`unknown transform ${JSON.stringify(unreachable)}`);
    }
  }
}

export function toNumber(raw: unknown, field: string, decimalComma: boolean): number {
  if (typeof raw === "number" && Number.isFinite(raw)) return raw;
  if (typeof raw === "string") {
    const text = decimalComma ? raw.trim().replaceAll(".", "").replace(",", ".") : raw.trim();
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  }
  throw new MappingError(field, `${JSON.stringify(raw)} is not a number`);
}

export function toBoolean(raw: unknown, field: string): boolean {
  if (typeof raw === "boolean") return raw;
  const word = String(raw).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new MappingError(field, `${JSON.stringify(raw)} is not true or false (or yes/no, 1/0)`);
}

export function toDate(raw: unknown, format: string, timeZone: string, field: string): Date {
  if (raw instanceof Date) return raw;
  if (format === "unix-s" || format === "unix-ms") {
    const number = toNumber(raw, field, false);
    return new Date(format === "unix-s" ? number * 1000 : number);
  }
  const text = String(raw).trim();
  if (format === "iso") {
    // A local time without its offset would mean different instants on different servers.
    if (!ISO_INSTANT.test(text)) throw new MappingError(field, `${JSON.stringify(text)} is not an ISO 8601 date-time with Z or an offset`);
    return new Date(text);
  }
  const { pattern, order } = compilePattern(format);
  const match = pattern.exec(text);
  if (!match) throw new MappingError(field, `${JSON.stringify(text)} does not have the format ${format}`);
  const parts: Record<string, number> = {};
  order.forEach((token, index) => (parts[token] = Number(match[index + 1])));
  const fields = { year: parts.YYYY!, month: parts.MM!, day: parts.DD!, hour: parts.HH ?? 0, minute: parts.mm ?? 0, second: parts.ss ?? 0 };
  const check = new Date(Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second));
  if (check.getUTCMonth() !== fields.month - 1 || check.getUTCDate() !== fields.day || fields.hour > 23 || fields.minute > 59 || fields.second > 59) {
    throw new MappingError(field, `${JSON.stringify(text)} is not a real date`);
  }
  return zonedToUtc(fields, timeZone);
}

const compiled = new Map<string, { pattern: RegExp; order: string[] }>();
function compilePattern(format: string): { pattern: RegExp; order: string[] } {
  let entry = compiled.get(format);
  if (!entry) {
    const order: string[] = [];
    const source = format.replace(/YYYY|MM|DD|HH|mm|ss|[.*+?^${}()|[\]\\]/g, (token) => {
      if (token.length === 1) return `\\${token}`;
      order.push(token);
      return token === "YYYY" ? "(\\d{4})" : "(\\d{1,2})";
    });
    entry = { pattern: new RegExp(`^${source}$`), order };
    compiled.set(format, entry);
  }
  return entry;
}
