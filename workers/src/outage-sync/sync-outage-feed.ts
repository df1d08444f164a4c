import type { Logger } from "@situation/platform";
import type { ServicesRepositories } from "@situation/services-subgraph";
import { fetchFeedText, type FetchFeedOptions } from "../outage-feed/fetch-feed.js";
import { parseOutageFeed, type RowReject } from "../outage-feed/parse-feed.js";

/** What one sync reports, and what the BullMQ job returns. */
export interface OutageSyncResult {
  source: string;
  feedUrl: string;
  rows: number;
  accepted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejectedCount: number;
  /** The first MAX_REPORTED_REJECTS rejects; the job result lives in Redis, so it stays bounded. */
  rejected: RowReject[];
}

export const MAX_REPORTED_REJECTS = 500;

/**
 * The provenance name of a feed: its host and path, without the query string (which may carry a
 * token, and must not change the identity of the outages it lists).
 */
export function feedSourceName(feedUrl: string): string {
  const url = new URL(feedUrl);
  return `csv:${url.host}${url.pathname}`;
}

/** Fetch → parse and validate → check providers → idempotent upsert through the services repository. */
export async function syncOutageFeed(options: {
  feedUrl: string;
  repositories: Pick<ServicesRepositories, "providers" | "outages">;
  logger: Logger;
  fetch?: FetchFeedOptions;
}): Promise<OutageSyncResult> {
  const { feedUrl, repositories, logger } = options;
  const source = feedSourceName(feedUrl);
  const text = await fetchFeedText(feedUrl, options.fetch);
  const parsed = parseOutageFeed(text);

  // A row naming an unknown provider would make an outage nobody can attribute: reject it like any bad cell.
  const knownProviders = await repositories.providers.existingIds(parsed.accepted.map(({ record }) => record.providerId));
  const rejected = [...parsed.rejected];
  const records = [];
  for (const { row, record } of parsed.accepted) {
    if (knownProviders.has(record.providerId)) {
      records.push(record);
    } else {
      rejected.push({ row, externalId: record.externalId, field: "provider_id", reason: `no provider has the id ${JSON.stringify(record.providerId)}` });
    }
  }
  rejected.sort((left, right) => left.row - right.row);

  const written = await repositories.outages.upsertFromFeed(source, records);
  const result: OutageSyncResult = {
    source,
    feedUrl,
    rows: parsed.rowCount,
    accepted: records.length,
    ...written,
    rejectedCount: rejected.length,
    rejected: rejected.slice(0, MAX_REPORTED_REJECTS),
  };
  const level = rejected.length > 0 ? "warn" : "info";
  logger[level](
    { ...result, rejected: rejected.slice(0, 20) },
    rejected.length > 0 ? "outage feed synced; some rows were rejected" : "outage feed synced",
  );
  return result;
}
