export { createGateway, type GatewayConfig, type GatewayOptions, type RunningGateway } from "./gateway.js";
export type { HealthReport, ComponentStatus } from "./health.js";
export type { GatewayContext } from "./context.js";
