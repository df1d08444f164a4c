/**
 * Names shared by whoever schedules request escalations (the city subgraph, on intake) and whoever
 * processes them (this worker). The contract is `docs/contact-center.md`, section "Escalation".
 */
export { ESCALATE_REQUEST_JOB, escalationJobId, REQUEST_ESCALATION_QUEUE } from "@situation/city-subgraph";
/** The periodic sweep's job name and its scheduler id (one per platform; upserting it again replaces it). */
export const SWEEP_OVERDUE_JOB = "sweep-overdue-requests";
export const SWEEP_OVERDUE_SCHEDULER_ID = "sweep-overdue-requests";

export interface EscalateRequestJobData {
  requestId: string;
}

export type SweepOverdueJobData = Record<string, never>;

export const DEFAULT_ESCALATION_ATTEMPTS = 5;
export const DEFAULT_ESCALATION_BACKOFF_MS = 5_000;
/** How often the sweep runs; it catches requests whose delayed job was lost. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Requests the sweep reads per batch (it reads batches until none is left). */
export const DEFAULT_SWEEP_BATCH_SIZE = 100;
