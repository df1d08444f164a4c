/** The worker process: configuration, the store, Redis, then the outage-sync worker and its scheduler. */
import { checkRedis, connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { createOutageSyncWorker } from "./worker.js";

const config = loadConfig();
const logger = createLogger(config, "workers");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Fails fast, saying how to start Redis, instead of BullMQ reconnecting forever.
  await checkRedis(config.redisUrl);
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const worker = createOutageSyncWorker({ config, mongo, logger });
  shutdown.add("outage-sync worker", () => worker.close());
  await worker.start();
  logger.info("workers started");
} catch (error) {
  logger.fatal({ err: error }, "workers failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
