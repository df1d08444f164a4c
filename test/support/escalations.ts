/**
 * The escalation scheduler the city subgraph's `main.ts` builds: one BullMQ delayed job per request on
 * the `request-escalation` queue under `config.redisPrefix`, job id `escalate-<requestId>`, job name
 * `escalate-request`, data `{ requestId }`, due at the request's resolutionDueAt.
 *
 * Unlike `main.ts`, a scheduling failure is not swallowed: a test wants to see it, not have the sweep
 * cover for it.
 */
import {
  ESCALATE_REQUEST_JOB,
  escalationJobId,
  REQUEST_ESCALATION_QUEUE,
  type EscalationScheduler,
} from "@situation/city-subgraph";
import { createDelayedJobQueue, type Logger, type PlatformConfig } from "@situation/platform";

export interface QueueEscalations {
  scheduler: EscalationScheduler;
  /** Closes the producer queue and its connection. Safe twice. */
  close(): Promise<void>;
}

export function createQueueEscalations(config: Pick<PlatformConfig, "redisUrl" | "redisPrefix">, logger: Logger): QueueEscalations {
  const queue = createDelayedJobQueue({ config, queueName: REQUEST_ESCALATION_QUEUE, jobName: ESCALATE_REQUEST_JOB, logger });
  return {
    scheduler: {
      schedule: (requestId, at) => queue.schedule(escalationJobId(requestId), at, { requestId }),
      cancel: (requestId) => queue.cancel(escalationJobId(requestId)),
    },
    close: () => queue.close(),
  };
}
