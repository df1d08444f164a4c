import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // The stack loads the subgraphs' type-graphql classes into the test process. Vite would resolve
    // `graphql` to its ESM build (`module` field) while type-graphql and Apollo, loaded by Node, get the
    // CommonJS build: two graphql instances break `instanceof` checks ("Cannot determine GraphQL output
    // type"). Point the tests at the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["e2e/**/*.test.ts", "bench/**/*.test.ts"],
    // Each file starts a whole stack (embedded store, three subgraphs, gateway) or the launcher's five
    // processes; the machines have 2 cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
