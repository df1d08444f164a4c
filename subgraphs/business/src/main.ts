/** The business subgraph as a process: configuration, the store, the demo seed, the HTTP server. */
import "reflect-metadata";
import { connectMongo, createChangeEventPublisher, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { startTracing } from "@situation/subgraph-kit";
import { seedBusinessesIfEmpty } from "./seed/seed.js";
import { createBusinessServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config, "business-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Registered first so it closes last, flushing the spans of the requests drained before it.
  const tracing = startTracing({ serviceName: "business", logger, registerGlobally: true });
  shutdown.add("tracing", () => tracing.close());
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  // Closes after the server, before the store: once no request can file a report any more.
  const events = createChangeEventPublisher({ config, logger });
  shutdown.add("change events", () => events.close());
  const server = createBusinessServer({ config, mongo, logger, events });
  await server.repositories.ensureIndexes();
  await seedBusinessesIfEmpty(server.repositories.businesses, logger);
  // Registered after mongo, so it closes first: stop taking requests, then close the store.
  shutdown.add("http server", () => server.close());
  await server.start();
} catch (error) {
  logger.fatal({ err: error }, "business subgraph failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
