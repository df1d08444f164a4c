/**
 * The one `graphql` instance the kit uses at run time, loaded the way Node loads it for type-graphql,
 * Apollo Server and @apollo/subgraph (graphql 16 has no `exports` map, so Node picks its CommonJS build).
 *
 * Why not `import { … } from "graphql"`: when a subgraph's tests run through vitest, Vite transforms
 * this package too and resolves `graphql` to the ESM build (`module` field), while type-graphql and
 * Apollo, loaded by Node, use the CommonJS one. Two instances break graphql's `instanceof` checks
 * ("Cannot determine GraphQL output type", "Cannot use GraphQLSchema from another module or realm").
 * Types still come from `import type … from "graphql"`; they are the same for both builds.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const graphql = require("graphql") as typeof import("graphql");
