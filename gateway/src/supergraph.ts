/** The supergraph the gateway serves, and where each of its subgraphs is reached. */
import { readFile } from "node:fs/promises";
import { Kind, parse, type ConstArgumentNode } from "graphql";

export interface SubgraphEndpoint {
  /** The subgraph's name as composed (`@join__graph(name:)`), e.g. "city". */
  name: string;
  /** Its GraphQL endpoint: the override for that name, else the URL composed into the supergraph. */
  url: string;
}

export async function loadSupergraphSdl(source: { supergraphSdl?: string; supergraphPath: string }): Promise<string> {
  if (source.supergraphSdl !== undefined) return source.supergraphSdl;
  try {
    return await readFile(source.supergraphPath, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the supergraph at ${source.supergraphPath} (set SUPERGRAPH_PATH, or run \`npm run compose\`)`,
      { cause: error },
    );
  }
}

/** Reads the `join__Graph` enum of a composed supergraph; overrides are keyed by subgraph name. */
export function subgraphEndpointsOf(
  supergraphSdl: string,
  overrides: Readonly<Record<string, string>> = {},
): SubgraphEndpoint[] {
  const document = parse(supergraphSdl);
  const endpoints: SubgraphEndpoint[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
    for (const value of definition.values ?? []) {
      const joinGraph = value.directives?.find((directive) => directive.name.value === "join__graph");
      const name = stringArgument(joinGraph?.arguments, "name") ?? value.name.value.toLowerCase();
      const composedUrl = stringArgument(joinGraph?.arguments, "url");
      const url = overrides[name] ?? composedUrl;
      if (url === undefined) throw new Error(`the supergraph gives no URL for subgraph "${name}" and none is configured`);
      endpoints.push({ name, url });
    }
  }
  if (endpoints.length === 0) throw new Error("the supergraph declares no subgraphs (no join__Graph enum): is it composed?");
  return endpoints;
}

function stringArgument(argumentNodes: readonly ConstArgumentNode[] | undefined, name: string): string | undefined {
  const value = argumentNodes?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}
