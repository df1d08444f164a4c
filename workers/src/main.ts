/** The worker process: configuration, the store, Redis, then the source-sync and request-escalation workers and their schedulers. */
import { checkRedis, connectMongo, createChangeEventPublisher, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { createRequestEscalationWorker } from "./request-escalation/request-escalation.worker.js";
import { createSyncWorker } from "./sync/sync-worker.js";

const config = loadConfig();
const logger = createLogger(config, "workers");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Fails fast, saying how to start Redis, instead of BullMQ reconnecting forever.
  await checkRedis(config.redisUrl);
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  // Closes after both workers have finished their jobs in flight, before the store.
  const events = createChangeEventPublisher({ config, logger });
  shutdown.add("change events", () => events.close());
  const worker = createSyncWorker({ config, mongo, logger, events });
  shutdown.add("source-sync worker", () => worker.close());
  await worker.start();
  // Registered after mongo, so it closes first: finish the escalations in flight, then close the store.
  const escalation = createRequestEscalationWorker({ config, mongo, logger, events });
  shutdown.add("request-escalation worker", () => escalation.close());
  await escalation.start();
  logger.info("workers started");
} catch (error) {
  logger.fatal({ err: error }, "workers failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
