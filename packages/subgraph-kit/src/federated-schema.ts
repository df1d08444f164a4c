/**
 * The one helper that builds every subgraph's schema, as type-graphql's `examples/apollo-federation-2`
 * does: type-graphql builds a schema from the decorated classes, it is printed as SDL with its
 * directives under a federation 2 `@link`, and `@apollo/subgraph` builds the subgraph schema from that
 * SDL with type-graphql's resolvers (plus the entities' reference resolvers).
 */
import { buildSubgraphSchema, printSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolveInfo, GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap, getMetadataStorage, type ClassType, type NonEmptyArray } from "type-graphql";
import { roleAuthChecker } from "./auth-checker.js";
import { graphql } from "./graphql-runtime.js";
import { printSchemaWithDirectives } from "./schema-printing.js";

// @apollo/subgraph does not export its resolver-map type from the package root.
type SubgraphModule = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>;

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])';

/**
 * How an entity is found from a representation `{ __typename, id, ... }` that the gateway sends.
 * The context is the subgraph's context (`SubgraphContext` plus what its `context` option adds).
 */
export type ReferenceResolver<TContext = unknown> = (
  reference: Record<string, unknown> & { __typename: string },
  context: TContext,
  info: GraphQLResolveInfo,
) => unknown;

/** A reference resolver for whatever context its subgraph has (parameters are contravariant). */
type AnyReferenceResolver = ReferenceResolver<never>;

export interface FederatedSchemaOptions {
  resolvers: NonEmptyArray<ClassType>;
  /** Types no resolver returns but the schema must contain (e.g. entities only reached through `_entities`). */
  orphanedTypes?: ClassType[];
  /** type-graphql's check that the schema has a Query type; off by default, since a subgraph may only extend entities. */
  skipCheck?: boolean;
  /**
   * Reference resolvers by type name, for entities whose class has no static `resolveReference`.
   * `never` as the context because only the subgraph knows its context type: a resolver for any
   * context fits here, and one that reads the context must say which it expects.
   */
  referenceResolvers?: Record<string, AnyReferenceResolver>;
}

/**
 * Builds the federated schema of a subgraph. An entity (a class with `@Directive('@key(fields: "id")')`)
 * gets its reference resolver from a static `resolveReference(reference, context, info)` method on its
 * class, or from `options.referenceResolvers[typeName]`; the explicit option wins.
 */
export async function buildFederatedSchema(options: FederatedSchemaOptions): Promise<GraphQLSchema> {
  const typeGraphqlSchema = await buildSchema({
    resolvers: options.resolvers,
    ...(options.orphanedTypes === undefined ? {} : { orphanedTypes: options.orphanedTypes }),
    authChecker: roleAuthChecker,
    skipCheck: options.skipCheck ?? true,
    validate: false,
  });

  const resolvers = createResolversMap(typeGraphqlSchema) as Record<string, Record<string, unknown>>;
  const referenceResolvers = { ...staticReferenceResolvers(typeGraphqlSchema, ownClasses(options)), ...options.referenceResolvers };
  for (const [typeName, resolveReference] of Object.entries(referenceResolvers)) {
    if (typeGraphqlSchema.getType(typeName) === undefined || typeGraphqlSchema.getType(typeName) === null) {
      throw new Error(`reference resolver for ${typeName}, which is not a type of this schema`);
    }
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference: resolveReference };
  }

  return buildSubgraphSchema({
    typeDefs: graphql.parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeGraphqlSchema)}`),
    resolvers: resolvers as SubgraphModule["resolvers"],
  });
}

/** The subgraph's SDL with its federation directives, as composition and `schemas/<name>.graphql` need it. */
export function printSubgraphSdl(schema: GraphQLSchema): string {
  return printSubgraphSchema(schema);
}

/**
 * The classes this subgraph names itself: its resolvers' `@Resolver(() => Type)` classes and its
 * orphaned types. type-graphql's metadata is global, so when two subgraphs in one process (compose,
 * end-to-end tests) both declare a `District`, only these say which one is ours.
 */
function ownClasses(options: FederatedSchemaOptions): Set<object> {
  const own = new Set<object>(options.orphanedTypes ?? []);
  const ownResolvers = new Set<object>(options.resolvers);
  for (const resolverClass of getMetadataStorage().resolverClasses) {
    if (!ownResolvers.has(resolverClass.target)) continue;
    const objectType = resolverClass.getObjectType?.();
    if (typeof objectType === "function") own.add(objectType);
  }
  return own;
}

function staticReferenceResolvers(schema: GraphQLSchema, own: Set<object>): Record<string, AnyReferenceResolver> {
  const namesakes = new Map<string, object[]>();
  for (const objectType of getMetadataStorage().objectTypes) {
    if (!schema.getType(objectType.name)) continue;
    namesakes.set(objectType.name, [...(namesakes.get(objectType.name) ?? []), objectType.target]);
  }
  const found: Record<string, AnyReferenceResolver> = {};
  for (const [typeName, classes] of namesakes) {
    const chosen = classes.length === 1 ? classes[0] : classes.find((target) => own.has(target));
    if (chosen === undefined) {
      if (classes.some((target) => typeof referenceResolverOf(target) === "function")) {
        throw new Error(
          `several classes are named ${typeName}; list this subgraph's class in orphanedTypes or pass referenceResolvers.${typeName}`,
        );
      }
      continue;
    }
    const resolveReference = referenceResolverOf(chosen);
    // Bound, so that a static method may use `this` for its class's other statics.
    if (typeof resolveReference === "function") found[typeName] = (resolveReference as AnyReferenceResolver).bind(chosen);
  }
  return found;
}

function referenceResolverOf(target: object): unknown {
  return (target as { resolveReference?: unknown }).resolveReference;
}
