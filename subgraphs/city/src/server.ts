import "reflect-metadata";
import type { Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { startSubgraphServer } from "@situation/subgraph-kit";
import type { CityContext } from "./context.js";
import { openCityRepositories, type CityRepositories } from "./repositories.js";
import { buildCitySchema } from "./schema.js";

export interface CityServerOptions {
  config: Pick<PlatformConfig, "host" | "cityPort" | "identitySecret">;
  mongo: Pick<MongoConnection, "db">;
  logger: Logger;
  /** Overrides `config.cityPort`; 0 picks a free port (tests). */
  port?: number;
  /** Another database than `city` (tests isolate themselves this way). */
  databaseName?: string;
  now?: () => Date;
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

interface StartedServer {
  url: string;
  close(): Promise<void>;
}

type ServerState =
  | { phase: "idle" }
  | { phase: "starting"; server: Promise<StartedServer> }
  | { phase: "listening"; url: string; close: () => Promise<void> }
  | { phase: "closed"; closed: Promise<void> };

export function createCityServer(options: CityServerOptions): CityServer {
  const logger = options.logger.child({ component: "city-subgraph" });
  const repositories = openCityRepositories(options.mongo, {
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
        throw new Error("the city server was closed; create a new one");
      default:
        return unreachable(state);
    }
    const starting = (async (): Promise<StartedServer> => {
      await repositories.ensureIndexes();
      const schema = await buildCitySchema();
      return startSubgraphServer({
        name: "city",
        schema,
        host: options.config.host,
        port: options.port ?? options.config.cityPort,
        identitySecret: options.config.identitySecret,
        logger,
        context: (base): CityContext => ({ ...base, districts: repositories.districts }),
      });
    })();
    state = { phase: "starting", server: starting };
    try {
      const server = await starting;
      // close() called while starting has already arranged to close this server.
      if (state.phase !== "starting") throw new Error("the city server was closed while starting");
      state = { phase: "listening", url: server.url, close: () => server.close() };
      logger.info({ url: server.url }, "city subgraph listening");
      return server.url;
    } catch (error) {
      if (state.phase === "starting") state = { phase: "idle" };
      throw error;
    }
  };

  const close = (): Promise<void> => {
    switch (state.phase) {
      case "idle":
        state = { phase: "closed", closed: Promise.resolve() };
        return state.closed;
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
  throw new Error(`unhandled server state: ${JSON.stringify(value)}`);
}
