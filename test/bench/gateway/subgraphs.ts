/**
 * The benchmark's four subgraphs (accounts, inventory, products, reviews) as plain `@apollo/subgraph`
 * schemas over the static data: the fixture every gateway is measured against, not Situation Hub code.
 * The original is Federation 1 SDL from async-graphql (`extend type` + `@external`); this is the same
 * schema in Federation 2 SDL, which composes to the same supergraph.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse, type GraphQLSchema } from "graphql";
import {
  AUTHOR_REVIEWS,
  DEFAULT_TOP_PRODUCTS,
  IN_STOCK,
  PRODUCTS,
  REFERENCED_USERNAME,
  REVIEW_AUTHOR,
  REVIEWS,
  USERS,
  shippingEstimate,
  type StoredReview,
} from "./data.js";

export const SUBGRAPH_NAMES = ["accounts", "inventory", "products", "reviews"] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export function isSubgraphName(value: string): value is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(value);
}

const LINK = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports.map((name) => `"${name}"`).join(", ")}])`;

/** Each subgraph's SDL, as composed into the supergraph. */
export const SUBGRAPH_SDL: Readonly<Record<SubgraphName, string>> = {
  // `username` is @shareable because reviews also resolves it, through `@provides` on Review.author.
  accounts: `${LINK(["@key", "@shareable"])}
type Query {
  me: User
  user(id: ID!): User
  users: [User]
}
type User @key(fields: "id") {
  id: ID!
  name: String
  username: String @shareable
  birthday: Int
}`,
  inventory: `${LINK(["@key", "@external", "@requires"])}
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
}`,
  products: `${LINK(["@key"])}
type Query {
  topProducts(first: Int = ${DEFAULT_TOP_PRODUCTS}): [Product]
}
type Product @key(fields: "upc") {
  upc: String!
  name: String
  price: Int
  weight: Int
}`,
  reviews: `${LINK(["@key", "@external", "@provides"])}
type Review @key(fields: "id") {
  id: ID!
  body: String
  product: Product
  author: User @provides(fields: "username")
}
type User @key(fields: "id") {
  id: ID!
  username: String @external
  reviews: [Review]
}
type Product @key(fields: "upc") {
  upc: String!
  reviews: [Review]
}`,
};

interface Reference {
  readonly [field: string]: unknown;
}

interface ReviewObject {
  id: string;
  body: string;
  product: { upc: string };
}

const reviewObject = (review: StoredReview): ReviewObject => ({ id: review.id, body: review.body, product: { upc: review.productUpc } });
const authorReviews = () => AUTHOR_REVIEWS.map(reviewObject);

// @apollo/subgraph does not export its module type from the package root.
type SchemaModule = Extract<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], { typeDefs: unknown }>;
type Resolvers = NonNullable<SchemaModule["resolvers"]>;

const RESOLVERS: Readonly<Record<SubgraphName, Resolvers>> = {
  accounts: {
    Query: {
      me: () => USERS[0],
      user: (_root: unknown, { id }: { id: string }) => USERS.find((user) => user.id === id) ?? null,
      users: () => USERS,
    },
    User: {
      __resolveReference: (reference: Reference) => USERS.find((user) => user.id === reference.id) ?? null,
    },
  },
  inventory: {
    Product: {
      // The gateway sends `price` and `weight` along (@requires); the answer keeps them for shippingEstimate.
      __resolveReference: (reference: Reference) => {
        const upc = String(reference.upc);
        return upc in IN_STOCK ? { ...reference, upc, inStock: IN_STOCK[upc] } : null;
      },
      shippingEstimate: (product: { price?: number | null; weight?: number | null }) => shippingEstimate(product.price, product.weight),
    },
  },
  products: {
    Query: {
      topProducts: (_root: unknown, { first }: { first?: number | null }) => PRODUCTS.slice(0, Math.max(0, first ?? DEFAULT_TOP_PRODUCTS)),
    },
    Product: {
      __resolveReference: (reference: Reference) => PRODUCTS.find((product) => product.upc === reference.upc) ?? null,
    },
  },
  reviews: {
    Review: {
      __resolveReference: (reference: Reference) => {
        const review = REVIEWS.find((candidate) => candidate.id === reference.id);
        return review === undefined ? null : reviewObject(review);
      },
      author: () => ({ ...REVIEW_AUTHOR, reviews: authorReviews() }),
    },
    User: {
      __resolveReference: (reference: Reference) => ({ id: reference.id, username: REFERENCED_USERNAME, reviews: authorReviews() }),
    },
    Product: {
      __resolveReference: (reference: Reference) => ({ upc: reference.upc }),
      reviews: (product: { upc: string }) => REVIEWS.filter((review) => review.productUpc === product.upc).map(reviewObject),
    },
  },
};

export function buildBenchSubgraphSchema(name: SubgraphName): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: parse(SUBGRAPH_SDL[name]), resolvers: RESOLVERS[name] }]);
}
