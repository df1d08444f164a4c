/**
 * The MongoDB connection: the only place that knows whether the store is a real MongoDB
 * (`MONGODB_URI`) or the embedded server started here on a loopback port.
 */
import { startEmbeddedMongo, type EmbeddedMongo } from "@situation/mongo-embedded";
import { MongoClient, type Db } from "mongodb";
import type { PlatformConfig } from "./config.js";
import type { Logger } from "./logging.js";

export interface MongoConnection {
  readonly client: MongoClient;
  readonly uri: string;
  /** True when the embedded server was started for this connection. */
  readonly embedded: boolean;
  db(name: string): Db;
  /** Closes the client, then the embedded server if one was started. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function connectMongo(
  config: Pick<PlatformConfig, "mongodbUri" | "mongoDataDir"> & Partial<Pick<PlatformConfig, "mongoPort">>,
  options: { logger: Logger },
): Promise<MongoConnection> {
  const logger = options.logger;
  let embeddedServer: EmbeddedMongo | undefined;
  let uri = config.mongodbUri;
  if (uri === undefined) {
    embeddedServer = await startEmbeddedMongo({
      ...(config.mongoDataDir === undefined ? {} : { dataDir: config.mongoDataDir }),
      port: config.mongoPort ?? 0,
      logger: logger.child({ component: "mongo-embedded" }),
    });
    uri = embeddedServer.uri;
    logger.info({ uri, dataDir: config.mongoDataDir ?? "(in memory)" }, "embedded MongoDB-compatible server started");
  }

  const client = new MongoClient(uri, { appName: "situation-hub" });
  try {
    await client.connect();
  } catch (error) {
    await embeddedServer?.close().catch((closeError: unknown) => {
      logger.error({ err: closeError }, "closing the embedded server after a failed connect failed");
    });
    throw error;
  }
  logger.info({ uri: redactCredentials(uri), embedded: embeddedServer !== undefined }, "connected to MongoDB");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Both steps run even if the first fails; the first failure is reported.
      const results = await Promise.allSettled([client.close()]);
      if (embeddedServer !== undefined) results.push(...(await Promise.allSettled([embeddedServer.close()])));
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return closing;
  };

  return {
    client,
    uri,
    embedded: embeddedServer !== undefined,
    db: (name: string) => client.db(name),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Hides the password of `mongodb://user:password@host` (or `redis://…`) before it reaches a log or message. */
export function redactCredentials(uri: string): string {
  return uri.replace(/^([a-z+]+:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}
