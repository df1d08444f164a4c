/**
 * Child process: this project's gateway, started through `createGateway` exactly as `gateway/src/main.ts`
 * starts it (configuration from the environment, pino logger, identity forwarding and the keep-alive
 * fetcher), on the benchmark's supergraph (SUPERGRAPH_PATH).
 */
import { createGateway } from "@situation/gateway";
import { createLogger, loadConfig, type MongoConnection } from "@situation/platform";
import { announceReady, failStart, stopWith } from "./child-process.js";

/**
 * The gateway looks API keys up in Mongo only when a request carries one; the benchmark authenticates
 * with bearer tokens, so it needs no store, and a request with an API key fails loudly.
 */
const noApiKeyStore: Pick<MongoConnection, "db"> = {
  db: () => {
    throw new Error("the gateway benchmark has no API key store: send a bearer token");
  },
};

try {
  const config = loadConfig();
  const logger = createLogger(config, "gateway");
  // `{}`: reach each subgraph at the URL composed into the benchmark's supergraph.
  const gateway = await createGateway({ config, logger, mongo: noApiKeyStore, subgraphUrls: {} });
  stopWith(() => gateway.close());
  announceReady({ url: gateway.url });
} catch (error) {
  failStart(error);
}
