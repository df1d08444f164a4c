#!/usr/bin/env node
/**
 * Runs MongoDB's unified-format CRUD tests against a server:
 *
 *   node dist/conformance/cli.js [DIR] [--filter TEXT] [--json FILE] [--verbose]
 *
 * DIR defaults to ../shared/conformance/mongo-crud beside the repository root. The server is
 * $MONGODB_URI when set, else an embedded server started in this process. Prints a line per failed
 * test (and per skipped test with --verbose), then the pass rate, then exactly
 * "N passed, N failed, N skipped". Exits 0 when at least 95% of the runnable tests passed.
 */
import { readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startEmbeddedMongo } from "../index.js";
import { defaultTestDirectory } from "./test-directory.js";
import { formatCounts, formatOutcome, formatPassRate, summarize } from "./report.js";
import { UnifiedRunner, type TestOutcome } from "./unified-runner.js";

const USAGE = "usage: cli.js [DIR] [--filter TEXT] [--json FILE] [--verbose]";

interface TargetServer {
  uri: string;
  close(): Promise<void>;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      filter: { type: "string" },
      json: { type: "string" },
      verbose: { type: "boolean", short: "v", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  // npm runs scripts from the package directory; INIT_CWD is where the user typed the command.
  const invocationDirectory = process.env.INIT_CWD ?? process.cwd();
  const testDirectory =
    positionals[0] !== undefined
      ? resolve(invocationDirectory, positionals[0])
      : defaultTestDirectory(invocationDirectory);
  const testFiles = (await readdir(testDirectory))
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => join(testDirectory, name));
  if (testFiles.length === 0) throw new Error(`no *.json test files in ${testDirectory}`);

  const outcomes: TestOutcome[] = [];
  const server = await startTargetServer();
  try {
    const runner = await UnifiedRunner.connect(server.uri);
    try {
      for (const testFile of testFiles) {
        for (const outcome of await runner.runFile(testFile, { descriptionFilter: values.filter })) {
          outcomes.push(outcome);
          if (outcome.status === "failed" || (outcome.status === "skipped" && values.verbose)) console.log(formatOutcome(outcome));
        }
      }
    } finally {
      await runner.close();
    }
  } finally {
    await server.close();
  }

  const summary = summarize(outcomes);
  if (values.json !== undefined) {
    const report = { testDirectory, server: process.env.MONGODB_URI ?? "embedded", summary, outcomes };
    await writeFile(resolve(invocationDirectory, values.json), `${JSON.stringify(report, null, 2)}\n`);
  }
  console.log(formatPassRate(summary));
  console.log(formatCounts(summary));
  return summary.succeeded ? 0 : 1;
}

async function startTargetServer(): Promise<TargetServer> {
  const uri = process.env.MONGODB_URI;
  if (uri !== undefined && uri !== "") return { uri, close: async () => undefined };
  return startEmbeddedMongo();
}

main(process.argv.slice(2)).then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
