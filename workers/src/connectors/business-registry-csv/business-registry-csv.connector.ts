import { Readable } from "node:stream";
import { SyncConnectorKind, type BusinessRegistryCsvOptions } from "@situation/city-subgraph";
import { importRegistryRecords, type BusinessRepository, type RegistryRecord } from "@situation/business-subgraph";
import { parse, type CsvError } from "csv-parse";
import type { ConsumeResult, RecordReject, StreamingConnector } from "../../sync/connector.js";
import { MAX_QUARANTINED_PER_RUN } from "../../sync/run-sync.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { locateColumns, readRegistryRow, type ColumnIndexes } from "./registry-row.js";

/** Rows upserted at once: large enough for few round trips, small enough to keep memory flat. */
export const REGISTRY_BATCH_SIZE = 1_000;

interface CsvRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

interface PendingRow {
  line: number;
  raw: string;
  record: RegistryRecord;
}

/**
 * The business registry's CSV export (format: workers/README.md) into the business subgraph's
 * businesses, keyed by registry number. Streamed: rows are parsed as the body arrives (csv-parse's
 * stream API) and upserted in batches of REGISTRY_BATCH_SIZE, so tens of thousands of rows never sit
 * in memory together, nor does the body.
 */
export function createBusinessRegistryCsvConnector(businesses: BusinessRepository): StreamingConnector<RegistryRecord> {
  return {
    kind: SyncConnectorKind.BUSINESS_REGISTRY_CSV,
    accept: "text/csv, text/plain;q=0.5",
    // The registry is not a time series: a backfill reads it as a whole.
    inPeriod: () => true,
    consume: (chunks, context) => consumeRegistry(businesses, chunks, context.options as BusinessRegistryCsvOptions),
    // A company struck off stays in the platform (its reports and history do); nothing ends.
    endMissing: async () => 0,
    isFullSnapshot: () => false,
  };
}

