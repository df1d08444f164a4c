/**
 * Throughput of the sync pipeline: an outage CSV feed of N records (default 100,000) served over
 * local HTTP with an ETag, synced into the embedded store started in this process (no
 * MONGODB_URI) through `runSync` — fetch, parse and validate, hashed upserts through the services
 * repository, run history. Then the same feed again twice: as a run-now (reprocessed, every content
 * hash equal, so no write) and as a scheduled run (a 304). Counts the write commands each run sends
 * to the services database. Not a test: `npm run bench -w @situation/workers` after a build.
 *
 *   --records N   (default 100000)
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { openCityRepositories, SyncConnectorKind, SyncTarget, SyncTrigger } from "@situation/city-subgraph";
import { connectMongo, createLogger, loadConfig } from "@situation/platform";
import { DEMO_PROVIDERS, openServicesRepositories } from "@situation/services-subgraph";
import { MongoClient } from "mongodb";
import { createOutageCsvConnector } from "../connectors/outage-csv/outage-csv.connector.js";
import type { Connector } from "../sync/connector.js";
import { runSync, type SyncRunResult } from "../sync/run-sync.js";

const { values: args } = parseArgs({ options: { records: { type: "string", default: "100000" } } });
const RECORDS = Number(args.records);

function feed(records: number): string {
  const area = '"{""type"":""Polygon"",""coordinates"":[[[21.33,43.57],[21.34,43.57],[21.34,43.58],[21.33,43.57]]]}"';
  const rows = ["external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson"];
  for (let index = 0; index < records; index += 1) {
    rows.push(`B-${index},jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,Радови у улици ${index},${area}`);
  }
  return `${rows.join("\n")}\n`;
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, MONGODB_URI: "", LOG_LEVEL: "warn" }, { warn: () => {} });
  const logger = createLogger(config, "sync-bench");
  const mongo = await connectMongo(config, { logger });
  const client = new MongoClient(mongo.uri, { monitorCommands: true });
  const suffix = randomUUID().slice(0, 8);
  const servicesDb = `bench_services_${suffix}`;
  const cityDb = `bench_city_${suffix}`;
  let writes = 0;
  client.on("commandStarted", (event) => {
    if (event.databaseName === servicesDb && ["insert", "update", "delete", "findAndModify"].includes(event.commandName)) writes += 1;
  });
  await client.connect();
  const body = feed(RECORDS);
  const server = createServer((request, response) => {
    if (request.headers["if-none-match"] === '"bench"') {
      response.writeHead(304, { etag: '"bench"' }).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/csv", etag: '"bench"' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench.csv`;
  try {
    const db = { db: (name: string) => client.db(name) };
    const services = openServicesRepositories(db, { databaseName: servicesDb });
    await services.ensureIndexes();
    await services.providers.upsertMany(DEMO_PROVIDERS);
    const city = openCityRepositories(db, { databaseName: cityDb });
    await Promise.all([city.syncSources.ensureIndexes(), city.syncRuns.ensureIndexes(), city.syncQuarantine.ensureIndexes()]);
    await city.syncSources.create(
      {
        id: "bench",
        name: "Benchmark feed",
        kind: SyncConnectorKind.OUTAGE_CSV,
        url,
        schedule: { everyMs: 3_600_000 },
        options: { maxBytes: 256 * 1024 * 1024, timeoutMs: 300_000 },
        target: SyncTarget.OUTAGES,
        maxAgeMs: 3_600_000,
      },
      "bench",
    );
    const connectors = new Map<string, Connector>([[SyncConnectorKind.OUTAGE_CSV, createOutageCsvConnector(services) as Connector]]);
    const dependencies = { city, connectors, rateLimiter: { acquire: async () => {} }, logger };

    const timed = async (label: string, trigger: SyncTrigger): Promise<number> => {
      const source = (await city.syncSources.findById("bench"))!;
      writes = 0;
      const started = performance.now();
      const result: SyncRunResult = await runSync(dependencies, { source, jobId: label, attempt: 1, trigger, period: null });
      const ms = performance.now() - started;
      const perSecond = Math.round((RECORDS / ms) * 1000);
      process.stdout.write(
        `${label.padEnd(34)} ${String(Math.round(ms)).padStart(7)} ms  ${String(perSecond).padStart(8)} records/s  ` +
          `status ${result.status}, inserted ${result.inserted}, updated ${result.updated}, unchanged ${result.unchanged}, ` +
          `services writes ${writes}\n`,
      );
      return ms;
    };

    process.stdout.write(`sync pipeline, ${RECORDS} outage records, embedded store in this process (figures are the embedded store's)\n`);
    const first = await timed("first run (all inserted)", SyncTrigger.MANUAL);
    const unchanged = await timed("run-now, unchanged feed (hashes)", SyncTrigger.MANUAL);
    const notModified = await timed("scheduled, unchanged feed (304)", SyncTrigger.SCHEDULED);
    process.stdout.write(
      `unchanged re-run: ${(first / unchanged).toFixed(1)}x faster than the first run (hashes), ${(first / notModified).toFixed(0)}x (304)\n`,
    );
  } finally {
    server.close();
    await client.db(servicesDb).dropDatabase().catch(() => undefined);
    await client.db(cityDb).dropDatabase().catch(() => undefined);
    await client.close();
    await mongo.close();
  }
}

await main();
