import "reflect-metadata";
import type { ChangeEventPublisher, Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { createSubgraphLifecycle, startSubgraphServer } from "@situation/subgraph-kit";
import type { CityContext } from "./context.js";
import { openCityRepositories, type CityRepositories } from "./repositories.js";
import { buildCitySchema } from "./schema.js";
import { NO_ESCALATIONS, type EscalationScheduler } from "./service-request/escalation-scheduler.js";
import type { SyncScheduler } from "./sync-source/sync-scheduler.js";

export interface CityServerOptions {
  config: Pick<PlatformConfig, "host" | "cityPort" | "identitySecret">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** Overrides `config.cityPort`; 0 picks a free port (tests). */
  port?: number;
  /** Another database than `city` (tests isolate themselves this way). */
  databaseName?: string;
  now?: () => Date;
  /** Arms a request's escalation on intake and disarms it when it is done; none when absent. */
  escalations?: EscalationScheduler;
  /** Applies sync sources' schedules and queues their runs; without one, run-now and backfill fail. */
  syncScheduler?: SyncScheduler;
  /** Where request change events go; the caller owns (and closes) it. None when absent. */
  events?: ChangeEventPublisher;
}

export interface CityServer {
  readonly repositories: CityRepositories;
  /** The GraphQL endpoint once started. */
  readonly url: string | undefined;
  /** Ensures indexes, builds the schema and listens; returns the GraphQL URL. */
  start(): Promise<string>;
  /** Stops listening after in-flight requests; safe to call twice, and before start. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createCityServer(options: CityServerOptions): CityServer {
  const logger = options.logger.child({ component: "city-subgraph" });
  const repositories = openCityRepositories(options.mongo, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.databaseName ? { databaseName: options.databaseName } : {}),
    ...(options.syncScheduler ? { syncScheduler: options.syncScheduler } : {}),
    ...(options.events ? { events: options.events } : {}),
    logger,
  });
  const lifecycle = createSubgraphLifecycle("city", async () => {
    await repositories.ensureIndexes();
    const server = await startSubgraphServer({
      name: "city",
      schema: await buildCitySchema(),
      host: options.config.host,
      port: options.port ?? options.config.cityPort,
      identitySecret: options.config.identitySecret,
      logger,
      context: (base): CityContext => ({
        ...base,
        districts: repositories.districts,
        contacts: repositories.contacts,
        reports: repositories.reports,
        serviceCategories: repositories.serviceCategories,
        serviceRequests: repositories.serviceRequests,
        escalations: options.escalations ?? NO_ESCALATIONS,
        syncSources: repositories.syncSources,
        syncRuns: repositories.syncRuns,
        syncQuarantine: repositories.syncQuarantine,
      }),
    });
    logger.info({ url: server.url }, "city subgraph listening");
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
