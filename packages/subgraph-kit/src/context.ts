import type { Identity, Logger } from "@situation/platform";

/** What every resolver of every subgraph receives; a subgraph's `context` option adds its own parts. */
export interface SubgraphContext {
  /** Who the gateway says is calling (ANONYMOUS for anonymous callers). */
  identity: Identity;
  /** From the gateway's `x-request-id`, so that one request's logs can be joined across processes. */
  requestId: string;
  /** Carries the request id in every line. */
  logger: Logger;
}
