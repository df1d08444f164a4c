/** The benchmark's supergraph, composed from the four fixture subgraphs where they listen in this run. */
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { SUBGRAPH_NAMES, SUBGRAPH_SDL, type SubgraphName } from "./subgraphs.js";

export function composeBenchSupergraph(urls: Readonly<Record<SubgraphName, string>>): string {
  const result = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: parse(SUBGRAPH_SDL[name]), url: urls[name] })));
  if (result.errors !== undefined) {
    throw new Error(`the benchmark's subgraphs do not compose:\n${result.errors.map((error) => `  ${error.message}`).join("\n")}`);
  }
  return result.supergraphSdl;
}