export async function consumeRegistry(
  businesses: BusinessRepository,
  chunks: AsyncIterable<Uint8Array>,
  options: Pick<BusinessRegistryCsvOptions, "columns" | "delimiter" | "newBusinessLocation">,
): Promise<ConsumeResult> {
  const result: ConsumeResult = { total: 0, inserted: 0, updated: 0, unchanged: 0, rejects: [], rejectedCount: 0, listedIds: new Set(), complete: true, warnings: [] };
  const newLocation = { type: "Point" as const, coordinates: options.newBusinessLocation as [number, number] };
  const encoding = { invalid: false };
  const { delimiter, body } = await withDelimiter(checkedUtf8(chunks, encoding), options.delimiter);
  let brokenCsv = false;
  const reject = (entry: RecordReject) => {
    result.rejectedCount += 1;
    if (result.rejects.length < MAX_QUARANTINED_PER_RUN) result.rejects.push(entry);
  };
  const source = Readable.from(body);
  const parser = source.pipe(
    parse({
      bom: true,
      delimiter,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error: CsvError | undefined, raw: string | undefined) => {
        brokenCsv = true;
        result.total += 1;
        reject({ line: typeof error?.lines === "number" ? error.lines : null, externalId: null, field: "(row)", reason: `is not valid CSV: ${error?.message ?? "unreadable"}`, raw: raw ?? "" });
        return undefined;
      },
    }),
  );
  // pipe() does not pass a source's failure on (a timeout, a body over maxBytes): without this the
  // rows loop below would wait for an end that never comes.
  source.once("error", (error) => parser.destroy(error));

  let columns: ColumnIndexes | undefined;
  let headerLength = 0;
  let struckOff = 0;
  let batch: PendingRow[] = [];
  // Every registry number seen (a number listed twice is the later row's mistake), as a number: 8
  // digits are a small integer to V8, so 30,000 of them cost far less than as strings.
  const firstLineOf = new Map<number, number>();
  let lastRow: { cells: number; raw: string } | undefined;

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const written = await importRegistryRecords(businesses, rows.map(({ record }) => record), newLocation);
    result.inserted += written.inserted;
    result.updated += written.updated;
    result.unchanged += written.unchanged;
    for (const refused of written.refused) {
      const row = rows.find(({ record }) => record.registryNumber === refused.registryNumber);
      reject({ line: row?.line ?? null, externalId: refused.registryNumber, field: refused.field, reason: refused.reason, raw: row?.raw ?? "" });
    }
  };

  for await (const { record: cells, raw, info } of parser as AsyncIterable<CsvRow>) {
    if (!columns) {
      const located = locateColumns(cells, options.columns);
      if (located.missing.length > 0) {
        parser.destroy();
        throw new FeedRejectedError(`the registry export's header lacks the column(s) ${located.missing.join(", ")}; it has ${cells.join(", ")}`);
      }
      columns = located.columns;
      headerLength = cells.length;
      continue;
    }
    result.total += 1;
    const line = info.lines;
    const text = raw.replace(/\r?\n$/, "");
    lastRow = { cells: cells.length, raw };
    const registryCell = columns.registryNumber === undefined ? "" : (cells[columns.registryNumber] ?? "").trim();
    const externalId = registryCell === "" ? null : registryCell.slice(0, 200);
    if (encoding.invalid && raw.includes("\uFFFD")) {
      reject({ line, externalId, field: "(encoding)", reason: "has bytes that are not UTF-8", raw: text });
      continue;
    }
    if (cells.length !== headerLength) {
      reject({ line, externalId, field: "(row)", reason: `has ${cells.length} cells, the header has ${headerLength}`, raw: text });
      continue;
    }
    const outcome = readRegistryRow(cells, columns);
    if (outcome.kind === "struck-off") {
      struckOff += 1;
      continue;
    }
    if (outcome.kind === "reject") {
      reject({ line, externalId, field: outcome.field, reason: outcome.reason, raw: text });
      continue;
    }
    const key = Number(outcome.record.registryNumber);
    const earlier = firstLineOf.get(key);
    if (earlier !== undefined) {
      reject({ line, externalId: outcome.record.registryNumber, field: "registryNumber", reason: `duplicates the row at line ${earlier}`, raw: text });
      continue;
    }
    firstLineOf.set(key, line);
    batch.push({ line, raw: text, record: outcome.record });
    if (batch.length >= REGISTRY_BATCH_SIZE) await flush();
  }
  await flush();

  if (!columns) {
    result.complete = false;
    result.warnings.push("the body is empty");
  }
  if (encoding.invalid) {
    result.complete = false;
    result.warnings.push("the body is not valid UTF-8: rows with bytes that are not were quarantined");
  }
  if (brokenCsv) {
    result.complete = false;
    result.warnings.push("the CSV breaks off or has an unclosed quote (a truncated file?): the rows after it were quarantined");
  }
  if (lastRow && lastRow.cells !== headerLength && !/\n$/.test(lastRow.raw)) {
    result.complete = false;
    result.warnings.push("the last row is cut short (a truncated file?)");
  }
  if (struckOff > 0) result.warnings.push(`${struckOff} companies struck off the registry were not imported`);
  result.rejects.sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
  return result;
}

/** Passes the bytes on unchanged, noting whether they are valid UTF-8 (csv-parse decodes with U+FFFD). */
async function* checkedUtf8(chunks: AsyncIterable<Uint8Array>, state: { invalid: boolean }): AsyncIterable<Uint8Array> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const chunk of chunks) {
    if (!state.invalid) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        state.invalid = true;
      }
    }
    yield chunk;
  }
  if (!state.invalid) {
    try {
      decoder.decode();
    } catch {
      // A multi-byte sequence cut off by the end of the body.
      state.invalid = true;
    }
  }
}

/**
 * Reads up to the end of the header line to pick the delimiter (`auto`: the one the header uses
 * more, `;` on a tie, as APR exports for Serbian locales do), then yields the whole body on.
 */
async function withDelimiter(
  chunks: AsyncIterable<Uint8Array>,
  configured: BusinessRegistryCsvOptions["delimiter"],
): Promise<{ delimiter: ";" | ","; body: AsyncIterable<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  if (configured === "auto") {
    let seen = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      head.push(next.value);
      seen += next.value.byteLength;
      if (next.value.includes(0x0a) || seen > 64 * 1024) break;
    }
  }
  let delimiter: ";" | "," = configured === "," ? "," : ";";
  if (configured === "auto") {
    const headerLine = Buffer.concat(head).toString("utf8").split("\n", 1)[0] ?? "";
    const count = (character: string) => headerLine.split(character).length - 1;
    delimiter = count(",") > count(";") ? "," : ";";
  }
  async function* body(): AsyncIterable<Uint8Array> {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { delimiter, body: body() };
}
