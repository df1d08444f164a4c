import type { OutageFeedRecord } from "@situation/services-subgraph";
import { CsvError, parse } from "csv-parse/sync";
import { FeedRejectedError } from "./feed-errors.js";
import { FEED_COLUMNS, feedRowSchema } from "./feed-row.js";

/** Why one row of the feed was skipped. `row` is the line of the file (the header is line 1). */
export interface RowReject {
  row: number;
  externalId: string | null;
  field: string;
  reason: string;
}

export interface ParsedFeed {
  /** Rows that passed validation, with their line. */
  accepted: { row: number; record: OutageFeedRecord }[];
  rejected: RowReject[];
  /** Data rows seen, accepted or not. */
  rowCount: number;
}

/**
 * Parses and validates the CSV outage feed. Bad rows are reported and skipped so that good rows
 * still land; a feed whose CSV cannot be read or whose header lacks a required column is rejected
 * whole (FeedRejectedError), since no row of it can be trusted.
 */
export function parseOutageFeed(text: string): ParsedFeed {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, {
      bom: true,
      info: true,
      // A row with too few or too many cells is reported on its own below, not fatal for the feed.
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const where = error instanceof CsvError && typeof error.lines === "number" ? ` at line ${error.lines}` : "";
    throw new FeedRejectedError(`the feed is not valid CSV${where}: ${(error as Error).message}`, { cause: error });
  }
  const [header, ...dataRows] = rows;
  if (!header) return { accepted: [], rejected: [], rowCount: 0 };
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const missing = FEED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new FeedRejectedError(`the feed's header lacks the column(s) ${missing.join(", ")}; it has ${columns.join(", ")}`);
  }

  const accepted: ParsedFeed["accepted"] = [];
  const rejected: RowReject[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { record: cells, info } of dataRows) {
    const row = info.lines;
    const externalIdCell = cells[columns.indexOf("external_id")]?.trim() || null;
    if (cells.length !== columns.length) {
      rejected.push({
        row,
        externalId: externalIdCell,
        field: "(row)",
        reason: `has ${cells.length} cells, the header has ${columns.length}`,
      });
      continue;
    }
    const cellsByColumn = Object.fromEntries(columns.map((column, index) => [column, cells[index]]));
    const parsed = feedRowSchema.safeParse(cellsByColumn);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        rejected.push({ row, externalId: externalIdCell, field: String(issue.path[0] ?? "(row)"), reason: issue.message });
      }
      continue;
    }
    const earlier = firstRowOf.get(parsed.data.externalId);
    if (earlier !== undefined) {
      rejected.push({ row, externalId: parsed.data.externalId, field: "external_id", reason: `duplicates row ${earlier}` });
      continue;
    }
    firstRowOf.set(parsed.data.externalId, row);
    accepted.push({ row, record: parsed.data });
  }
  return { accepted, rejected, rowCount: dataRows.length };
}
