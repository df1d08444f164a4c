/**
 * Runs the benchmarks through the gateway: `npm run bench -w @situation/e2e -- [name] [options]`,
 * one by name, or every one (with its defaults) without a name, as the root `npm run bench` does.
 * Each bench module exports a function taking its own arguments; add new ones to BENCHES.
 */
import { runBusinessSearch } from "./business-search.js";
import { runDistrictSituation } from "./district-situation.js";
import { runGatewayBench } from "./gateway/run-gateway-bench.js";

const BENCHES: Record<string, (argv: readonly string[]) => Promise<void>> = {
  "business-search": runBusinessSearch,
  "district-situation": runDistrictSituation,
  gateway: runGatewayBench,
};

const [name, ...argv] = process.argv.slice(2);
if (name === undefined || name.startsWith("--")) {
  for (const [benchName, bench] of Object.entries(BENCHES)) {
    console.log(`== ${benchName}`);
    await bench(name === undefined ? [] : [name, ...argv]);
  }
} else if (BENCHES[name]) {
  await BENCHES[name](argv);
} else {
  console.error(`unknown bench ${JSON.stringify(name)}; one of: ${Object.keys(BENCHES).join(", ")}`);
  process.exitCode = 2;
}
