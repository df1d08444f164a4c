/**
 * Errors at the subgraph's edge: a `PlatformError` reaches the client with its code, message and
 * field; anything unexpected becomes INTERNAL_SERVER_ERROR with a generic message, and the original
 * is logged with the request id (by `errorLoggingPlugin`, which, unlike `formatError`, sees the context).
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ErrorCode, isPlatformError } from "@situation/platform";
import type { GraphQLFormattedError } from "graphql";
import { ArgumentValidationError, AuthenticationError, AuthorizationError } from "type-graphql";
import type { SubgraphContext } from "./context.js";
import { graphql } from "./graphql-runtime.js";

export const MASKED_ERROR_MESSAGE = "Internal server error";

type Classified =
  | { kind: "platform"; extensions: Record<string, unknown>; message: string }
  | { kind: "graphql" }
  | { kind: "unexpected" };

function classify(error: unknown): Classified {
  const original = unwrapResolverError(error);
  if (isPlatformError(original)) return { kind: "platform", extensions: original.toExtensions(), message: original.message };
  // type-graphql's own errors, mapped onto the platform's codes (its AuthorizationError says UNAUTHORIZED).
  if (original instanceof AuthenticationError)
    return { kind: "platform", extensions: { code: ErrorCode.UNAUTHENTICATED }, message: original.message };
  if (original instanceof AuthorizationError)
    return { kind: "platform", extensions: { code: ErrorCode.FORBIDDEN }, message: original.message };
  if (original instanceof ArgumentValidationError)
    return { kind: "platform", extensions: { code: ErrorCode.BAD_USER_INPUT }, message: original.message };
  // Apollo's and graphql-js's own request errors (parse, validation, bad variables) and GraphQLErrors a
  // resolver throws on purpose describe the request, not our internals. (A plain Error thrown in a
  // resolver arrives wrapped in a located GraphQLError, which unwrapResolverError has removed above.)
  if (original instanceof graphql.GraphQLError) return { kind: "graphql" };
  return { kind: "unexpected" };
}

export function maskError(formattedError: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const classified = classify(error);
  const location = {
    ...(formattedError.locations === undefined ? {} : { locations: formattedError.locations }),
    ...(formattedError.path === undefined ? {} : { path: formattedError.path }),
  };
  switch (classified.kind) {
    case "platform":
      return { message: classified.message, ...location, extensions: classified.extensions };
    case "graphql":
      return formattedError;
    case "unexpected":
      return { message: MASKED_ERROR_MESSAGE, ...location, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
    default: {
      const unreachable: never = classified;
      return unreachable;
    }
  }
}

export function isUnexpectedError(error: unknown): boolean {
  return classify(error).kind === "unexpected";
}

export const errorLoggingPlugin: ApolloServerPlugin<SubgraphContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors, operationName }) {
        for (const error of errors) {
          const original = unwrapResolverError(error);
          if (isUnexpectedError(error)) {
            contextValue.logger.error({ err: original, path: error.path, operationName }, "unexpected error (masked for the client)");
          } else {
            contextValue.logger.debug({ code: error.extensions?.code, message: error.message, path: error.path }, "request error");
          }
        }
      },
    };
  },
};
