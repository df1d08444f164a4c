/**
 * What the business tests need: the embedded store in memory (platform `connectMongo` without
 * MONGODB_URI), a unique database per test file, and GraphQL over HTTP with a signed identity.
 */
import { randomUUID } from "node:crypto";
import {
  ANONYMOUS,
  connectMongo,
  createLogger,
  IDENTITY_HEADER,
  loadConfig,
  signIdentity,
  type Identity,
  type Logger,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";

export interface TestStore {
  config: PlatformConfig;
  logger: Logger;
  mongo: MongoConnection;
  /** Unique to this test file, so runs never see each other's data. */
  databaseName: string;
  /** Where this test file's API keys go, instead of the shared `platform` database. */
  platformDatabaseName: string;
  /** Drops both databases, then closes the client and the embedded server. */
  close(): Promise<void>;
}

export async function startTestStore(): Promise<TestStore> {
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }, { warn: () => {} });
  const logger = createLogger(config, "business-test");
  const mongo = await connectMongo(config, { logger });
  const databaseName = `business_test_${randomUUID().slice(0, 8)}`;
  const platformDatabaseName = `${databaseName}_platform`;
  return {
    config,
    logger,
    mongo,
    databaseName,
    platformDatabaseName,
    async close() {
      try {
        await mongo.db(databaseName).dropDatabase();
        await mongo.db(platformDatabaseName).dropDatabase();
      } finally {
        await mongo.close();
      }
    },
  };
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: (string | number)[] }[];
}

/** POSTs a GraphQL request as the gateway would: with a signed identity (anonymous unless given; `null` sends none). */
export async function postGraphQL<TData = Record<string, unknown>>(
  url: string,
  secret: string,
  request: { query: string; variables?: Record<string, unknown> },
  identity: Identity | null = ANONYMOUS,
): Promise<GraphQLResponse<TData>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (identity !== null) headers[IDENTITY_HEADER] = await signIdentity(identity, secret);
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(request) });
  const body = (await response.json()) as Omit<GraphQLResponse<TData>, "status">;
  return { status: response.status, ...body };
}
