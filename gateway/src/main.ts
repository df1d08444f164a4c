/** The gateway process: configuration, the API key store, the gateway, and ordered shutdown. */
import { connectMongo, createLogger, createShutdown, loadConfig } from "@situation/platform";
import { createGateway } from "./gateway.js";

const config = loadConfig();
const logger = createLogger(config, "gateway");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  // Added first so it closes last: the gateway may still look up API keys while it drains.
  const mongo = await connectMongo(config, { logger });
  shutdown.add("mongo", () => mongo.close());
  const gateway = await createGateway({ config, logger, mongo });
  shutdown.add("gateway", () => gateway.close());
  logger.info({ url: gateway.url }, "gateway ready");
} catch (error) {
  logger.fatal({ err: error }, "the gateway failed to start");
  process.exitCode = 1;
  await shutdown.run("start-up failed");
}
