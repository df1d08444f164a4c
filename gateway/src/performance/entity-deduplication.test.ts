import { LocalGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { ApolloGateway } from "@apollo/gateway";
import { composeServices } from "@apollo/composition";
import { ApolloServer } from "@apollo/server";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { GraphQLError, parse, type GraphQLFormattedError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneJson, deduplicateRepresentations, expandEntities, processDeduplicated, type EntityResponse } from "./entity-deduplication.js";

type Context = Record<string, unknown>;
type FetchRequest = Parameters<typeof deduplicateRepresentations>[0];

describe("deduplicateRepresentations", () => {
  const fetch = (representations: unknown, headers?: Record<string, string>) => ({
    query: "query($representations:[_Any!]!){_entities(representations:$representations){...on User{name}}}",
    variables: { representations, other: 1 },
    ...(headers === undefined ? {} : { http: { method: "POST", url: "http://subgraph", headers: new Headers(headers) } }),
  });

  it("sends each representation once, in order of first appearance, and keeps the other variables", () => {
    const a = { __typename: "User", id: "1" };
    const b = { __typename: "User", id: "2" };
    const result = deduplicateRepresentations(fetch([a, b, { ...a }, b, a]) as FetchRequest);
    expect(result?.request.variables).toEqual({ representations: [a, b], other: 1 });
    expect(result?.positions).toEqual([0, 1, 0, 1, 0]);
  });

  it("leaves alone fetches with nothing to remove, root fetches and traced fetches", () => {
    expect(deduplicateRepresentations(fetch([{ __typename: "User", id: "1" }, { __typename: "User", id: "2" }]) as FetchRequest)).toBeUndefined();
    expect(deduplicateRepresentations({ query: "{ me { id } }", variables: {} } as FetchRequest)).toBeUndefined();
    const same = { __typename: "User", id: "1" };
    expect(deduplicateRepresentations(fetch([same, same], { "apollo-federation-include-trace": "ftv1" }) as FetchRequest)).toBeUndefined();
  });
});

describe("expandEntities", () => {
  it("gives every position its own copy of its entity, nulls included", () => {
    const answer = { data: { _entities: [{ name: "Ada", reviews: [{ id: "r1" }] }, null] } };
    const expanded = expandEntities(answer, [0, 1, 0, 0, 1]);
    const entities = expanded.data!._entities as ({ name: string; reviews: unknown[] } | null)[];
    expect(entities).toEqual([answer.data._entities[0], null, answer.data._entities[0], answer.data._entities[0], null]);
    expect(new Set(entities.filter((entity) => entity !== null)).size).toBe(3);
    expect(entities[2]!.reviews).not.toBe(entities[0]!.reviews);
  });

  it("repeats each entity's errors at every position it stood at, ordered by position, after the others", () => {
    const errors: GraphQLFormattedError[] = [
      { message: "b failed", path: ["_entities", 1, "name"], extensions: { code: "X" } },
      { message: "whole call", extensions: { code: "Y" } },
      { message: "a failed", path: ["_entities", 0, "reviews", 0, "id"] },
    ];
    const expanded = expandEntities({ data: { _entities: [null, null] }, errors }, [1, 0, 1, 0]);
    expect(expanded.errors).toEqual([
      { message: "whole call", extensions: { code: "Y" } },
      { message: "b failed", path: ["_entities", 0, "name"], extensions: { code: "X" } },
      { message: "a failed", path: ["_entities", 1, "reviews", 0, "id"] },
      { message: "b failed", path: ["_entities", 2, "name"], extensions: { code: "X" } },
      { message: "a failed", path: ["_entities", 3, "reviews", 0, "id"] },
    ]);
  });

  it("returns an answer that does not match what was sent as it is, for the caller's checks", () => {
    const wrong = { data: { _entities: [{ name: "only one" }, { name: "too many" }, { name: "!" }] } };
    expect(expandEntities(wrong, [0, 1, 0])).toEqual(wrong);
  });

  it("copies a __proto__ key as data, never as a prototype", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}') as object;
    const copy = cloneJson(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "name"]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

// Two subgraphs in the shape of the benchmark's (users write reviews of products, products have
// reviews by users), small enough to read: the same few entities appear at many positions, one user's
// field fails, one product is unknown to the reviews subgraph and a product's price needs its weight.
const accountsSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])
  type Query { users: [User!]! }
  type User @key(fields: "id") { id: ID! name: String! nickname: String }
`;
const reviewsSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
  type Query { topProducts: [Product!]! }
  type User @key(fields: "id") { id: ID! reviews: [Review!]! }
  type Product @key(fields: "upc") { upc: String! weight: Int @external shippingEstimate: Int @requires(fields: "weight") reviews: [Review!] }
  type Review { id: ID! body: String! author: User! product: Product! }
`;
const productsSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Product @key(fields: "upc") { upc: String! name: String! weight: Int }
`;

const users = [
  { id: "1", name: "Ada", nickname: "ada" },
  { id: "2", name: "Bojan", nickname: null },
  { id: "3", name: "Ceca", nickname: "boom" },
];
const products = [
  { upc: "p1", name: "Table", weight: 10 },
  { upc: "p2", name: "Chair", weight: 3 },
  { upc: "p3", name: "Lamp", weight: 1 },
];
// Review r6 is of a product the products subgraph does not know.
const reviews = [
  { id: "r1", body: "good", authorId: "1", upc: "p1" },
  { id: "r2", body: "fine", authorId: "1", upc: "p2" },
  { id: "r3", body: "bad", authorId: "2", upc: "p1" },
  { id: "r4", body: "ok", authorId: "3", upc: "p2" },
  { id: "r5", body: "meh", authorId: "3", upc: "p1" },
  { id: "r6", body: "lost", authorId: "2", upc: "gone" },
];

const accounts = buildSubgraphSchema({
  typeDefs: parse(accountsSdl),
  resolvers: {
    Query: { users: () => users },
    User: {
      __resolveReference: (reference: { id: string }) => users.find((user) => user.id === reference.id) ?? null,
      nickname: (user: { nickname: string | null }) => {
        if (user.nickname === "boom") throw new GraphQLError("nickname unavailable", { extensions: { code: "NICKNAME" } });
        return user.nickname;
      },
    },
  },
});
const reviewsSchema = buildSubgraphSchema({
  typeDefs: parse(reviewsSdl),
  resolvers: {
    Query: { topProducts: () => products.map(({ upc }) => ({ upc })) },
    User: { reviews: (user: { id: string }) => reviews.filter((review) => review.authorId === user.id) },
    Product: {
      __resolveReference: (reference: { upc: string; weight?: number }) => reference,
      reviews: (product: { upc: string }) => reviews.filter((review) => review.upc === product.upc),
      shippingEstimate: (product: { weight?: number }) => (product.weight ?? 0) * 2,
    },
    Review: {
      author: (review: { authorId: string }) => ({ id: review.authorId }),
      product: (review: { upc: string }) => ({ upc: review.upc }),
    },
  },
});
const productsSchema = buildSubgraphSchema({
  typeDefs: parse(productsSdl),
  resolvers: {
    Product: { __resolveReference: (reference: { upc: string }) => products.find((product) => product.upc === reference.upc) ?? null },
  },
});

/** What travelled: one entry per call, with the number of representations it carried. */
type Sent = { subgraph: string; representations: number }[];

/** The subgraph as a remote one behaves: JSON in, JSON out (errors as plain objects, not GraphQLError). */
class RecordingDataSource extends LocalGraphQLDataSource<Context> {
  constructor(
    readonly name: string,
    schema: ConstructorParameters<typeof LocalGraphQLDataSource>[0],
    readonly sent: Sent,
    readonly deduplicate: boolean,
  ) {
    super(schema);
  }

  override process(options: GraphQLDataSourceProcessOptions<Context>): Promise<EntityResponse & Record<string, unknown>> {
    const send = async (each: GraphQLDataSourceProcessOptions<Context>) => {
      const representations = each.request.variables?.representations;
      this.sent.push({ subgraph: this.name, representations: Array.isArray(representations) ? representations.length : 0 });
      const wire = JSON.parse(JSON.stringify(each.request)) as typeof each.request;
      return JSON.parse(JSON.stringify(await super.process({ ...each, request: wire }))) as EntityResponse & Record<string, unknown>;
    };
    return this.deduplicate ? processDeduplicated(options, send) : send(options);
  }
}

const HEAVY_QUERY = `{
  users {
    id name nickname
    reviews { id body product { upc name shippingEstimate reviews { id author { id name nickname reviews { id product { upc name } } } } } }
  }
  topProducts { upc name shippingEstimate reviews { body author { name nickname } } }
}`;

describe("entity deduplication through Apollo Gateway", () => {
  const servers: { deduplicate: boolean; server: ApolloServer<Context>; sent: Sent }[] = [];

  beforeAll(async () => {
    const schemas = { accounts, reviews: reviewsSchema, products: productsSchema };
    const composition = composeServices([
      { name: "accounts", url: "http://accounts", typeDefs: parse(accountsSdl) },
      { name: "reviews", url: "http://reviews", typeDefs: parse(reviewsSdl) },
      { name: "products", url: "http://products", typeDefs: parse(productsSdl) },
    ]);
    if (composition.errors !== undefined) throw composition.errors[0];
    for (const deduplicate of [false, true]) {
      const sent: Sent = [];
      const gateway = new ApolloGateway({
        supergraphSdl: composition.supergraphSdl,
        buildService: ({ name }) => new RecordingDataSource(name, schemas[name as keyof typeof schemas], sent, deduplicate),
      });
      const server = new ApolloServer<Context>({ gateway });
      await server.start();
      servers.push({ deduplicate, server, sent });
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map(({ server }) => server.stop()));
  });

  async function run(query: string) {
    return Promise.all(
      servers.map(async ({ server, sent }) => {
        sent.length = 0;
        const response = await server.executeOperation({ query }, { contextValue: {} });
        if (response.body.kind !== "single") throw new Error("expected a single result");
        return { result: response.body.singleResult, sent: [...sent] };
      }),
    );
  }

  it("answers exactly as without it, data and errors, with fewer representations sent", async () => {
    const [plain, deduplicated] = await run(HEAVY_QUERY);
    expect(plain!.result.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(deduplicated!.result)).toBe(JSON.stringify(plain!.result));
    const total = (sent: Sent) => sent.reduce((sum, call) => sum + call.representations, 0);
    expect(deduplicated!.sent.length).toBe(plain!.sent.length);
    expect(total(deduplicated!.sent)).toBeLessThan(total(plain!.sent) / 2);
  });

  it("answers a query without repeated entities exactly as without it", async () => {
    const [plain, deduplicated] = await run("{ topProducts { upc name } }");
    expect(deduplicated!.result).toEqual(plain!.result);
    expect(plain!.result.errors).toBeUndefined();
  });
});
