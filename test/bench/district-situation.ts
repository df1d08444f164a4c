/**
 * "Active outages and affected people per district" through the gateway (issue 5's target: p95 under
 * 50 ms with 5,000 outages and 1,000,000 environment readings stored).
 *
 * Starts the whole stack in this process as the e2e tests do (embedded store in memory, the three
 * subgraphs and the gateway over real HTTP, demo seed), loads the outages through the services
 * subgraph's own repository (the bulk feed path the workers use, not 5,000 HTTP calls) and the
 * readings through the environment feature's `ingestReadings` (as the sync workers store them), then
 * times the district view for all districts and for one, after a warm-up, and the services
 * subgraph's share of the first on its own.
 *
 *   npm run bench -w @situation/e2e -- district-situation [--outages 5000] [--readings 1000000] [--runs 200] [--warmup 20]
 *
 * Figures are of the embedded store on this machine, not of MongoDB: they are labelled so.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { IDENTITY_HEADER, issueAccessToken, signIdentity } from "@situation/platform";
import {
  DEMO_PROVIDERS,
  hexagon,
  MAX_INGEST_ITEMS,
  openServicesRepositories,
  OutageStatus,
  seedCityArea,
  ServiceKind,
  type EnvironmentParameter,
  type EnvironmentRepositories,
  type IngestReading,
  type OutageFeedRecord,
} from "@situation/services-subgraph";
import { postGraphQL } from "../support/graphql.js";
import { startStack } from "../support/stack.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TARGET_P95_MS = 50;

export interface DistrictSituationOptions {
  outages: number;
  readings: number;
  runs: number;
  warmup: number;
}

export function parseOptions(argv: readonly string[]): DistrictSituationOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      outages: { type: "string", default: "5000" },
      readings: { type: "string", default: "1000000" },
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
    },
  });
  const count = (name: keyof typeof values, minimum: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < minimum) throw new RangeError(`--${name} must be an integer of at least ${minimum}`);
    return value;
  };
  return { outages: count("outages", 0), readings: count("readings", 0), runs: count("runs", 1), warmup: count("warmup", 0) };
}

/** A deterministic generator, so every run stores the same data. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

/**
 * A year of a city's outages, as a feed would hand them over: mostly history (resolved, some
 * cancelled), a few dozen to a few hundred announced or active now. Areas from a street (100 m) to a
 * neighbourhood (3 km), anywhere inside the city's districts.
 */
export function generateOutages(count: number, now: Date): OutageFeedRecord[] {
  const next = random(20_251_125);
  const box = seedCityArea().box;
  const kinds = Object.values(ServiceKind);
  const providerOf = new Map(kinds.map((kind) => [kind, DEMO_PROVIDERS.find((provider) => provider.kind === kind)?.id ?? DEMO_PROVIDERS[0]!.id]));
  const kmPerDegreeLatitude = 111.32;
  const kmPerDegreeLongitude = kmPerDegreeLatitude * Math.cos((((box.south + box.north) / 2) * Math.PI) / 180);
  return Array.from({ length: count }, (_, index) => {
    const kind = kinds[Math.floor(next() * kinds.length)]!;
    const size = next();
    const radiusKm = size < 0.7 ? 0.1 + next() * 0.2 : size < 0.95 ? 0.3 + next() * 0.7 : 1 + next() * 2;
    // Keep the hexagon inside the city's box, as a feed's validated outages are.
    const marginLongitude = radiusKm / kmPerDegreeLongitude;
    const marginLatitude = radiusKm / kmPerDegreeLatitude;
    const centre = {
      longitude: box.west + marginLongitude + next() * (box.east - box.west - 2 * marginLongitude),
      latitude: box.south + marginLatitude + next() * (box.north - box.south - 2 * marginLatitude),
    };
    const phase = next();
    let status: OutageStatus;
    let startsAt: Date;
    let expectedEndAt: Date | null;
    if (phase < 0.04) {
      status = OutageStatus.ACTIVE;
      startsAt = new Date(now.getTime() - next() * 12 * HOUR);
      expectedEndAt = next() < 0.2 ? null : new Date(now.getTime() + (0.5 + next() * 24) * HOUR);
    } else if (phase < 0.08) {
      status = OutageStatus.ANNOUNCED;
      startsAt = new Date(now.getTime() + (1 + next() * 7 * 24) * HOUR);
      expectedEndAt = new Date(startsAt.getTime() + (2 + next() * 8) * HOUR);
    } else {
      status = phase < 0.12 ? OutageStatus.CANCELLED : OutageStatus.RESOLVED;
      startsAt = new Date(now.getTime() - (1 + next() * 364) * DAY);
      expectedEndAt = new Date(startsAt.getTime() + (1 + next() * 12) * HOUR);
    }
    return {
      externalId: `bench-${index}`,
      providerId: providerOf.get(kind)!,
      kind,
      planned: next() < 0.5,
      startsAt,
      expectedEndAt,
      status,
      description: `Bench outage ${index}`,
      affectedArea: hexagon(centre, radiusKm),
    };
  });
}

