/**
 * The gateway process: configuration, the API key store, the gateway, and ordered shutdown. With
 * `GATEWAY_WORKERS` above 1 this process becomes a cluster primary that runs that many gateway
 * processes on the same port (resilience/worker-cluster.ts), each of them this file again.
 */
import cluster from "node:cluster";
import { connectMongo, createLogger, createShutdown, DEFAULT_SHUTDOWN_TIMEOUT_MS, loadConfig } from "@situation/platform";
import { startTracing } from "@situation/subgraph-kit/tracing";
import { createGateway } from "./gateway.js";
import { startWorkerCluster, stopWhenPrimaryAsks } from "./resilience/worker-cluster.js";

const config = loadConfig();

if (config.gatewayResilience.workers > 1 && cluster.isPrimary) await runPrimary();
else await runGateway();

async function runGateway(): Promise<void> {
  const logger = createLogger(config, "gateway");
  const shutdown = createShutdown(logger);
  shutdown.listen();
  if (cluster.isWorker) stopWhenPrimaryAsks(shutdown, (code) => process.exit(code));

  try {
    // Registered first so it closes last, flushing the spans of the requests drained before it.
    const tracing = startTracing({ serviceName: "gateway", logger });
    shutdown.add("tracing", () => tracing.close());
    // Added before the gateway so it closes after it: the gateway may still look up API keys while it drains.
    const mongo = await connectMongo(config, { logger });
    shutdown.add("mongo", () => mongo.close());
    const gateway = await createGateway({ config, logger, mongo, tracer: tracing.tracer });
    shutdown.add("gateway", () => gateway.close());
    logger.info({ url: gateway.url }, "gateway ready");
  } catch (error) {
    logger.fatal({ err: error }, "the gateway failed to start");
    process.exitCode = 1;
    await shutdown.run("start-up failed");
  }
}

async function runPrimary(): Promise<void> {
  const logger = createLogger(config, "gateway-primary");
  // Longer than a worker's own shutdown, so that the workers finish theirs before the primary gives up.
  const stopTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS + 5_000;
  const shutdown = createShutdown(logger, { timeoutMs: stopTimeoutMs + 5_000 });
  shutdown.listen();

  try {
    const env: Record<string, string> = {};
    if (config.mongodbUri === undefined) {
      // The embedded store holds one data directory: the primary runs it, and the workers share it.
      const store = await connectMongo(config, { logger });
      shutdown.add("mongo", () => store.close());
      env.MONGODB_URI = store.uri;
    }
    const workers = startWorkerCluster({ workers: config.gatewayResilience.workers, logger, env, stopTimeoutMs });
    shutdown.add("workers", () => workers.close());
    await workers.ready;
    logger.info({ workers: config.gatewayResilience.workers, port: config.gatewayPort }, "gateway ready");
  } catch (error) {
    logger.fatal({ err: error }, "the gateway cluster failed to start");
    process.exitCode = 1;
    await shutdown.run("start-up failed");
  }
}
