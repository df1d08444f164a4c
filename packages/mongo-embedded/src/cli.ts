#!/usr/bin/env node
/**
 * situation-mongo: the embedded server as a process, for `npm start` and for tools.
 *
 *   situation-mongo [--data DIR] [--port 27017] [--host 127.0.0.1]
 *
 * Prints the connection string on stdout once listening; stops cleanly on SIGINT and SIGTERM.
 */
import { parseArgs } from "node:util";
import { createStderrLogger } from "./logger.js";
import { startEmbeddedMongo } from "./index.js";

const usage = "usage: situation-mongo [--data DIR] [--port N] [--host ADDRESS] [--log-level debug|info|warn|error]";

function parseOptions() {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      port: { type: "string", default: "27017" },
      host: { type: "string", default: "127.0.0.1" },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  const level = values["log-level"];
  if (level !== "debug" && level !== "info" && level !== "warn" && level !== "error") {
    throw new Error(`--log-level must be debug, info, warn or error, got '${level}'`);
  }
  return { dataDir: values.data, port, host: values.host, level } as const;
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  const logger = createStderrLogger(options.level);
  const server = await startEmbeddedMongo({ dataDir: options.dataDir, port: options.port, host: options.host, logger });
  const where = options.dataDir ? `data in ${options.dataDir}` : "in memory only (no --data)";
  process.stdout.write(`situation-mongo listening on ${server.uri} (${where})\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // A shutdown that hangs must not keep the process alive forever.
    setTimeout(() => {
      logger.error({}, "shutdown took over 10 s; exiting");
      process.exit(1);
    }, 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`situation-mongo failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
