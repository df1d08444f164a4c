/**
 * Search latency over 20,000 businesses: the business subgraph over HTTP (signed identity, as the
 * gateway calls it), on the embedded store started in this process (no MONGODB_URI). Prints p50, p95
 * and p99 per query shape. The target (p95 under 30 ms) is through the gateway, which
 * `npm run bench -w @situation/e2e -- business-search` measures (test/bench/business-search.ts); this
 * measures the subgraph's share of it. Not a test: `npm run bench -w @situation/business-subgraph` after a build.
 *
 *   --businesses N (default 20000)   --runs N per query (default 200)
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ANONYMOUS, connectMongo, createLogger, IDENTITY_HEADER, loadConfig, signIdentity } from "@situation/platform";
import { demoBusinesses } from "../seed/demo-businesses.js";
import { createBusinessServer } from "../server.js";

const { values: args } = parseArgs({
  options: { businesses: { type: "string", default: "20000" }, runs: { type: "string", default: "200" } },
});
const BUSINESSES = Number(args.businesses);
const RUNS = Number(args.runs);

const QUERIES: { label: string; variables: Record<string, unknown> }[] = [
  { label: 'Latin prefix "apot"', variables: { query: "apot" } },
  { label: 'Cyrillic "Апотека Зора"', variables: { query: "Апотека Зора" } },
  { label: 'no diacritics "gvozdara"', variables: { query: "gvozdara" } },
  { label: '"pekara" + activity 10.71', variables: { query: "pekara", activityCode: "10.71" } },
  { label: '"market" in district centar', variables: { query: "market", districtId: "centar" } },
  { label: "activity 47.73 near the centre, 1 km", variables: { activityCode: "47.73", near: { longitude: 21.3336, latitude: 43.58, radiusMeters: 1000 } } },
];
const SEARCH = `query S($query: String, $activityCode: String, $districtId: ID, $near: NearInput) {
  searchBusinesses(query: $query, activityCode: $activityCode, districtId: $districtId, near: $near, first: 20) { totalCount nodes { id name } }
}`;

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1)]!;
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, MONGODB_URI: "", LOG_LEVEL: "warn" }, { warn: () => {} });
  const logger = createLogger(config, "search-bench");
  const mongo = await connectMongo(config, { logger });
  const databaseName = `business_bench_${randomUUID().slice(0, 8)}`;
  const server = createBusinessServer({ config, mongo, logger, port: 0, databaseName, platformDatabaseName: `${databaseName}_platform` });
  try {
    const url = await server.start();
    let started = performance.now();
    const businesses = demoBusinesses(BUSINESSES).map(({ districtId: _districtId, ...business }) => business);
    for (let offset = 0; offset < businesses.length; offset += 1000) {
      await server.repositories.businesses.upsertMany(businesses.slice(offset, offset + 1000));
    }
    const loadedIn = performance.now() - started;

    console.log("Business search, the business subgraph over HTTP on the EMBEDDED store (@situation/mongo-embedded, in this process)");
    console.log(`node ${process.version}, ${process.platform}/${process.arch}; ${BUSINESSES.toLocaleString("en")} businesses loaded in ${(loadedIn / 1000).toFixed(1)} s`);
    console.log(`${RUNS} runs per query after 20 warm-up runs; milliseconds per request, first page of 20:`);
    for (const { label, variables } of QUERIES) {
      const samples: number[] = [];
      let totalCount = 0;
      for (let run = -20; run < RUNS; run++) {
        // A fresh identity token per request, as the gateway signs one per request.
        const token = await signIdentity(ANONYMOUS, config.identitySecret);
        started = performance.now();
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", [IDENTITY_HEADER]: token },
          body: JSON.stringify({ query: SEARCH, variables }),
        });
        const body = (await response.json()) as { data?: { searchBusinesses: { totalCount: number } }; errors?: unknown[] };
        if (run >= 0) samples.push(performance.now() - started);
        if (body.errors) throw new Error(`${label}: ${JSON.stringify(body.errors)}`);
        totalCount = body.data!.searchBusinesses.totalCount;
      }
      console.log(
        `  ${label.padEnd(40)} matches ${String(totalCount).padStart(5)}   p50 ${percentile(samples, 0.5).toFixed(1).padStart(6)}   p95 ${percentile(samples, 0.95).toFixed(1).padStart(6)}   p99 ${percentile(samples, 0.99).toFixed(1).padStart(6)}`,
      );
    }
  } finally {
    await server.close();
    await mongo.db(databaseName).dropDatabase();
    await mongo.db(`${databaseName}_platform`).dropDatabase();
    await mongo.close();
  }
}

await main();
