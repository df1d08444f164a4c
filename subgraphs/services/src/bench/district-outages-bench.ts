/**
 * How long "active outages and people affected per district" takes at the services subgraph itself
 * (its HTTP server, no gateway): N outages spread over the city (a third active now), in the embedded
 * store started in this process (no MONGODB_URI). Asks, as the gateway would, for every seed
 * district's `activeOutages` and `peopleAffectedNow` in one `_entities` request, and separately for
 * one district's page of `activeOutages(filter: { districtId })`; prints p50/p95/p99. The issue's
 * target (p95 under 50 ms) is through the gateway with 1,000,000 readings as well: this measures the
 * subgraph's share only (the whole path is test/bench/district-situation.ts). Not a test:
 * `npm run bench -w @situation/services-subgraph` after a build.
 *
 *   --outages N (default 5000)   --runs N (default 200)
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { ANONYMOUS, connectMongo, createLogger, IDENTITY_HEADER, loadConfig, signIdentity } from "@situation/platform";
import { OutageStatus } from "../outage/outage.model.js";
import type { OutageFeedRecord } from "../outage/outage.repository.js";
import { ServiceKind } from "../provider/provider.model.js";
import { DEMO_PROVIDERS, hexagon } from "../seed/demo-data.js";
import { createServicesServer } from "../server.js";

const { values: args } = parseArgs({
  options: { outages: { type: "string", default: "5000" }, runs: { type: "string", default: "200" } },
});
const OUTAGES = Number(args.outages);
const RUNS = Number(args.runs);
const HOUR = 3_600_000;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Deterministic: the same outages every run. */
function generate(count: number, now: Date): OutageFeedRecord[] {
  let seed = 20_251_125;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const kinds = Object.values(ServiceKind);
  return Array.from({ length: count }, (_, index) => {
    const phase = index % 3;
    const kind = kinds[index % kinds.length] as ServiceKind;
    const startsAt = new Date(now.getTime() + (phase === 2 ? 24 : -1 - 48 * random()) * HOUR);
    return {
      externalId: `bench-${index}`,
      providerId: DEMO_PROVIDERS.find((provider) => provider.kind === kind)!.id,
      kind,
      planned: index % 2 === 0,
      startsAt,
      expectedEndAt: new Date(startsAt.getTime() + (phase === 1 ? 0.5 : 6 + 48 * random()) * HOUR),
      status: phase === 2 ? OutageStatus.ANNOUNCED : phase === 0 ? OutageStatus.ACTIVE : OutageStatus.RESOLVED,
      description: `Bench outage ${index}`,
      // Within ±5 km of the centre, 100–600 m across.
      affectedArea: hexagon({ longitude: 21.3336 + (random() - 0.5) * 0.12, latitude: 43.58 + (random() - 0.5) * 0.09 }, 0.1 + random() * 0.5),
    };
  });
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, MONGODB_URI: "", LOG_LEVEL: "warn" }, { warn: () => {} });
  const logger = createLogger(config, "district-outages-bench");
  const mongo = await connectMongo(config, { logger });
  const databaseName = `services_bench_${randomUUID().slice(0, 8)}`;
  const server = createServicesServer({ config, mongo, logger, port: 0, databaseName });
  try {
    const url = await server.start();
    const { providers, outages } = server.repositories;
    await providers.upsertMany(DEMO_PROVIDERS);
    let started = performance.now();
    await outages.upsertFromFeed("bench", generate(OUTAGES, new Date()));
    console.log(`loaded ${OUTAGES} outages in ${Math.round(performance.now() - started)} ms`);

    const post = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", [IDENTITY_HEADER]: await signIdentity(ANONYMOUS, config.identitySecret) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body;
    };
    const representations = KRUSEVAC_DISTRICTS.map((district) => ({ __typename: "District", id: district.id }));
    const perDistrict = (fields: string) => ({
      query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on District { id ${fields} } } }`,
      variables: { representations },
    });
    const districts = `all ${KRUSEVAC_DISTRICTS.length} districts`;
    const onePage = {
      query: `query ($districtId: ID!) { activeOutages(filter: { districtId: $districtId }, first: 20) { totalCount nodes { id } } }`,
      variables: { districtId: "centar" },
    };
    const ids = KRUSEVAC_DISTRICTS.map((district) => district.id);
    const cases: [string, () => Promise<unknown>][] = [
      ...(
        [
          [`${districts}: activeOutages + peopleAffectedNow`, perDistrict("peopleAffectedNow activeOutages { id kind status estimatedPeopleAffected }")],
          [`${districts}: peopleAffectedNow only`, perDistrict("peopleAffectedNow")],
          [`${districts}: activeOutages only`, perDistrict("activeOutages { id }")],
          ["one district: activeOutages(filter: { districtId }, first: 20)", onePage],
        ] as const
      ).map(([name, { query, variables }]): [string, () => Promise<unknown>] => [`${name} (over HTTP)`, () => post(query, variables)]),
      // The store's share, side by side with the way the district view used to read it: each
      // boundary `$geoIntersects` against every outage, one query per district.
      [`${districts}, repository: districtSituations, whole outages (one indexed query)`, () => outages.districtSituations(ids, { outages: true })],
      [
        `${districts}, repository: districtSituations, the fields of the HTTP case`,
        () => outages.districtSituations(ids, { outages: true, outageFields: ["id", "kind", "status", "estimatedPeopleAffected"] }),
      ],
      [
        `${districts}, repository: $geoIntersects per boundary (before)`,
        () => Promise.all(KRUSEVAC_DISTRICTS.map((district) => outages.findActiveIntersecting(district.boundary))),
      ],
    ];
    for (const [name, run] of cases) {
      for (let warm = 0; warm < 5; warm += 1) await run();
      const samples: number[] = [];
      for (let sample = 0; sample < RUNS; sample += 1) {
        started = performance.now();
        await run();
        samples.push(performance.now() - started);
      }
      const ms = (value: number) => `${value.toFixed(1)} ms`;
      console.log(
        `${name} (embedded store, subgraph only, ${RUNS} runs): p50 ${ms(percentile(samples, 50))}, p95 ${ms(percentile(samples, 95))}, p99 ${ms(percentile(samples, 99))}`,
      );
    }
  } finally {
    await server.close();
    await mongo.client.db(databaseName).dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

await main();
