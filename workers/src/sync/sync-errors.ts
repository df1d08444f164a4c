import { UpstreamError, type PlatformErrorOptions } from "@situation/platform";

/**
 * The feed failed in a way that may pass: a 5xx, 408/429, a timeout, a refused connection, a file
 * not there yet. The job is retried with backoff.
 */
export class FeedUnavailableError extends UpstreamError {
  constructor(message: string, options?: PlatformErrorOptions) {
    super(message, options);
    this.name = "FeedUnavailableError";
  }
}

/**
 * The feed answered, but with something no retry will fix: another 4xx, a body over the size limit,
 * a format that changed (a header without the required columns), a file outside SYNC_FILE_ROOT. The
 * sync processor turns it into BullMQ's UnrecoverableError.
 */
export class FeedRejectedError extends UpstreamError {
  constructor(message: string, options?: PlatformErrorOptions) {
    super(message, options);
    this.name = "FeedRejectedError";
  }
}
