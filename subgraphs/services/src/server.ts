import "reflect-metadata";
import type { Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { startSubgraphServer } from "@situation/subgraph-kit";
import type { ServicesContext } from "./context.js";
import { openServicesRepositories, type ServicesRepositories } from "./repositories.js";
import { buildServicesSchema } from "./schema.js";

export interface ServicesServerOptions {
  config: Pick<PlatformConfig, "host" | "servicesPort" | "identitySecret">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** Overrides `config.servicesPort`; 0 picks a free port (tests). */
  port?: number;
  /** The clock of "active now"; tests pass a fixed one. */
  now?: () => Date;
  /** Another database than `services` (tests isolate themselves this way). */
  databaseName?: string;
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

interface StartedServer {
  url: string;
  close(): Promise<void>;
}

type ServerState =
  | { phase: "idle" }
  | { phase: "starting"; server: Promise<StartedServer> }
  | { phase: "listening"; url: string; close: () => Promise<void> }
  | { phase: "closed"; closed: Promise<void> };

export function createServicesServer(options: ServicesServerOptions): ServicesServer {
  const logger = options.logger.child({ component: "services-subgraph" });
  const repositories = openServicesRepositories(options.mongo, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.databaseName ? { databaseName: options.databaseName } : {}),
  });
  let state: ServerState = { phase: "idle" };

  const start = async (): Promise<string> => {
    switch (state.phase) {
      case "idle":
        break;
      case "starting":
        return state.server.then((server) => server.url);
      case "listening":
        return state.url;
      case "closed":
        throw new Error("the services server was closed; create a new one");
      default:
        return unreachable(state);
    }
    const started = (async (): Promise<StartedServer> => {
      await repositories.ensureIndexes();
      const schema = await buildServicesSchema();
      const server = await startSubgraphServer({
        name: "services",
        schema,
        host: options.config.host,
        port: options.port ?? options.config.servicesPort,
        identitySecret: options.config.identitySecret,
        logger,
        context: (base): ServicesContext => ({ ...base, providers: repositories.providers, outages: repositories.outages }),
      });
      return server;
    })();
    state = { phase: "starting", server: started };
    try {
      const server = await started;
      // close() called while starting has already arranged to close this server.
      if (state.phase !== "starting") throw new Error("the services server was closed while starting");
      state = { phase: "listening", url: server.url, close: () => server.close() };
      return server.url;
    } catch (error) {
      if (state.phase === "starting") state = { phase: "idle" };
      throw error;
    }
  };

  const close = (): Promise<void> => {
    switch (state.phase) {
      case "idle": {
        state = { phase: "closed", closed: Promise.resolve() };
        return state.closed;
      }
      case "starting": {
        const closed = state.server.then(
          (server) => server.close(),
          () => undefined,
        );
        state = { phase: "closed", closed };
        return closed;
      }
      case "listening": {
        const closed = state.close();
        state = { phase: "closed", closed };
        return closed;
      }
      case "closed":
        return state.closed;
      default:
        return unreachable(state);
    }
  };

  return {
    repositories,
    get url() {
      return state.phase === "listening" ? state.url : undefined;
    },
    start,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function unreachable(value: never): never {
  throw new Error(`unhandled state: ${JSON.stringify(value)}`);
}
