/** The city subgraph as a process: configuration, the store, the demo seed, the HTTP server. */
import "reflect-metadata";
import { connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { seedDistrictsIfEmpty } from "./district/district.seed.js";
import { createCityServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config, "city-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const server = createCityServer({ config, mongo, logger });
  await server.repositories.ensureIndexes();
  await seedDistrictsIfEmpty(server.repositories.districts, logger);
  // Registered after mongo, so it closes first: stop taking requests, then close the store.
  shutdown.add("http server", () => server.close());
  await server.start();
} catch (error) {
  logger.fatal({ err: error }, "city subgraph failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
