/**
 * How long the contact center's reports take over a year of data: 50,000 service requests and
 * 200,000 logged contacts from a deterministic generator, in the embedded store started in this
 * process (no MONGODB_URI). The contacts are inserted directly, as a database that predates recorded
 * first contacts holds them, so the one-off first-contact migration runs and is timed. Prints the p50
 * of several runs per grouping, for the whole year and for its last month. Not a test:
 * `npm run bench -w @situation/city-subgraph` after a build.
 *
 *   --requests N   (default 50000)   --contacts N (default 200000)   --runs N (default 5)
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import { connectMongo, createLogger, loadConfig } from "@situation/platform";
import { ReportDimension } from "../reports/request-report.model.js";
import { requestPipeline, SERVICE_REQUESTS_COLLECTION } from "../reports/request-report.repository.js";
import { CONTACTS_COLLECTION } from "../contact-log/contact.repository.js";
import { openCityRepositories } from "../repositories.js";
import { DAY, generateContacts, generateRequests, YEAR_END, YEAR_START } from "./report-data.js";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "50000" },
    contacts: { type: "string", default: "200000" },
    runs: { type: "string", default: "5" },
  },
});
const REQUESTS = Number(args.requests);
const CONTACTS = Number(args.contacts);
const RUNS = Number(args.runs);

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, MONGODB_URI: "", LOG_LEVEL: "warn" }, { warn: () => {} });
  const logger = createLogger(config, "reports-bench");
  const mongo = await connectMongo(config, { logger });
  const databaseName = `city_bench_${randomUUID().slice(0, 8)}`;
  try {
    const repositories = openCityRepositories(mongo, { databaseName });
    const db = mongo.db(databaseName);
    let started = performance.now();
    const { documents, index } = generateRequests(REQUESTS);
    for (let offset = 0; offset < documents.length; offset += 5000) {
      await db.collection(SERVICE_REQUESTS_COLLECTION).insertMany(documents.slice(offset, offset + 5000) as never[], { ordered: false });
    }
    let batch: Record<string, unknown>[] = [];
    for (const contact of generateContacts(CONTACTS, index)) {
      batch.push(contact);
      if (batch.length === 5000) {
        await db.collection(CONTACTS_COLLECTION).insertMany(batch as never[], { ordered: false });
        batch = [];
      }
    }
    if (batch.length > 0) await db.collection(CONTACTS_COLLECTION).insertMany(batch as never[], { ordered: false });
    const insertedIn = performance.now() - started;
    started = performance.now();
    await repositories.contacts.backfillFirstContacts();
    const backfilledIn = performance.now() - started;
    started = performance.now();
    await repositories.ensureIndexes();
    const indexedIn = performance.now() - started;

    console.log("Contact-center reports, measured on the EMBEDDED store (@situation/mongo-embedded, in this process)");
    console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
    console.log(
      `data: ${REQUESTS.toLocaleString("en")} requests, ${CONTACTS.toLocaleString("en")} contacts over ${YEAR_START.toISOString().slice(0, 10)}..${YEAR_END.toISOString().slice(0, 10)}; ` +
        `inserted in ${(insertedIn / 1000).toFixed(1)} s, first-contact migration in ${(backfilledIn / 1000).toFixed(1)} s, indexes in ${(indexedIn / 1000).toFixed(1)} s`,
    );
    // CPU time (this process: the store and the client) beside the wall clock: on a machine shared with
    // other work the wall clock also counts waiting for a core, the CPU time much less so.
    console.log(`p50 of ${RUNS} runs after one warm-up, milliseconds per requestReport (wall clock, and CPU time of this process):`);
    const periods = [
      { label: "whole year", from: YEAR_START, to: YEAR_END },
      { label: "last month", from: new Date(YEAR_END.getTime() - 30 * DAY), to: YEAR_END },
    ];
    const results: string[] = [];
    let worst = 0;
    for (const period of periods) {
      for (const dimension of Object.values(ReportDimension)) {
        const samples: number[] = [];
        const cpuSamples: number[] = [];
        let rows = 0;
        for (let run = 0; run <= RUNS; run++) {
          const cpu = process.cpuUsage();
          const at = performance.now();
          const report = await repositories.reports.requestReport(period, dimension);
          const elapsed = performance.now() - at;
          const used = process.cpuUsage(cpu);
          rows = report.length;
          if (run > 0) {
            samples.push(elapsed);
            cpuSamples.push((used.user + used.system) / 1000);
          }
        }
        const median = p50(samples);
        worst = Math.max(worst, median);
        results.push(
          `  ${period.label.padEnd(11)} ${dimension.toUpperCase().padEnd(9)} ${median.toFixed(0).padStart(6)} ms   (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}; CPU ${p50(cpuSamples).toFixed(0)} ms; ${rows} rows)`,
        );
        console.log(results.at(-1));
      }
    }
    console.log(`slowest p50: ${worst.toFixed(0)} ms (target: under 200 ms each) → ${worst < 200 ? "MET" : "NOT MET"}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`);
    // Where the time goes: the pipeline alone (in the store, through the driver) against the whole call.
    console.log("breakdown, CATEGORY, p50 ms: the aggregation alone");
    for (const period of periods) {
      const samples: number[] = [];
      for (let n = 0; n <= RUNS; n++) {
        const at = performance.now();
        await db.collection(SERVICE_REQUESTS_COLLECTION).aggregate(requestPipeline(period.from, period.to, "$categoryCode")).toArray();
        if (n > 0) samples.push(performance.now() - at);
      }
      console.log(`  ${period.label.padEnd(11)} ${p50(samples).toFixed(0).padStart(6)} ms`);
    }
  } finally {
    await mongo.db(databaseName).dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

await main();
