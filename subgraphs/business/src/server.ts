import "reflect-metadata";
import type { Logger, MongoConnection, PlatformConfig } from "@situation/platform";
import { startSubgraphServer } from "@situation/subgraph-kit";
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
  now?: () => Date;
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

interface StartedServer {
  url: string;
  close(): Promise<void>;
}

type ServerState =
  | { phase: "idle" }
  | { phase: "starting"; server: Promise<StartedServer> }
  | { phase: "listening"; url: string; close: () => Promise<void> }
  | { phase: "closed"; closed: Promise<void> };

export function createBusinessServer(options: BusinessServerOptions): BusinessServer {
  const logger = options.logger.child({ component: "business-subgraph" });
  const repositories = openBusinessRepositories(options.mongo, {
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
        throw new Error("the business server was closed; create a new one");
      default:
        return unreachable(state);
    }
    const starting = (async (): Promise<StartedServer> => {
      await repositories.ensureIndexes();
      const schema = await buildBusinessSchema();
      return startSubgraphServer({
        name: "business",
        schema,
        host: options.config.host,
        port: options.port ?? options.config.businessPort,
        identitySecret: options.config.identitySecret,
        logger,
        context: (base): BusinessContext => ({ ...base, businesses: repositories.businesses }),
      });
    })();
    state = { phase: "starting", server: starting };
    try {
      const server = await starting;
      // close() called while starting has already arranged to close this server.
      if (state.phase !== "starting") throw new Error("the business server was closed while starting");
      state = { phase: "listening", url: server.url, close: () => server.close() };
      logger.info({ url: server.url }, "business subgraph listening");
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
