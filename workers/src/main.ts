/** The worker process: configuration, the store, Redis, then the outage-sync and request-escalation workers and their schedulers. */
import { checkRedis, connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { createRequestEscalationWorker } from "./request-escalation/request-escalation.worker.js";
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
  // Registered after mongo, so it closes first: finish the escalations in flight, then close the store.
  const escalation = createRequestEscalationWorker({ config, mongo, logger });
  shutdown.add("request-escalation worker", () => escalation.close());
  await escalation.start();
  logger.info("workers started");
} catch (error) {
  logger.fatal({ err: error }, "workers failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
