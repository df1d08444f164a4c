/** What other workspaces (the launcher, end-to-end tests) may import from the workers. */
export { createOutageSyncWorker, type OutageSyncWorker, type OutageSyncWorkerOptions } from "./worker.js";
export {
  OUTAGE_SYNC_QUEUE,
  OUTAGE_SYNC_SCHEDULER_ID,
  OUTAGE_SYNC_JOB,
  DEFAULT_SYNC_ATTEMPTS,
  DEFAULT_SYNC_BACKOFF_MS,
  type OutageSyncJobData,
} from "./outage-sync/outage-sync-queue.js";
export { syncOutageFeed, feedSourceName, MAX_REPORTED_REJECTS, type OutageSyncResult } from "./outage-sync/sync-outage-feed.js";
export { parseOutageFeed, type ParsedFeed, type RowReject } from "./outage-feed/parse-feed.js";
export { fetchFeedText, DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT_MS, type FetchFeedOptions } from "./outage-feed/fetch-feed.js";
export { FEED_COLUMNS, feedRowSchema, type FeedColumn } from "./outage-feed/feed-row.js";
export { FeedRejectedError, FeedUnavailableError } from "./outage-feed/feed-errors.js";
export {
  createRequestEscalationWorker,
  type RequestEscalationWorker,
  type RequestEscalationWorkerOptions,
  type RequestEscalationJobData,
  type RequestEscalationResult,
} from "./request-escalation/request-escalation.worker.js";
export {
  REQUEST_ESCALATION_QUEUE,
  ESCALATE_REQUEST_JOB,
  SWEEP_OVERDUE_JOB,
  SWEEP_OVERDUE_SCHEDULER_ID,
  DEFAULT_SWEEP_INTERVAL_MS,
  escalationJobId,
  type EscalateRequestJobData,
} from "./request-escalation/request-escalation-queue.js";
export { escalateRequest, sweepOverdueRequests, type SweepResult } from "./request-escalation/escalate-overdue.js";
