/**
 * The benchmark's operations and the answers they must get, computed straight from the static data
 * (not by any gateway), so that every response of every gateway is checked against an independent truth.
 */
import { AUTHOR_REVIEWS, DEFAULT_TOP_PRODUCTS, IN_STOCK, PRODUCTS, REVIEW_AUTHOR, REVIEWS, USERS, shippingEstimate, type StoredReview } from "./data.js";

/** graphql-gateways-benchmark's k6 query (federation/scenarios/*\/k6.js), verbatim but for indentation. */
export const HEAVY_QUERY = `
fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}`;

/**
 * An operation the products subgraph answers alone: sent to that subgraph directly and through a
 * gateway, it measures what the gateway itself costs per request.
 */
export const SINGLE_SUBGRAPH_QUERY = `query TopProducts {
  topProducts(first: ${DEFAULT_TOP_PRODUCTS}) {
    upc
    name
    price
    weight
  }
}`;

export interface BenchOperation {
  name: string;
  /** The POST body, as sent. */
  body: string;
  /** The complete, error-free response: `{ "data": … }`. */
  expected: { data: unknown };
}

export function operation(name: string, query: string, expectedData: unknown): BenchOperation {
  return { name, body: JSON.stringify({ query }), expected: { data: expectedData } };
}

function productFields(upc: string) {
  const product = PRODUCTS.find((candidate) => candidate.upc === upc);
  if (product === undefined) throw new Error(`the fixture has no product ${upc}`);
  return {
    inStock: IN_STOCK[upc] ?? null,
    name: product.name,
    price: product.price,
    shippingEstimate: shippingEstimate(product.price, product.weight),
    upc,
    weight: product.weight,
  };
}

const reviewFields = (review: StoredReview) => ({ id: review.id, body: review.body });
const reviewsOf = (upc: string) => REVIEWS.filter((review) => review.productUpc === upc);

/** Every review's author is user 1; the reviews subgraph provides the username, accounts the name. */
function author() {
  const user = USERS.find((candidate) => candidate.id === REVIEW_AUTHOR.id);
  if (user === undefined) throw new Error(`the fixture has no user ${REVIEW_AUTHOR.id}`);
  return {
    id: user.id,
    username: REVIEW_AUTHOR.username,
    name: user.name,
    reviews: AUTHOR_REVIEWS.map((review) => ({ ...reviewFields(review), product: productFields(review.productUpc) })),
  };
}

export function heavyQueryData() {
  return {
    users: USERS.map((user) => ({
      id: user.id,
      username: user.username,
      name: user.name,
      reviews: AUTHOR_REVIEWS.map((review) => ({
        ...reviewFields(review),
        product: {
          ...productFields(review.productUpc),
          reviews: reviewsOf(review.productUpc).map((productReview) => ({ ...reviewFields(productReview), author: author() })),
        },
      })),
    })),
    topProducts: PRODUCTS.slice(0, DEFAULT_TOP_PRODUCTS).map((product) => ({
      ...productFields(product.upc),
      reviews: reviewsOf(product.upc).map((review) => ({ ...reviewFields(review), author: author() })),
    })),
  };
}

export function singleSubgraphData() {
  return {
    topProducts: PRODUCTS.slice(0, DEFAULT_TOP_PRODUCTS).map(({ upc, name, price, weight }) => ({ upc, name, price, weight })),
  };
}

export const HEAVY_OPERATION = operation("heavy nested query", HEAVY_QUERY, heavyQueryData());
export const SINGLE_SUBGRAPH_OPERATION = operation("topProducts (one subgraph)", SINGLE_SUBGRAPH_QUERY, singleSubgraphData());