const PARAMETERS = [
  { parameter: "PM10", base: 30 },
  { parameter: "PM2_5", base: 18 },
  { parameter: "NO2", base: 25 },
  { parameter: "O3", base: 60 },
  { parameter: "TEMPERATURE", base: 12 },
] as const;
const STATIONS = 40;

/**
 * Hourly readings of 40 stations × 5 parameters, back from now (1,000,000 of them span about 208
 * days, inside the readings' retention), in batches of the most one ingest takes.
 */
function* readingBatches(count: number, now: Date): Generator<IngestReading[]> {
  const next = random(1_000_003);
  const perHour = STATIONS * PARAMETERS.length;
  let batch: IngestReading[] = [];
  for (let index = 0; index < count; index += 1) {
    const hour = Math.floor(index / perHour);
    const station = Math.floor(index / PARAMETERS.length) % STATIONS;
    const { parameter, base } = PARAMETERS[index % PARAMETERS.length]!;
    batch.push({
      stationId: `bench-station-${station}`,
      parameter,
      at: new Date(now.getTime() - hour * HOUR),
      value: Math.round(base * (0.5 + next()) * 10) / 10,
    });
    if (batch.length === MAX_INGEST_ITEMS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Registers the stations (spread over the districts) and stores the readings through the environment feature's ingest, as the sync workers do. */
async function loadReadings(environment: EnvironmentRepositories, count: number, now: Date): Promise<void> {
  for (let station = 0; station < STATIONS; station += 1) {
    const district = KRUSEVAC_DISTRICTS[station % KRUSEVAC_DISTRICTS.length]!;
    const [longitude, latitude] = district.centre.coordinates as [number, number];
    await environment.stations.insert({
      _id: `bench-station-${station}`,
      providerId: null,
      name: `Bench station ${station}`,
      location: { type: "Point", coordinates: [longitude + 0.001 * Math.floor(station / KRUSEVAC_DISTRICTS.length), latitude] },
      districtId: district.id,
      parameters: PARAMETERS.map(({ parameter }) => parameter as EnvironmentParameter),
      active: true,
      externalId: null,
      createdAt: now,
      updatedAt: now,
    });
  }
  for (const batch of readingBatches(count, now)) {
    const result = await environment.readings.ingestReadings(batch, { source: "bench" });
    if (result.rejectedCount > 0) {
      throw new Error(`the ingest rejected ${result.rejectedCount} bench readings: ${JSON.stringify(result.items.find((item) => !item.accepted)?.errors)}`);
    }
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const OUTAGE_FIELDS = "id kind status planned startsAt expectedEndAt estimatedPeopleAffected provider { name }";
const ALL_DISTRICTS = `{ districts { id nameLatin activeOutages { ${OUTAGE_FIELDS} } peopleAffectedNow } }`;
const ONE_DISTRICT = `query ($id: ID!) { district(id: $id) { id nameLatin activeOutages { ${OUTAGE_FIELDS} } peopleAffectedNow } }`;

export async function runDistrictSituation(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  const stack = await startStack({ name: "bench-district-situation" });
  try {
    const now = new Date();
    const repositories = openServicesRepositories(stack.mongo);
    let started = performance.now();
    const result = await repositories.outages.upsertFromFeed("bench", generateOutages(options.outages, now));
    console.log(`loaded ${result.inserted} outages in ${((performance.now() - started) / 1000).toFixed(1)} s (repository bulk path)`);
    started = performance.now();
    await loadReadings(repositories.environment, options.readings, now);
    console.log(`loaded ${options.readings} readings in ${((performance.now() - started) / 1000).toFixed(1)} s (environment ingestReadings)`);

    const headers = { authorization: `Bearer ${await issueAccessToken({ subject: "bench-operator", roles: ["operator"] }, stack.config.jwtSecret)}` };
    type Answer = { districts?: { activeOutages: unknown[] }[]; district?: { activeOutages: unknown[] } | null };
    const throughGateway = (query: string, variables: Record<string, unknown>) => async (): Promise<number> => {
      const answer = await stack.query<Answer>(query, variables, headers);
      if (answer.status !== 200 || answer.errors) throw new Error(`HTTP ${answer.status} ${JSON.stringify(answer.errors)}`);
      const districts = answer.data?.districts ?? (answer.data?.district ? [answer.data.district] : []);
      return districts.reduce((sum, district) => sum + district.activeOutages.length, 0);
    };
    // The services subgraph's share of the first case: the `_entities` call the gateway makes there.
    const representations = KRUSEVAC_DISTRICTS.map((district) => ({ __typename: "District", id: district.id }));
    const servicesOnly = async (): Promise<number> => {
      // Signed per request, as the gateway does: the identity token is short-lived.
      const identity = { [IDENTITY_HEADER]: await signIdentity({ subject: "bench-operator", roles: ["operator"] }, stack.config.identitySecret) };
      const answer = await postGraphQL<{ _entities: { activeOutages: unknown[] }[] }>(
        stack.subgraphUrls.services,
        {
          query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on District { activeOutages { ${OUTAGE_FIELDS} } peopleAffectedNow } } }`,
          variables: { representations },
        },
        identity,
      );
      if (answer.status !== 200 || answer.errors) throw new Error(`HTTP ${answer.status} ${JSON.stringify(answer.errors)}`);
      return answer.data!._entities.reduce((sum, district) => sum + district.activeOutages.length, 0);
    };
    const cases: { name: string; where: string; run: () => Promise<number> }[] = [
      { name: "all districts: activeOutages + peopleAffectedNow", where: "through the gateway", run: throughGateway(ALL_DISTRICTS, {}) },
      { name: "one district (centar): activeOutages + peopleAffectedNow", where: "through the gateway", run: throughGateway(ONE_DISTRICT, { id: "centar" }) },
      { name: "all districts, services subgraph's share (_entities)", where: "services subgraph alone", run: servicesOnly },
    ];
    // The cases take turns, run by run, so that a slow moment of the shared machine spreads over all of them.
    const rows = new Map<string, number>();
    const samples = new Map<string, number[]>(cases.map(({ name }) => [name, []]));
    for (let warm = 0; warm < options.warmup; warm += 1) for (const { run } of cases) await run();
    for (let sample = 0; sample < options.runs; sample += 1) {
      for (const { name, run } of cases) {
        started = performance.now();
        rows.set(name, await run());
        samples.get(name)!.push(performance.now() - started);
      }
    }
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    for (const { name, where } of cases) {
      const sorted = samples.get(name)!.sort((a, b) => a - b);
      const p95 = percentile(sorted, 95);
      console.log(
        `${name} — ${rows.get(name)} outage rows; embedded store, ${where}, ${options.runs} runs after ${options.warmup} warm-up: ` +
          `p50 ${ms(percentile(sorted, 50))}, p95 ${ms(p95)}, p99 ${ms(percentile(sorted, 99))} ` +
          `(target p95 < ${TARGET_P95_MS} ms: ${p95 < TARGET_P95_MS ? "met" : "NOT met"})`,
      );
    }
    console.log(`load average while measuring: ${loadavg().map((value) => value.toFixed(1)).join(" ")}`);
  } finally {
    await stack.close();
  }
}
