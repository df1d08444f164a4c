import type { ConnectorPaging, FetchedPage, ParseResult, RecordReject } from "./connector.js";
import { fetchSource, sha256, type FetchSourceOptions } from "./fetch-source.js";
import { FeedRejectedError } from "./sync-errors.js";

export interface PagedBody {
  pages: FetchedPage[];
  /** Over every page's hash in order: equal exactly when every page's bytes are. */
  bodyHash: string;
  bytes: number;
  /** False when the page limit stopped the walk before the API's last page. */
  complete: boolean;
}

/**
 * Walks a paged API: page after page through the host's rate limit, the byte limit counting all of
 * them. No conditional requests: a 304 for one page says nothing about the others, so an unchanged
 * run is recognised by the hash over all pages instead.
 */
export async function fetchPages(
  url: string,
  paging: ConnectorPaging,
  options: Record<string, unknown>,
  fetchOptions: FetchSourceOptions & { maxBytes: number },
  acquire: (url: string) => Promise<void>,
): Promise<PagedBody> {
  const pages: FetchedPage[] = [];
  const hashes: string[] = [];
  const maxPages = paging.maxPages(options);
  let bytes = 0;
  let next: string | null = paging.first(url, options);
  const seen = new Set<string>();
  while (next !== null) {
    if (pages.length >= maxPages) return { pages, bodyHash: sha256(new TextEncoder().encode(hashes.join("\n"))), bytes, complete: false };
    // A server that points back at a page already read would keep the run going forever.
    if (seen.has(next)) throw new FeedRejectedError(`the API's page ${pages.length + 1} points back at ${next}, already read`);
    seen.add(next);
    await acquire(next);
    const remaining = fetchOptions.maxBytes - bytes;
    let fetched;
    try {
      if (remaining <= 0) throw new FeedRejectedError("no bytes left");
      fetched = await fetchSource(next, { ...fetchOptions, maxBytes: remaining, etag: null, lastModified: null });
    } catch (error) {
      // The limit bounds the run's memory, so it counts every page; say so rather than "over the limit of <remaining>".
      if (error instanceof FeedRejectedError && pages.length > 0 && /over the limit|no bytes left/.test(error.message)) {
        throw new FeedRejectedError(`the first ${pages.length + 1} pages are over the limit of ${fetchOptions.maxBytes} bytes together`, { cause: error });
      }
      throw error;
    }
    if (fetched.kind !== "body") throw new FeedRejectedError(`the API answered 304 to an unconditional request for ${next}`);
    bytes += fetched.bytes.byteLength;
    const page: FetchedPage = { url: next, index: pages.length, body: fetched.bytes, headers: fetched.headers ?? {} };
    pages.push(page);
    hashes.push(fetched.bodyHash);
    next = paging.next(page, options);
  }
  return { pages, bodyHash: sha256(new TextEncoder().encode(hashes.join("\n"))), bytes, complete: true };
}

/**
 * One result from the pages' results. An id on a later page that an earlier one had (entities
 * shifting between pages while the API was read) is quarantined like a duplicate row.
 */
export function mergePages<TRecord>(results: readonly ParseResult<TRecord>[]): ParseResult<TRecord> {
  const merged: ParseResult<TRecord> = { total: 0, records: [], rejects: [], listedIds: new Set(), complete: true, warnings: [] };
  const pageOf = new Map<string, number>();
  for (const [index, result] of results.entries()) {
    merged.total += result.total;
    merged.complete &&= result.complete;
    merged.warnings.push(...result.warnings.map((warning) => (results.length > 1 ? `page ${index + 1}: ${warning}` : warning)));
    merged.rejects.push(...result.rejects);
    for (const id of result.listedIds) merged.listedIds.add(id);
    for (const record of result.records) {
      const earlier = pageOf.get(record.externalId);
      if (earlier !== undefined) {
        const reject: RecordReject = { line: record.line, externalId: record.externalId, field: "id", reason: `duplicates a record of page ${earlier + 1}`, raw: record.raw };
        merged.rejects.push(reject);
        continue;
      }
      pageOf.set(record.externalId, index);
      merged.records.push(record);
    }
  }
  return merged;
}
