/**
 * Business search through the gateway (issue 6's target: p95 under 30 ms over 20,000 businesses).
 *
 * Starts the whole stack in this process as the e2e tests do (embedded store in memory, the three
 * subgraphs and the gateway over real HTTP, demo seed), stores 20,000 businesses through the business
 * subgraph's own repository (the path the registry import takes), a third of them named in Cyrillic
 * as the registry holds them, then times `searchBusinesses` by kind of query, after a warm-up: a name
 * prefix in Latin, in Cyrillic and without diacritics, an activity, a district, a point and radius.
 * Each is timed in two forms, with `totalCount` and without (the count reads every match, the page
 * only its own), all taking turns, so that a slow moment of the machine spreads over all of them.
 *
 *   npm run bench -w @situation/e2e -- business-search [--businesses 20000] [--runs 200] [--warmup 20]
 *
 * Figures are of the embedded store on this machine, not of MongoDB: they are labelled so.
 */
import { parseArgs } from "node:util";
import { BUSINESS_DATABASE, BusinessRepository, demoBusinesses, toSerbianCyrillic } from "@situation/business-subgraph";
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { startStack, type Stack } from "../support/stack.js";

const TARGET_P95_MS = 30;
/** Businesses stored per repository call: the registry import's batch size. */
const LOAD_BATCH = 1000;

export interface BusinessSearchOptions {
  businesses: number;
  runs: number;
  warmup: number;
}

export function parseBusinessSearchOptions(argv: readonly string[]): BusinessSearchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      businesses: { type: "string", default: "20000" },
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
    },
  });
  const count = (name: keyof typeof values, minimum: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < minimum) throw new RangeError(`--${name} must be an integer of at least ${minimum}`);
    return value;
  };
  return { businesses: count("businesses", 1), runs: count("runs", 1), warmup: count("warmup", 0) };
}

interface SearchVariables {
  query?: string;
  activityCode?: string;
  districtId?: string;
  near?: { longitude: number; latitude: number; radiusMeters: number };
}

/** A kind of query and the variants it cycles through (so no single cached answer is timed). */
interface QueryKind {
  name: string;
  variants: SearchVariables[];
}

function centreOf(districtId: string): { longitude: number; latitude: number } {
  const district = KRUSEVAC_DISTRICTS.find((candidate) => candidate.id === districtId);
  if (!district) throw new Error(`no district ${districtId}`);
  const [longitude, latitude] = district.centre.coordinates as [number, number];
  return { longitude, latitude };
}

const KINDS: QueryKind[] = [
  { name: "name prefix, Latin", variants: [{ query: "apot" }, { query: "Pekara Zo" }, { query: "frizer" }] },
  { name: "name, Cyrillic", variants: [{ query: "Апотека Зора" }, { query: "пекара" }, { query: "Кафе Ли" }] },
  { name: "name, no diacritics", variants: [{ query: "gvozdara" }, { query: "stomatoloska" }, { query: "zupa" }] },
  { name: "activity", variants: [{ activityCode: "47.73" }, { activityCode: "56.30" }, { activityCode: "10.71" }] },
  { name: "in a district", variants: [{ districtId: "centar" }, { districtId: "bagdala" }, { districtId: "jasika" }] },
  {
    name: "near a point",
    variants: [
      { near: { ...centreOf("centar"), radiusMeters: 1000 } },
      { near: { ...centreOf("lazarica"), radiusMeters: 500 } },
      { near: { ...centreOf("bagdala"), radiusMeters: 2000 } },
    ],
  },
];

/**
 * What a search page shows: the page's businesses with what a list needs, the next cursor, and, in
 * the first form, how many match in all (a count reads every match; the page only its own).
 */
const searchDocument = (withCount: boolean) => `query Search($query: String, $activityCode: String, $districtId: ID, $near: NearInput) {
  searchBusinesses(query: $query, activityCode: $activityCode, districtId: $districtId, near: $near, first: 20) {
    ${withCount ? "totalCount" : ""}
    pageInfo { hasNextPage endCursor }
    nodes { id name tradingName activity { code label } address { street number city } location { coordinates } }
  }
}`;
const FORMS = [
  { label: "first page of 20 with totalCount", document: searchDocument(true) },
  { label: "first page of 20, no totalCount", document: searchDocument(false) },
];

