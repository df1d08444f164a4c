import type { OutageFeedRecord } from "@situation/services-subgraph";
import { parse, type CsvError } from "csv-parse/sync";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { OUTAGE_CSV_COLUMNS, outageCsvRowSchema } from "./outage-csv-row.js";

interface CsvRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

/**
 * Parses and validates the outage CSV feed. Bad rows are quarantined and skipped so that good rows
 * still land. A header without the required columns means the format changed: the whole body is
 * rejected (FeedRejectedError), since no row of it can be read right. A body that is not UTF-8, or
 * whose CSV breaks off (a truncated file, a quote never closed), still lands the rows that read
 * well, but is marked incomplete so that no outage is ended for missing from it.
 */
export function parseOutageCsv(body: Uint8Array): ParseResult<OutageFeedRecord> {
  const warnings: string[] = [];
  let complete = true;
  let text: string;
  let invalidBytes = false;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    // Decoded with U+FFFD for each bad sequence, so that the rows without one still land.
    text = new TextDecoder("utf-8").decode(body);
    invalidBytes = true;
    complete = false;
    warnings.push("the body is not valid UTF-8: rows with bytes that are not were quarantined, and no outage was ended");
  }

  const rejects: RecordReject[] = [];
  let brokenCsv = false;
  const rows = parse(text, {
    bom: true,
    info: true,
    raw: true,
    // A row with too few or too many cells is reported on its own below, not fatal for the feed.
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      brokenCsv = true;
      rejects.push({
        line: typeof error?.lines === "number" ? error.lines : null,
        externalId: null,
        field: "(row)",
        reason: `is not valid CSV: ${error?.message ?? "unreadable"}`,
        raw: raw ?? "",
      });
      return undefined;
    },
  }) as unknown as CsvRow[];
  if (brokenCsv) {
    complete = false;
    warnings.push("the CSV breaks off or has an unclosed quote (a truncated file?): the rows after it were quarantined, and no outage was ended");
  }

  const [header, ...dataRows] = rows;
  if (!header) {
    if (text.trim() === "") {
      // An empty body is more likely a failed export than a city without outages.
      return { total: 0, records: [], rejects, listedIds: new Set(), complete: false, warnings: [...warnings, "the body is empty: no outage was ended"] };
    }
    return { total: rejects.length, records: [], rejects, listedIds: new Set(), complete: false, warnings };
  }
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const missing = OUTAGE_CSV_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new FeedRejectedError(`the feed's header lacks the column(s) ${missing.join(", ")}; it has ${columns.join(", ")}`);
  }

  const records: ParseResult<OutageFeedRecord>["records"] = [];
  const listedIds = new Set<string>();
  const firstLineOf = new Map<string, number>();
  const externalIdIndex = columns.indexOf("external_id");
  for (const [index, { record: cells, raw, info }] of dataRows.entries()) {
    const line = info.lines;
    const externalId = cells[externalIdIndex]?.trim() || null;
    if (externalId) listedIds.add(externalId);
    const reject = (field: string, reason: string) => rejects.push({ line, externalId, field, reason, raw: raw.replace(/\r?\n$/, "") });
    if (invalidBytes && raw.includes("\uFFFD")) {
      reject("(encoding)", "has bytes that are not UTF-8");
      continue;
    }
    if (cells.length !== columns.length) {
      reject("(row)", `has ${cells.length} cells, the header has ${columns.length}`);
      // A last row cut short is how a truncated file usually ends.
      if (index === dataRows.length - 1 && !/\n$/.test(raw)) {
        complete = false;
        warnings.push("the last row is cut short (a truncated file?): no outage was ended");
      }
      continue;
    }
    const parsed = outageCsvRowSchema.safeParse(Object.fromEntries(columns.map((column, at) => [column, cells[at]])));
    if (!parsed.success) {
      // One quarantine entry per row, naming its first bad field; the reason lists them all.
      const [first] = parsed.error.issues;
      const reasons = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? "(row)")} ${issue.message}`);
      rejects.push({ line, externalId, field: String(first?.path[0] ?? "(row)"), reason: first?.message ?? "is invalid", raw: raw.replace(/\r?\n$/, "") });
      if (reasons.length > 1) rejects.at(-1)!.reason = `${first?.message}; also ${reasons.slice(1).join("; ")}`;
      continue;
    }
    const earlier = firstLineOf.get(parsed.data.externalId);
    if (earlier !== undefined) {
      reject("external_id", `duplicates row ${earlier}`);
      continue;
    }
    firstLineOf.set(parsed.data.externalId, line);
    records.push({ line, externalId: parsed.data.externalId, record: parsed.data, raw: raw.replace(/\r?\n$/, "") });
  }
  rejects.sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
  return { total: dataRows.length + rejects.filter((entry) => entry.field === "(row)" && entry.reason.startsWith("is not valid CSV")).length, records, rejects, listedIds, complete, warnings };
}
