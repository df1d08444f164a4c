/**
 * The embedded MongoDB-compatible server: the catalog, the commands and the wire protocol, started
 * together on a loopback port so that the official driver connects to it like to mongod.
 */
import { createStderrLogger, type Logger } from "./logger.js";
import { createCommandExecutor } from "./commands/index.js";
import { Storage } from "./storage/catalog.js";
import { startWireServer } from "./wire/server.js";

export type { Logger } from "./logger.js";
export { createStderrLogger, silentLogger } from "./logger.js";

export interface EmbeddedMongoOptions {
  /** Where data lives; every acknowledged write is on disk there. Without one, data is kept in memory only. */
  dataDir?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback by default: the server has no authentication. */
  host?: string;
  logger?: Logger;
  /** How often TTL indexes remove expired documents (mongod: 60 s). */
  ttlIntervalMs?: number;
}

export interface EmbeddedMongo {
  /** `mongodb://host:port/` for the driver. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening, lets in-flight commands answer, then flushes and closes the data files. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const logger = options.logger ?? createStderrLogger();
  const host = options.host ?? "127.0.0.1";
  const storage = await Storage.open({ dataDir: options.dataDir, logger, ttlIntervalMs: options.ttlIntervalMs });
  const executor = createCommandExecutor(storage, { logger });
  let server;
  try {
    server = await startWireServer({ host, port: options.port ?? 0, executor, logger });
  } catch (error) {
    executor.close();
    await storage.close();
    throw error;
  }
  const listening = server;
  const uriHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Every step runs even when an earlier one fails; the first failure is reported.
      const results = await Promise.allSettled([listening.close()]);
      executor.close();
      results.push(...(await Promise.allSettled([storage.close()])));
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return closing;
  };
  return {
    uri: `mongodb://${uriHost}:${listening.port}/`,
    host,
    port: listening.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
