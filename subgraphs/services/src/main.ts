/** The services subgraph as a process: configuration, the store, the demo seed, the HTTP server. */
import "reflect-metadata";
import { connectMongo, createChangeEventPublisher, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { startTracing } from "@situation/subgraph-kit";
import { openServicesRepositories } from "./repositories.js";
import { seedIfEmpty } from "./seed/seed.js";
import { createServicesServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config, "services-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Registered first so it closes last, flushing the spans of the requests drained before it.
  const tracing = startTracing({ serviceName: "services", logger, registerGlobally: true });
  shutdown.add("tracing", () => tracing.close());
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  // Registered after mongo, before the server: closes once no request can write any more.
  const events = createChangeEventPublisher({ config, logger });
  shutdown.add("change events", () => events.close());
  // The start-up backfill and seed are no news to live screens: they write without events.
  const repositories = openServicesRepositories(mongo);
  await repositories.ensureIndexes();
  await repositories.outages.backfillEstimates();
  await seedIfEmpty({ ...repositories, logger });
  const server = createServicesServer({ config, mongo, logger, events });
  shutdown.add("http server", () => server.close());
  await server.start();
} catch (error) {
  logger.fatal({ err: error }, "services subgraph failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
