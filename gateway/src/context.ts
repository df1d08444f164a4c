import type { Span } from "@opentelemetry/api";
import type { Identity, Logger } from "@situation/platform";

/** What every GraphQL request carries through the gateway, built once the caller is authenticated. */
// A type alias, not an interface: Apollo's generics require an implicit index signature.
export type GatewayContext = {
  identity: Identity;
  requestId: string;
  /** A child logger that stamps every line with the request id. */
  logger: Logger;
  /** The request's server span, parent of its subgraph fetch spans (tracing/); absent outside HTTP. */
  span?: Span;
};
