/** pino loggers, one per process or component, named so that interleaved logs stay readable. */
import { pino } from "pino";
import type { PlatformConfig } from "./config.js";

export type Logger = pino.Logger;

/** Carried from the gateway to the subgraphs so that one request's logs can be joined. */
export const REQUEST_ID_HEADER = "x-request-id";

/**
 * No pretty transport: transports run in worker threads, and plain JSON lines are what log
 * collectors read anyway. `destination` lets tests capture the lines.
 */
export function createLogger(
  config: Pick<PlatformConfig, "logLevel">,
  name: string,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: config.logLevel,
    // Credentials must never reach the logs, even when a whole request is logged.
    redact: {
      paths: ["headers.authorization", 'headers["x-situation-identity"]', 'headers["x-api-key"]', "req.headers.authorization"],
      censor: "[redacted]",
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
