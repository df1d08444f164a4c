import "reflect-metadata";
import type { ChangeEventPublisher, Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { createSubgraphLifecycle, startSubgraphServer } from "@situation/subgraph-kit";
import type { ServicesContext } from "./context.js";
import { EnvironmentLoaders } from "./environment/environment.repositories.js";
import { DistrictSituationLoader } from "./district/district-situation-loader.js";
import { openServicesRepositories, type ServicesRepositories } from "./repositories.js";
import { buildServicesSchema } from "./schema.js";

export interface ServicesServerOptions {
  config: Pick<PlatformConfig, "host" | "servicesPort" | "identitySecret"> & Partial<Pick<PlatformConfig, "readingsRetentionDays">>;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** Overrides `config.servicesPort`; 0 picks a free port (tests). */
  port?: number;
  /** The clock of "active now"; tests pass a fixed one. */
  now?: () => Date;
  /** Another database than `services` (tests isolate themselves this way). */
  databaseName?: string;
  /** Where outage and alert change events go; the caller owns (and closes) it. None when absent. */
  events?: ChangeEventPublisher;
}

export interface ServicesServer {
  readonly repositories: ServicesRepositories;
  /** The GraphQL endpoint once started. */
  readonly url: string | undefined;
  /** Ensures indexes, builds the schema and listens; returns the GraphQL URL. */
  start(): Promise<string>;
  /** Stops listening after in-flight requests; safe to call twice, and before start. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createServicesServer(options: ServicesServerOptions): ServicesServer {
  const logger = options.logger.child({ component: "services-subgraph" });
  const repositories = openServicesRepositories(options.mongo, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.databaseName ? { databaseName: options.databaseName } : {}),
    ...(options.config.readingsRetentionDays === undefined ? {} : { readingsRetentionDays: options.config.readingsRetentionDays }),
    ...(options.events ? { events: options.events } : {}),
  });
  const lifecycle = createSubgraphLifecycle("services", async () => {
    await repositories.ensureIndexes();
    const server = await startSubgraphServer({
      name: "services",
      schema: await buildServicesSchema(),
      host: options.config.host,
      port: options.port ?? options.config.servicesPort,
      identitySecret: options.config.identitySecret,
      logger,
      context: (base): ServicesContext => ({
        ...base,
        providers: repositories.providers,
        outages: repositories.outages,
        serviceStatuses: repositories.serviceStatuses,
        districtSituation: new DistrictSituationLoader(repositories.outages),
        environment: repositories.environment,
        environmentLoaders: new EnvironmentLoaders(repositories.environment),
      }),
    });
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
