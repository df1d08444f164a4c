/**
 * Tells each subgraph who is calling. The subgraphs trust nothing but a short-lived token signed with
 * the secret they share with the gateway, so the caller's own credentials never travel further.
 */
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { ANONYMOUS, IDENTITY_HEADER, REQUEST_ID_HEADER } from "@situation/platform";
import type { GatewayContext } from "./context.js";
import { processDeduplicated } from "./performance/entity-deduplication.js";
import { createIdentityTokenCache, type IdentityTokenCache } from "./performance/identity-token-cache.js";
import { ResilientDataSource, type ResilientDataSourceOptions } from "./resilience/resilient-data-source.js";
import type { SubgraphFetchTracing } from "./tracing/request-tracing.js";

export interface IdentityForwardingOptions extends ResilientDataSourceOptions {
  identitySecret: string;
  /** Spans around each fetch, and their `traceparent` on the subgraph request. */
  tracing?: SubgraphFetchTracing;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;

/** Failures of the call itself (down, slow, garbage) are the base class's: see resilience/. */
export class IdentityForwardingDataSource extends ResilientDataSource {
  // Signing is a tenth of a small request's CPU and the same callers keep coming: see performance/.
  readonly #identityTokens: IdentityTokenCache;
  readonly #tracing: SubgraphFetchTracing | undefined;

  constructor(options: IdentityForwardingOptions) {
    super(options);
    this.#identityTokens = createIdentityTokenCache({ identitySecret: options.identitySecret });
    this.#tracing = options.tracing;
  }

  // Each distinct entity once per fetch (performance/). Around the base class's process, so that its
  // shape checks and field errors see the call as it is sent.
  override process(options: ProcessOptions): ReturnType<ResilientDataSource["process"]> {
    const tracing = this.#tracing;
    return processDeduplicated(options, (each) =>
      tracing !== undefined && "incomingRequestContext" in each
        ? tracing.trace(this.subgraphName, this.url, each.context, each, () => super.process(each))
        : super.process(each),
    );
  }

  override async willSendRequest(options: ProcessOptions): Promise<void> {
    const headers = options.request.http?.headers;
    if (headers === undefined) return;
    // Only incoming operations carry `incomingRequestContext` (Apollo does not export the kind enum).
    if ("incomingRequestContext" in options) {
      const context = options.context;
      headers.set(IDENTITY_HEADER, await this.#identityTokens.tokenFor(context.identity));
      headers.set(REQUEST_ID_HEADER, context.requestId);
      this.#tracing?.inject(options, headers);
    } else {
      // Health checks and schema loading are the gateway's own calls, made with no caller behind them.
      headers.set(IDENTITY_HEADER, await this.#identityTokens.tokenFor(ANONYMOUS));
    }
  }
}
