import { describe, expect, it } from "vitest";
import { healthUrlOf } from "./health.js";
import { subgraphEndpointsOf } from "./supergraph.js";

const supergraph = `
schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION) { query: Query }
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
enum join__Graph {
  BUSINESS @join__graph(name: "business", url: "http://127.0.0.1:4003/graphql")
  CITY @join__graph(name: "city", url: "http://127.0.0.1:4001/graphql")
}
type Query { hello: String }
`;

describe("subgraphEndpointsOf", () => {
  it("reads each subgraph's name and composed URL", () => {
    expect(subgraphEndpointsOf(supergraph)).toEqual([
      { name: "business", url: "http://127.0.0.1:4003/graphql" },
      { name: "city", url: "http://127.0.0.1:4001/graphql" },
    ]);
  });

  it("lets configuration override a URL by subgraph name, ignoring names the supergraph lacks", () => {
    expect(subgraphEndpointsOf(supergraph, { city: "http://city.internal:8080/graphql", services: "http://x/graphql" })).toEqual([
      { name: "business", url: "http://127.0.0.1:4003/graphql" },
      { name: "city", url: "http://city.internal:8080/graphql" },
    ]);
  });

  it("refuses a document that is not a composed supergraph", () => {
    expect(() => subgraphEndpointsOf("type Query { hello: String }")).toThrow(/no subgraphs/);
  });
});

describe("healthUrlOf", () => {
  it("puts /health next to the GraphQL endpoint", () => {
    expect(healthUrlOf("http://127.0.0.1:4001/graphql")).toBe("http://127.0.0.1:4001/health");
    expect(healthUrlOf("https://example.org/city/graphql")).toBe("https://example.org/city/health");
  });
});
