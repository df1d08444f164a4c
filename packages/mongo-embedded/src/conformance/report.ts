/**
 * Summaries of a conformance run: the counts, the pass rate over runnable tests, and the lines the
 * CLI prints.
 */
import type { TestOutcome } from "./unified-runner.js";

/** The share of runnable (passed or failed) tests that must pass for the run to succeed. */
export const REQUIRED_PASS_RATE = 0.95;

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** passed / (passed + failed); undefined when nothing was runnable. */
  passRate: number | undefined;
  succeeded: boolean;
}

export function summarize(outcomes: readonly TestOutcome[]): RunSummary {
  const count = (status: TestOutcome["status"]) => outcomes.filter((outcome) => outcome.status === status).length;
  const passed = count("passed");
  const failed = count("failed");
  const skipped = count("skipped");
  const runnable = passed + failed;
  const passRate = runnable === 0 ? undefined : passed / runnable;
  return { passed, failed, skipped, passRate, succeeded: passRate !== undefined && passRate >= REQUIRED_PASS_RATE };
}

export function formatOutcome(outcome: TestOutcome): string {
  const label = outcome.status === "failed" ? "FAIL" : outcome.status === "skipped" ? "SKIP" : "PASS";
  const reason = outcome.reason === undefined ? "" : `: ${singleLine(outcome.reason)}`;
  return `${label} ${outcome.file} > ${outcome.description}${reason}`;
}

export function formatPassRate(summary: RunSummary): string {
  if (summary.passRate === undefined) return "pass rate: no runnable tests";
  const percentage = (summary.passRate * 100).toFixed(1);
  return `pass rate: ${percentage}% of ${summary.passed + summary.failed} runnable tests (required ${REQUIRED_PASS_RATE * 100}%)`;
}

/** The last line of the output, and nothing else on it. */
export function formatCounts(summary: RunSummary): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`;
}

function singleLine(text: string): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length > 400 ? `${collapsed.slice(0, 397)}...` : collapsed;
}
