import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Vite resolves `graphql` to its ESM build (`module` field) while type-graphql and Apollo, loaded by
    // Node, get the CommonJS build: two graphql instances break `instanceof` checks. Point the tests at
    // the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["src/**/*.test.ts"],
    // Building three subgraph schemas and composing them takes a few seconds on these 2-core machines.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
