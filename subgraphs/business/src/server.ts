import "reflect-metadata";
import type { ChangeEventPublisher, Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { createSubgraphLifecycle, startSubgraphServer } from "@situation/subgraph-kit";
import type { BusinessContext } from "./context.js";
import { openBusinessRepositories, type BusinessRepositories } from "./repositories.js";
import { buildBusinessSchema } from "./schema.js";

export interface BusinessServerOptions {
  config: Pick<PlatformConfig, "host" | "businessPort" | "identitySecret">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** Overrides `config.businessPort`; 0 picks a free port (tests). */
  port?: number;
  /** Another database than `business` (tests isolate themselves this way). */
  databaseName?: string;
  /** Another database than `platform` for API keys (tests). */
  platformDatabaseName?: string;
  now?: () => Date;
  /** Where business report change events go; the caller owns (and closes) it. None when absent. */
  events?: ChangeEventPublisher;
}

export interface BusinessServer {
  readonly repositories: BusinessRepositories;
  /** The GraphQL endpoint once started. */
  readonly url: string | undefined;
  /** Ensures indexes, builds the schema and listens; returns the GraphQL URL. */
  start(): Promise<string>;
  /** Stops listening after in-flight requests; safe to call twice, and before start. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createBusinessServer(options: BusinessServerOptions): BusinessServer {
  const logger = options.logger.child({ component: "business-subgraph" });
  const repositories = openBusinessRepositories(options.mongo, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.databaseName ? { databaseName: options.databaseName } : {}),
    ...(options.platformDatabaseName ? { platformDatabaseName: options.platformDatabaseName } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const lifecycle = createSubgraphLifecycle("business", async () => {
    await repositories.ensureIndexes();
    const server = await startSubgraphServer({
      name: "business",
      schema: await buildBusinessSchema(),
      host: options.config.host,
      port: options.port ?? options.config.businessPort,
      identitySecret: options.config.identitySecret,
      logger,
      context: (base): BusinessContext => ({ ...base, businesses: repositories.businesses, apiKeys: repositories.apiKeys, reports: repositories.reports }),
    });
    logger.info({ url: server.url }, "business subgraph listening");
    return server;
  });
  return {
    repositories,
    get url() {
      return lifecycle.url;
    },
    start: lifecycle.start,
    close: lifecycle.close,
    [Symbol.asyncDispose]: lifecycle.close,
  };
}
