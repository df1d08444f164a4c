// type-graphql reads decorator metadata through the Reflect API; it must be loaded before any decorator runs.
import "reflect-metadata";

export type { SubgraphContext } from "./context.js";
export { roleAuthChecker } from "./auth-checker.js";
export {
  buildFederatedSchema,
  printSubgraphSdl,
  FEDERATION_LINK,
  type FederatedSchemaOptions,
  type ReferenceResolver,
} from "./federated-schema.js";
export { printSchemaWithDirectives } from "./schema-printing.js";
export { GeoPoint, GeoPolygon, GeoMultiPolygon, GeoJSONCoordinatesScalar, type GeoJSONCoordinates } from "./geo-types.js";
export { maskError, MASKED_ERROR_MESSAGE } from "./error-masking.js";
export {
  startSubgraphServer,
  GRAPHQL_PATH,
  HEALTH_PATH,
  type SubgraphServer,
  type SubgraphServerOptions,
} from "./subgraph-server.js";
export { createSubgraphLifecycle, type LaunchedServer, type SubgraphLifecycle } from "./subgraph-lifecycle.js";
export {
  startTracing,
  defaultTracer,
  incomingTraceContext,
  injectTraceContext,
  OTLP_ENDPOINT_VARIABLE,
  type Tracing,
  type TracingOptions,
} from "./tracing.js";
