/** The services subgraph as a process: configuration, the store, the demo seed, the HTTP server. */
import "reflect-metadata";
import { connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { openServicesRepositories } from "./repositories.js";
import { seedIfEmpty } from "./seed/seed.js";
import { createServicesServer } from "./server.js";

const config = loadConfig();
const logger = createLogger(config, "services-subgraph");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const repositories = openServicesRepositories(mongo);
  await repositories.ensureIndexes();
  await repositories.outages.backfillEstimates();
  await seedIfEmpty({ ...repositories, logger });
  const server = createServicesServer({ config, mongo, logger });
  shutdown.add("http server", () => server.close());
  await server.start();
} catch (error) {
  logger.fatal({ err: error }, "services subgraph failed to start");
  await shutdown.run("start-up failed");
  process.exitCode = 1;
}
