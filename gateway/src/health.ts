/**
 * `GET /health`: the gateway answers for itself and probes each subgraph's `/health` with a short
 * timeout, so a load balancer or the launcher sees at once which part of the platform is down.
 */
import type { SubgraphFetcher } from "./keep-alive-fetcher.js";
import type { SubgraphEndpoint } from "./supergraph.js";

export type ComponentStatus = "ok" | "down";

export interface HealthReport {
  status: "ok" | "degraded";
  gateway: "ok";
  subgraphs: Record<string, ComponentStatus>;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;

/** `/health` next to the subgraph's GraphQL endpoint: `http://host:4001/graphql` → `http://host:4001/health`. */
export function healthUrlOf(graphqlUrl: string): string {
  return new URL("health", graphqlUrl).toString();
}

export async function checkHealth(
  endpoints: readonly SubgraphEndpoint[],
  fetcher: SubgraphFetcher,
  timeoutMs: number = DEFAULT_HEALTH_TIMEOUT_MS,
): Promise<HealthReport> {
  const statuses = await Promise.all(
    endpoints.map(async (endpoint): Promise<[string, ComponentStatus]> => [
      endpoint.name,
      await probe(healthUrlOf(endpoint.url), fetcher, timeoutMs),
    ]),
  );
  const subgraphs = Object.fromEntries(statuses);
  const allUp = statuses.every(([, status]) => status === "ok");
  return { status: allUp ? "ok" : "degraded", gateway: "ok", subgraphs };
}

async function probe(url: string, fetcher: SubgraphFetcher, timeoutMs: number): Promise<ComponentStatus> {
  try {
    const response = await fetcher(url, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
    // Read the body so the keep-alive connection returns to the pool.
    await response.text();
    return response.ok ? "ok" : "down";
  } catch {
    return "down";
  }
}
