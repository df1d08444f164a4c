/** The city subgraph as a process: configuration, the store, the demo seed, escalation scheduling, the HTTP server. */
import "reflect-metadata";
import {
  checkRedis,
  connectMongo,
  createChangeEventPublisher,
  createDelayedJobQueue,
  createLogger,
  createShutdown,
  loadConfig,
  type Logger,
} from "@situation/platform";
import { startTracing } from "@situation/subgraph-kit";
import { seedDistrictsIfEmpty } from "./district/district.seed.js";
import { seedServiceCatalogIfEmpty } from "./service-catalog/service-catalog.seed.js";
import { createCityServer } from "./server.js";
import {
  ESCALATE_REQUEST_JOB,
  escalationJobId,
  REQUEST_ESCALATION_QUEUE,
  type EscalationScheduler,
} from "./service-request/escalation-scheduler.js";
import { createSyncScheduler } from "./sync-source/sync-scheduler.js";

/** How long intake waits for Redis before it goes on without the job; the worker's sweep catches up. */
const SCHEDULE_TIMEOUT_MS = 2_000;

const config = loadConfig();
const logger = createLogger(config, "city-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Registered first so it closes last, flushing the spans of the requests drained before it.
  const tracing = startTracing({ serviceName: "city", logger, registerGlobally: true });
  shutdown.add("tracing", () => tracing.close());
  // Fails fast, saying how to start Redis, instead of every intake waiting for it.
  await checkRedis(config.redisUrl);
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const escalationQueue = createDelayedJobQueue({
    config,
    queueName: REQUEST_ESCALATION_QUEUE,
    jobName: ESCALATE_REQUEST_JOB,
    logger,
  });
  // Registered after mongo and before the server: closes once no request can schedule any more.
  shutdown.add("escalation queue", () => escalationQueue.close());
  const escalations: EscalationScheduler = {
    schedule: (requestId, at) =>
      bestEffort(logger, "schedule", requestId, escalationQueue.schedule(escalationJobId(requestId), at, { requestId })),
    cancel: (requestId) => bestEffort(logger, "cancel", requestId, escalationQueue.cancel(escalationJobId(requestId))),
  };
  // Sync sources' schedules and run-now jobs: the workers' queue, written after each source's save.
  const syncScheduler = createSyncScheduler({ config, logger });
  shutdown.add("sync scheduler", () => syncScheduler.close());
  // Like the queue: closes after the server, once no request can write any more.
  const events = createChangeEventPublisher({ config, logger });
  shutdown.add("change events", () => events.close());
  const server = createCityServer({ config, mongo, logger, escalations, syncScheduler, events });
  await server.repositories.ensureIndexes();
  await seedDistrictsIfEmpty(server.repositories.districts, logger);
  // After the districts: the catalog's routing rules name districts.
  await seedServiceCatalogIfEmpty(server.repositories.serviceCategories, logger);
  // Registered last, so it closes first: stop taking requests, then the queue, then the store.
  shutdown.add("http server", () => server.close());
  await server.start();
} catch (error) {
  logger.fatal({ err: error }, "city subgraph failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}

/**
 * A request is stored before its escalation is (re)scheduled, so a failing or slow Redis must not
 * fail the intake or a transition: it is logged, and the worker's sweep escalates the request anyway
 * (a cancelled job that still fires finds the request done and does nothing).
 */
async function bestEffort(logger: Logger, action: "schedule" | "cancel", requestId: string, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      work.then(() => "done" as const),
      new Promise<"timed-out">((resolve) => {
        timer = setTimeout(() => resolve("timed-out"), SCHEDULE_TIMEOUT_MS);
      }),
    ]);
    if (outcome === "timed-out") {
      logger.warn({ requestId, action, timeoutMs: SCHEDULE_TIMEOUT_MS }, "escalation job not confirmed in time; the sweep covers it");
    }
  } catch (error) {
    logger.error({ err: error, requestId, action }, "escalation job could not be updated; the sweep covers it");
  } finally {
    clearTimeout(timer);
  }
}
