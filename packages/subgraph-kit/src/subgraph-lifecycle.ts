/**
 * The start/close life of a subgraph server, one state machine for every subgraph: start once
 * (concurrent calls share the start), close safe at any phase and twice, no restart after close.
 */
export interface SubgraphLifecycle {
  /** The GraphQL endpoint once listening. */
  readonly url: string | undefined;
  /** Runs `launch` once and returns the URL. */
  start(): Promise<string>;
  /** Stops after in-flight requests; safe to call twice, and before or during start. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface LaunchedServer {
  url: string;
  close(): Promise<void>;
}

type Phase =
  | { phase: "idle" }
  | { phase: "starting"; server: Promise<LaunchedServer> }
  | { phase: "listening"; url: string; close: () => Promise<void> }
  | { phase: "closed"; closed: Promise<void> };

export function createSubgraphLifecycle(name: string, launch: () => Promise<LaunchedServer>): SubgraphLifecycle {
  let state: Phase = { phase: "idle" };

  const start = async (): Promise<string> => {
    switch (state.phase) {
      case "idle":
        break;
      case "starting":
        return state.server.then((server) => server.url);
      case "listening":
        return state.url;
      case "closed":
        throw new Error(`the ${name} server was closed; create a new one`);
      default:
        return unreachable(state);
    }
    const starting = launch();
    state = { phase: "starting", server: starting };
    try {
      const server = await starting;
      // close() called while starting has already arranged to close this server.
      if (state.phase !== "starting") throw new Error(`the ${name} server was closed while starting`);
      state = { phase: "listening", url: server.url, close: () => server.close() };
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
