/**
 * Masks unexpected errors at the edge. A client sees an error's own message only when it carries a code
 * from the platform's list (or one of Apollo's request-level codes, which describe the caller's query);
 * anything else — a bug, a driver error, a subgraph's internal failure — becomes INTERNAL_SERVER_ERROR
 * with the request id, and the original is logged with that id so it can be found.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import { ErrorCode, isPlatformError } from "@situation/platform";
import type { GraphQLError, GraphQLFormattedError } from "graphql";
import type { GatewayContext } from "./context.js";

export const MASKED_ERROR_MESSAGE = "Internal server error";

// Codes whose message is written for the caller. INTERNAL_SERVER_ERROR is not among them: a subgraph
// that reports one may have put internals in the message, so it is masked again here.
const PASS_THROUGH_CODES: ReadonlySet<string> = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
  ...Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
  "INTROSPECTION_DISABLED",
  "MAX_RECURSIVE_SELECTIONS_EXCEEDED",
]);

// type-graphql's @Authorized reports a role mismatch as UNAUTHORIZED; the platform's list calls it FORBIDDEN.
const RENAMED_CODES: Readonly<Record<string, ErrorCode>> = { UNAUTHORIZED: ErrorCode.FORBIDDEN };

/** Apollo Server's `formatError`: keeps known errors, masks the rest (the plugin adds the request id). */
export function maskError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  // A platform error thrown inside the gateway (e.g. an unreachable subgraph) reaches here as Apollo's
  // INTERNAL_SERVER_ERROR; its own message and code are written for the caller.
  if (isPlatformError(original) && PASS_THROUGH_CODES.has(original.code)) {
    return { ...formatted, message: original.message, extensions: { ...formatted.extensions, ...original.toExtensions() } };
  }
  const code = declaredClientCode(formatted);
  if (code === undefined) {
    return {
      message: MASKED_ERROR_MESSAGE,
      ...(formatted.locations === undefined ? {} : { locations: formatted.locations }),
      ...(formatted.path === undefined ? {} : { path: formatted.path }),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  }
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

/** Logs the originals of masked errors and stamps the masked ones with the request id. */
export function errorMaskingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (isPlatformError(original) && original.code === ErrorCode.UPSTREAM_FAILURE) {
              // Shown to the caller, but an operator needs the cause (refused, timed out, HTTP status).
              contextValue.logger.warn({ err: original }, original.message);
              continue;
            }
            if (clientCodeOf(error) !== undefined) continue;
            contextValue.logger.error({ err: unwrapResolverError(error), path: error.path }, "masked an unexpected error");
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single") return;
          const result = response.body.singleResult;
          if (result.errors === undefined) return;
          result.errors = result.errors.map((error) =>
            error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR
              ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
              : error,
          );
        },
      };
    },
  };
}

/** The code a client may see, or undefined when the error must be masked. */
function clientCodeOf(error: GraphQLError): string | undefined {
  const original = unwrapResolverError(error);
  if (isPlatformError(original)) return PASS_THROUGH_CODES.has(original.code) ? original.code : undefined;
  return declaredClientCode(error);
}

function declaredClientCode(error: GraphQLFormattedError | GraphQLError): string | undefined {
  const declared = error.extensions?.code;
  if (typeof declared !== "string") return undefined;
  const code = RENAMED_CODES[declared] ?? declared;
  return PASS_THROUGH_CODES.has(code) ? code : undefined;
}
