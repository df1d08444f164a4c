/** What the escalation jobs do, apart from BullMQ: easy to test with a hand-made repository. */
import type { Logger } from "@situation/platform";
import type { ServiceRequestRepository } from "@situation/city-subgraph";

/** The part of the city subgraph's repository escalation uses (`docs/contact-center.md`). */
export type EscalationRepository = Pick<ServiceRequestRepository, "escalateIfOverdue" | "findOverdueOpen">;

export type EscalationOutcome = Awaited<ReturnType<ServiceRequestRepository["escalateIfOverdue"]>>;

export interface SweepResult {
  /** Overdue open requests found. */
  found: number;
  escalated: number;
  /** Found, but the repository said otherwise when asked (closed or escalated in the meantime). */
  skipped: number;
  /** Escalations that threw; the sweep goes on with the others and the next sweep tries again. */
  failed: number;
}

/** Escalates one request if it is overdue; safe to run any number of times (the repository is idempotent). */
export async function escalateRequest(
  repository: EscalationRepository,
  requestId: string,
  now: Date,
  logger: Logger,
): Promise<EscalationOutcome> {
  const outcome = await repository.escalateIfOverdue(requestId, now);
  if (outcome === "escalated") logger.info({ requestId }, "service request escalated to the department head");
  else logger.debug({ requestId, outcome }, "service request not escalated");
  return outcome;
}

/**
 * Escalates every open request past its resolution time that is not escalated yet, batch by batch.
 * Each escalated request leaves the query's result; one that failed or was declined stays at its
 * head, so the next query asks for that many more and skips them. The batch count is bounded, so
 * that a repository that keeps answering the same requests cannot keep the sweep going forever.
 */
export async function sweepOverdueRequests(
  repository: EscalationRepository,
  now: Date,
  logger: Logger,
  batchSize: number,
  maxBatches = 100,
): Promise<SweepResult> {
  const result: SweepResult = { found: 0, escalated: 0, skipped: 0, failed: 0 };
  const seen = new Set<string>();
  let stuck = 0;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const limit = batchSize + stuck;
    const overdue = (await repository.findOverdueOpen(now, limit)).map((request) => request._id);
    const fresh = overdue.filter((requestId) => !seen.has(requestId));
    for (const requestId of fresh) {
      seen.add(requestId);
      result.found += 1;
      try {
        const outcome = await escalateRequest(repository, requestId, now, logger);
        if (outcome === "escalated") result.escalated += 1;
        else {
          result.skipped += 1;
          stuck += 1;
        }
      } catch (error) {
        result.failed += 1;
        stuck += 1;
        logger.error({ err: error, requestId }, "escalating an overdue service request failed");
      }
    }
    if (fresh.length === 0 || overdue.length < limit) break;
  }
  if (result.found > 0) logger.info(result, "overdue service requests swept");
  return result;
}
