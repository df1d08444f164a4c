export { createGateway, type GatewayConfig, type GatewayOptions, type GatewayResilience, type RunningGateway } from "./gateway.js";
export type { SubgraphFailureReason } from "./resilience/resilient-data-source.js";
export type { HealthReport, ComponentStatus } from "./health.js";
export type { GatewayContext } from "./context.js";
