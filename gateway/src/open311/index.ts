export { apolloExecutor } from "./apollo-executor.js";
export { createOpen311Handler, DEFAULT_JURISDICTION_ID, OPEN311_PREFIX, type Open311Handler, type Open311Options } from "./open311-handler.js";
export type { GraphQLExecutor, GraphQLOperation, GraphQLResultLike, Caller } from "./contact-center-client.js";
