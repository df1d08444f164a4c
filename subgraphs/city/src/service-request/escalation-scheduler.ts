/**
 * The hook through which intake and the lifecycle arm and disarm a request's escalation. The city
 * subgraph only calls it; `@situation/platform` implements it with a BullMQ delayed job per request,
 * and `main.ts` hands that implementation to `createCityServer({ escalations })`.
 */
export interface EscalationScheduler {
  /** Arms the escalation of `requestId` at `at` (its resolutionDueAt); calling it again re-arms it. */
  schedule(requestId: string, at: Date): Promise<void>;
  /** Disarms it: the request was resolved, closed or rejected. Safe when nothing is armed. */
  cancel(requestId: string): Promise<void>;
}

/** The default when no scheduler is given: nothing is armed (the escalation sweeper still finds overdue requests). */
export const NO_ESCALATIONS: EscalationScheduler = Object.freeze({
  async schedule() {},
  async cancel() {},
});

/**
 * Names shared by the scheduler (this subgraph, on intake) and the processor (`@situation/workers`),
 * kept here because the workers depend on this subgraph, not the other way round.
 */
export const REQUEST_ESCALATION_QUEUE = "request-escalation";
/** The per-request delayed job's name. */
export const ESCALATE_REQUEST_JOB = "escalate-request";

/**
 * The delayed job's id for a request. BullMQ refuses custom ids with a single ':' ("Custom Id cannot
 * contain :"), so the separator is '-'; one id per request makes scheduling it again replace the job.
 */
export function escalationJobId(requestId: string): string {
  return `escalate-${requestId}`;
}
