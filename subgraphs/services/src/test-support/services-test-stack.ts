/** A throwaway services subgraph for tests: embedded in-memory store, a unique database, a real HTTP server. */
import { randomUUID } from "node:crypto";
import {
  ANONYMOUS,
  connectMongo,
  createLogger,
  IDENTITY_HEADER,
  loadConfig,
  signIdentity,
  type Identity,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { createServicesServer, type ServicesServer } from "../server.js";

export const TEST_NOW = new Date("2025-03-10T10:00:00.000Z");

export function testConfig(): PlatformConfig {
  // No MONGODB_URI: connectMongo starts the embedded server in memory.
  return loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }, { warn: () => {} });
}

export function uniqueDatabaseName(): string {
  return `services_test_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

export interface GraphQLResponse {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

export interface ServicesTestStack {
  config: PlatformConfig;
  mongo: MongoConnection;
  server: ServicesServer;
  url: string;
  databaseName: string;
  /** Posts a GraphQL request; `identity: null` sends none at all. */
  query(query: string, variables?: Record<string, unknown>, identity?: Identity | null): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export async function startServicesTestStack(options: { now?: () => Date } = {}): Promise<ServicesTestStack> {
  const config = testConfig();
  const logger = createLogger(config, "services-test");
  const mongo = await connectMongo(config, { logger });
  const databaseName = uniqueDatabaseName();
  const server = createServicesServer({
    config,
    mongo,
    logger,
    port: 0,
    databaseName,
    now: options.now ?? (() => TEST_NOW),
  });
  let url: string;
  try {
    url = await server.start();
  } catch (error) {
    await mongo.close();
    throw error;
  }
  return {
    config,
    mongo,
    server,
    url,
    databaseName,
    async query(query, variables = {}, identity = ANONYMOUS) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (identity !== null) headers[IDENTITY_HEADER] = await signIdentity(identity, config.identitySecret);
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as GraphQLResponse["body"] };
    },
    async close() {
      await server.close().finally(() => mongo.client.db(databaseName).dropDatabase().catch(() => undefined)).finally(() => mongo.close());
    },
  };
}
