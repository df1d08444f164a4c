import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { formatCounts, formatOutcome, formatPassRate, summarize } from "./report.js";
import { defaultTestDirectory, findRepositoryRoot } from "./test-directory.js";
import type { TestOutcome } from "./unified-runner.js";

const outcome = (status: TestOutcome["status"], reason?: string): TestOutcome => ({ file: "f.json", description: "d", status, reason });

describe("summarize", () => {
  it("computes the pass rate over runnable tests only", () => {
    const summary = summarize([...Array.from({ length: 19 }, () => outcome("passed")), outcome("failed"), outcome("skipped")]);
    expect(summary).toMatchObject({ passed: 19, failed: 1, skipped: 1, passRate: 0.95, succeeded: true });
    expect(formatCounts(summary)).toBe("19 passed, 1 failed, 1 skipped");
    expect(formatPassRate(summary)).toMatch(/^pass rate: 95\.0% of 20 runnable tests/);
  });

  it("fails below 95% and when nothing was runnable", () => {
    expect(summarize([...Array.from({ length: 18 }, () => outcome("passed")), outcome("failed")]).succeeded).toBe(false);
    expect(summarize([outcome("skipped")])).toMatchObject({ passRate: undefined, succeeded: false });
  });
});

describe("formatOutcome", () => {
  it("puts file, description and reason on one line", () => {
    expect(formatOutcome(outcome("failed", "operation 1 (find):\nexpected 1"))).toBe("FAIL f.json > d: operation 1 (find): expected 1");
    expect(formatOutcome(outcome("skipped", "needs server <= 4.99"))).toBe("SKIP f.json > d: needs server <= 4.99");
  });
});

describe("defaultTestDirectory", () => {
  it("walks up to the package.json that declares workspaces", () => {
    const root = mkdtempSync(join(tmpdir(), "conformance-root-"));
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "root", workspaces: ["packages/*"] }));
    const packageDirectory = join(root, "packages", "inner");
    mkdirSync(packageDirectory, { recursive: true });
    writeFileSync(join(packageDirectory, "package.json"), JSON.stringify({ name: "inner" }));
    expect(findRepositoryRoot(packageDirectory)).toBe(root);
    expect(defaultTestDirectory(packageDirectory)).toBe(resolve(root, "../shared/conformance/mongo-crud"));
  });
});
