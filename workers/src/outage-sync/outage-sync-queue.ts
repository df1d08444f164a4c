/** Names shared by whoever schedules outage syncs and whoever processes them. */
export const OUTAGE_SYNC_QUEUE = "outage-sync";
/** One scheduler per platform: upserting it again replaces its interval and feed URL. */
export const OUTAGE_SYNC_SCHEDULER_ID = "outage-feed";
export const OUTAGE_SYNC_JOB = "sync-outage-feed";

export interface OutageSyncJobData {
  feedUrl: string;
}

export const DEFAULT_SYNC_ATTEMPTS = 5;
export const DEFAULT_SYNC_BACKOFF_MS = 5_000;
