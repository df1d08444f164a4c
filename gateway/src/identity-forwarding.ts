/**
 * Tells each subgraph who is calling. The subgraphs trust nothing but a short-lived token signed with
 * the secret they share with the gateway, so the caller's own credentials never travel further.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { ANONYMOUS, IDENTITY_HEADER, REQUEST_ID_HEADER, signIdentity, UpstreamError } from "@situation/platform";
import type { GatewayContext } from "./context.js";
import type { SubgraphFetcher } from "./keep-alive-fetcher.js";

export interface IdentityForwardingOptions {
  /** The subgraph's name in the supergraph, for error messages. */
  name: string;
  url: string;
  fetcher: SubgraphFetcher;
  identitySecret: string;
}

type DidEncounterErrorArguments = Parameters<RemoteGraphQLDataSource<GatewayContext>["didEncounterError"]>;

// One incoming request usually fans out to several subgraph calls: sign once per request.
const signedIdentities = new WeakMap<GatewayContext, Promise<string>>();

export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly #identitySecret: string;
  readonly #subgraphName: string;

  constructor(options: IdentityForwardingOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.#identitySecret = options.identitySecret;
    this.#subgraphName = options.name;
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = options.request.http?.headers;
    if (headers === undefined) return;
    // Only incoming operations carry `incomingRequestContext` (Apollo does not export the kind enum).
    if ("incomingRequestContext" in options) {
      const context = options.context;
      let token = signedIdentities.get(context);
      if (token === undefined) {
        token = signIdentity(context.identity, this.#identitySecret);
        signedIdentities.set(context, token);
      }
      headers.set(IDENTITY_HEADER, await token);
      headers.set(REQUEST_ID_HEADER, context.requestId);
    } else {
      // Health checks and schema loading are the gateway's own calls, made with no caller behind them.
      headers.set(IDENTITY_HEADER, await signIdentity(ANONYMOUS, this.#identitySecret));
    }
  }

  /**
   * Transport failures (refused connection, timeout, a non-2xx answer such as a rejected identity
   * token) are the upstream's failure, not the caller's: they reach the client as UPSTREAM_FAILURE
   * naming the subgraph, instead of a raw "fetch failed" or a misleading "401: Unauthorized".
   */
  override didEncounterError(...[error, , response]: DidEncounterErrorArguments): void {
    // A 2xx with a malformed body: Apollo's own error says what was wrong with it.
    if (response?.ok === true) return;
    const reason = response === undefined ? "is unreachable" : `answered HTTP ${response.status}`;
    throw new UpstreamError(`the ${this.#subgraphName} subgraph ${reason}`, { cause: error });
  }
}
