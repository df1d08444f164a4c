#!/usr/bin/env node
/** `npm start`: the platform on this machine, until Ctrl-C. */
import { join } from "node:path";
import { createLogger, createShutdown, findRepositoryRoot, loadConfig } from "@situation/platform";
import { launchPlatform } from "./launcher.js";

// What `npm start` keeps unless told otherwise: data on disk in ./.data, the store on MongoDB's usual port.
const config = loadConfig({ MONGO_DATA_DIR: join(findRepositoryRoot(), ".data", "mongo"), MONGO_PORT: "27017", ...process.env });
const logger = createLogger(config, "launcher");
const shutdown = createShutdown(logger);
shutdown.listen();

try {
  const platform = await launchPlatform({
    config,
    logger,
    env: process.env,
    onUnexpectedExit: (service, code) => {
      logger.error({ service, code }, `${service} exited unexpectedly; stopping the platform`);
      process.exitCode = 1;
      void shutdown.run(`${service} exited`);
    },
  });
  shutdown.add("platform", () => platform.close());
  const { urls } = platform;
  process.stdout.write(
    [
      "",
      "Situation Hub is running:",
      `  GraphQL gateway   ${urls.gateway}`,
      `  health            ${urls.health}`,
      `  subgraphs         ${urls.city}  ${urls.services}  ${urls.business}`,
      `  MongoDB           ${urls.mongodb}`,
      "Stop with Ctrl-C.",
      "",
    ].join("\n"),
  );
} catch (error) {
  logger.error({ err: error }, (error as Error).message);
  process.exitCode = 1;
  await shutdown.run("start-up failed");
}
