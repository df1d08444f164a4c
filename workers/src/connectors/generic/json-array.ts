/**
 * Reading JSON feeds so that one bad element does not cost the others: the body is decoded (bytes
 * that are not UTF-8 are marked, not fatal), and an array's elements are cut out one by one, so a
 * malformed element is quarantined on its own and a truncated body still lands every element that
 * arrived whole. Shared by the JSON connectors (sensor-community, ngsi-ld, open-meteo, generic).
 */
import type { RecordReject } from "../../sync/connector.js";

export interface DecodedBody {
  text: string;
  /** Some bytes were not UTF-8; they read as U+FFFD. */
  invalidBytes: boolean;
}

export function decodeUtf8(body: Uint8Array): DecodedBody {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(body), invalidBytes: false };
  } catch {
    return { text: new TextDecoder("utf-8").decode(body), invalidBytes: true };
  }
}

export interface JsonElement {
  /** The line the element starts on (1-based). */
  line: number;
  raw: string;
  /** The parsed element; undefined when it is not valid JSON (then `error` says why). */
  value: unknown;
  error?: string;
}

export interface JsonArrayRead {
  elements: JsonElement[];
  /** False when the array breaks off before its closing bracket (a truncated body). */
  complete: boolean;
}

/**
 * The elements of the JSON array that starts at `start` in `text` (at its `[`). Strings and nesting
 * are tracked so commas and brackets inside elements do not split them.
 */
export function readJsonArray(text: string, start = text.search(/\S/)): JsonArrayRead {
  if (start < 0 || text[start] !== "[") throw new SyntaxError("is not a JSON array");
  const elements: JsonElement[] = [];
  let line = 1 + countNewlines(text, 0, start);
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elementStart = -1;
  let elementLine = line;
  const finish = (end: number) => {
    const raw = text.slice(elementStart, end).trim();
    elementStart = -1;
    if (raw === "") return;
    try {
      elements.push({ line: elementLine, raw, value: JSON.parse(raw) });
    } catch (error) {
      elements.push({ line: elementLine, raw, value: undefined, error: error instanceof Error ? error.message : String(error) });
    }
  };
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index]!;
    if (char === "\n") line += 1;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (elementStart < 0 && !/\s/.test(char) && !(depth === 0 && (char === "," || char === "]"))) {
      elementStart = index;
      elementLine = line;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      if (depth === 0) {
        // The array's own closing bracket.
        if (elementStart >= 0) finish(index);
        return { elements, complete: true };
      }
      depth -= 1;
    } else if (char === "," && depth === 0) {
      if (elementStart >= 0) finish(index);
    }
  }
  // Broke off: the element under way is not whole, whether or not it happens to parse.
  if (elementStart >= 0) {
    const raw = text.slice(elementStart).trim();
    if (raw !== "") elements.push({ line: elementLine, raw, value: undefined, error: "is cut off (the body ends inside it)" });
  }
  return { elements, complete: false };
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let index = from; index < to; index++) if (text.charCodeAt(index) === 10) count += 1;
  return count;
}

/** The quarantine entry of an element that is not JSON, or carries bytes that were not UTF-8. */
export function elementReject(element: JsonElement, externalId: string | null = null): RecordReject | null {
  if (element.error !== undefined) return { line: element.line, externalId, field: "(row)", reason: `is not valid JSON: ${element.error}`, raw: element.raw };
  if (element.raw.includes("\uFFFD")) return { line: element.line, externalId, field: "(encoding)", reason: "has bytes that are not UTF-8", raw: element.raw };
  return null;
}

/** Follows a dotted path (`data.items`, `properties.name`, `values.0`) into a value. */
export function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The offset of the value at a dotted path of object keys, for reading a nested array element by element; -1 when absent. */
export function offsetOfPath(text: string, path: string | undefined): number {
  const start = text.search(/\S/);
  if (!path) return start;
  // Parsing whole is the only sure way to find the path; a body that does not parse falls back to a search for the last key.
  const key = path.split(".").at(-1)!;
  const match = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:\\s*\\[`).exec(text);
  return match ? match.index + match[0].length - 1 : -1;
}
