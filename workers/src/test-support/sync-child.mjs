/**
 * A sync worker as a process of its own, for the kill -9 test: the built `@situation/workers` with
 * short locks (10 s; production: 30 s), so that the job of a killed worker is retried soon.
 * Configuration from the environment, like the real worker; prints "ready" once it takes jobs.
 */
import { connectMongo, createLogger, loadConfig } from "@situation/platform";
import { createSyncWorker } from "@situation/workers";

const config = loadConfig();
const logger = createLogger(config, "sync-child");
const mongo = await connectMongo(config, { logger });
const worker = createSyncWorker({ config, mongo, logger, lockTtlMs: 10_000, jobLockDurationMs: 10_000, stalledIntervalMs: 1_000, hostIntervalMs: 0 });
await worker.start();
process.stdout.write("ready\n");
