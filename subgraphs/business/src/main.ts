/** The business subgraph as a process: configuration, the store, the demo seed, the HTTP server. */
import "reflect-metadata";
import { connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { seedBusinessesIfEmpty } from "./seed/seed.js";
import { createBusinessServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config, "business-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const server = createBusinessServer({ config, mongo, logger });
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
