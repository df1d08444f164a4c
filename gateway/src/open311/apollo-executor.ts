/** Runs Open311's operations through the gateway's own Apollo Server, as the caller. */
import type { ApolloServer } from "@apollo/server";
import type { GatewayContext } from "../context.js";
import type { GraphQLExecutor } from "./contact-center-client.js";

export function apolloExecutor(apollo: ApolloServer<GatewayContext>): GraphQLExecutor {
  return async (operation, caller) => {
    const response = await apollo.executeOperation(
      { query: operation.query, operationName: operation.operationName, ...(operation.variables === undefined ? {} : { variables: operation.variables }) },
      { contextValue: { identity: caller.identity, requestId: caller.requestId, logger: caller.logger } },
    );
    // Only @defer/@stream answer incrementally, and these documents use neither.
    if (response.body.kind !== "single") throw new Error(`${operation.operationName} answered incrementally`);
    return response.body.singleResult;
  };
}