interface SearchAnswer {
  searchBusinesses: { totalCount: number; nodes: { id: string; name: string }[] };
}

/** Stores the demo businesses, every third named in Cyrillic, through the business repository. */
async function loadBusinesses(stack: Stack, count: number): Promise<void> {
  const repository = new BusinessRepository(stack.mongo.db(BUSINESS_DATABASE));
  const businesses = demoBusinesses(count).map(({ districtId: _districtId, ...business }, index) =>
    index % 3 === 0 ? { ...business, name: toSerbianCyrillic(business.name) } : business,
  );
  for (let offset = 0; offset < businesses.length; offset += LOAD_BATCH) {
    await repository.upsertMany(businesses.slice(offset, offset + LOAD_BATCH));
  }
}

async function search(stack: Stack, variables: SearchVariables, document = FORMS[0]!.document): Promise<SearchAnswer["searchBusinesses"]> {
  const answer = await stack.query<SearchAnswer>(document, { ...variables });
  if (answer.status !== 200 || answer.errors || !answer.data) {
    throw new Error(`${JSON.stringify(variables)}: HTTP ${answer.status} ${JSON.stringify(answer.errors)}`);
  }
  return answer.data.searchBusinesses;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(samples: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

const CYRILLIC = /[\u0400-\u04FF]/;

export async function runBusinessSearch(argv: readonly string[]): Promise<void> {
  const options = parseBusinessSearchOptions(argv);
  const stack = await startStack({ name: "bench-business-search" });
  try {
    let started = performance.now();
    await loadBusinesses(stack, options.businesses);
    console.log(
      `loaded ${options.businesses.toLocaleString("en")} businesses in ${((performance.now() - started) / 1000).toFixed(1)} s (business repository, a third named in Cyrillic)`,
    );

    // What each variant finds, once: a search that finds nothing would time nothing worth knowing.
    for (const kind of KINDS) {
      const found = await Promise.all(kind.variants.map((variables) => search(stack, variables)));
      const described = kind.variants.map((variables, index) => {
        const { totalCount, nodes } = found[index]!;
        const cyrillic = nodes.filter((node) => CYRILLIC.test(node.name)).length;
        return `${JSON.stringify(variables.query ?? variables.activityCode ?? variables.districtId ?? variables.near)}: ${totalCount} (first page ${cyrillic} Cyrillic, ${nodes.length - cyrillic} Latin)`;
      });
      if (found.some((page) => page.totalCount === 0)) throw new Error(`${kind.name}: a variant finds nothing: ${described.join("; ")}`);
      console.log(`  ${kind.name}: ${described.join("; ")}`);
    }

    // Forms and kinds take turns, so that a slow moment of the machine spreads over all of them.
    const samples = FORMS.map(() => new Map<string, number[]>(KINDS.map((kind) => [kind.name, []])));
    for (let round = -options.warmup; round < options.runs; round += 1) {
      for (const kind of KINDS) {
        const variables = kind.variants[(round + options.warmup) % kind.variants.length]!;
        for (const [form, { document }] of FORMS.entries()) {
          started = performance.now();
          await search(stack, variables, document);
          const elapsed = performance.now() - started;
          if (round >= 0) samples[form]!.get(kind.name)!.push(elapsed);
        }
      }
    }

    const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;
    const verdict = (p95: number) => (p95 < TARGET_P95_MS ? "met" : "NOT met");
    for (const [form, { label }] of FORMS.entries()) {
      console.log(
        `searchBusinesses through the gateway, ${label} — EMBEDDED store (@situation/mongo-embedded), ` +
          `node ${process.version}; ${options.runs} runs per kind after ${options.warmup} warm-up rounds; target p95 < ${TARGET_P95_MS} ms:`,
      );
      for (const [name, kindSamples] of samples[form]!) {
        const { p50, p95, p99 } = summary(kindSamples);
        console.log(`  ${name.padEnd(22)} p50 ${ms(p50)}   p95 ${ms(p95)}   p99 ${ms(p99)}   ${verdict(p95)}`);
      }
      const overall = summary([...samples[form]!.values()].flat());
      console.log(`  ${"overall".padEnd(22)} p50 ${ms(overall.p50)}   p95 ${ms(overall.p95)}   p99 ${ms(overall.p99)}   ${verdict(overall.p95)}`);
    }
  } finally {
    await stack.close();
  }
}
