/**
 * One whole Situation Hub in the test process: the embedded store in memory, seeded with the demo
 * data as `npm start` seeds it, the three subgraphs and the gateway on free ports, wired by the
 * committed supergraph. Each test file starts its own, so files never see each other's data.
 */
import { join } from "node:path";
import { createBusinessServer, seedBusinessesIfEmpty } from "@situation/business-subgraph";
import { createCityServer, seedDistrictsIfEmpty, seedServiceCatalogIfEmpty, type EscalationScheduler } from "@situation/city-subgraph";
import { createGateway } from "@situation/gateway";
import {
  connectMongo,
  createChangeEventPublisher,
  createLogger,
  findRepositoryRoot,
  loadConfig,
  type ChangeEventPublisher,
  type Logger,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { createServicesServer, seedIfEmpty } from "@situation/services-subgraph";
import { createQueueEscalations } from "./escalations.js";
import { postGraphQL, type GraphQLAnswer } from "./graphql.js";
import { deleteRedisKeys } from "./redis.js";

export interface SubgraphUrls {
  city: string;
  services: string;
  business: string;
}

export interface Stack {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:41234/graphql`. */
  gatewayUrl: string;
  /** The client of the stack's own store: tests compute the expected answers from it. */
  mongo: MongoConnection;
  subgraphUrls: SubgraphUrls;
  config: PlatformConfig;
  logger: Logger;
  /** POSTs an operation to the gateway. */
  query<TData = Record<string, unknown>>(
    document: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<TData>>;
  /** Stops the gateway, then the subgraphs, then the store; every step runs even if one fails. Safe twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const SUPERGRAPH_PATH = join(findRepositoryRoot(), "schemas", "supergraph.graphql");

/** The configuration a test stack runs with: test mode, silent logs (E2E_LOG_LEVEL shows them), free ports. */
export function testConfig(overrides: Record<string, string> = {}): PlatformConfig {
  return loadConfig(
    {
      NODE_ENV: "test",
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "silent",
      REDIS_URL: process.env.REDIS_URL ?? "",
      GATEWAY_PORT: "0",
      SUPERGRAPH_PATH,
      ...overrides,
    },
    // The fixed development secrets are what a test wants; the warning about them is noise here.
    { warn: () => {} },
  );
}

export interface StackOptions {
  /** Names the logger (and nothing else). */
  name: string;
  /** The city subgraph's clock, for due times, audit and contact times (default: the real one). */
  cityNow?: () => Date;
  /**
   * Arm each request's escalation on the real BullMQ queue, as the city subgraph's main.ts does,
   * under this REDIS_PREFIX (unique per test file: see `uniqueRedisPrefix`). Closing the stack
   * closes the queue and then deletes every key under the prefix. Without it, nothing is armed.
   */
  escalationRedisPrefix?: string;
  /**
   * Publish the subgraphs' change events, as their main.ts does, under this REDIS_PREFIX, where the
   * gateway's `/events` reads them (unique per test file; the same as `escalationRedisPrefix` when
   * both are given). Closing the stack closes the publisher after the subgraphs, then deletes every
   * key under the prefix. Without it, writes publish nothing.
   */
  changeEventsRedisPrefix?: string;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { escalationRedisPrefix, changeEventsRedisPrefix } = options;
  if (escalationRedisPrefix !== undefined && changeEventsRedisPrefix !== undefined && escalationRedisPrefix !== changeEventsRedisPrefix) {
    // One process has one REDIS_PREFIX (DESIGN.md §6): the queue and the stream cannot differ.
    throw new TypeError("escalationRedisPrefix and changeEventsRedisPrefix must be the same prefix");
  }
  const redisPrefix = escalationRedisPrefix ?? changeEventsRedisPrefix;
  const config = testConfig(redisPrefix === undefined ? {} : { REDIS_PREFIX: redisPrefix });
  const logger = createLogger(config, `e2e-${options.name}`);
  // Registered as each part starts, so that a failure half-way still closes what is running.
  const cleanups: { name: string; close: () => Promise<void> }[] = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const failures: unknown[] = [];
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup.close();
        } catch (error) {
          logger.error({ err: error, step: cleanup.name }, "closing the test stack failed");
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
    })();
    return closing;
  };

  try {
    // No MONGODB_URI: connectMongo starts the embedded server, in memory, for this stack alone.
    const mongo = await connectMongo(config, { logger });
    cleanups.push({ name: "mongo", close: () => mongo.close() });

    let escalations: EscalationScheduler | undefined;
    if (options.escalationRedisPrefix !== undefined) {
      // Registered before the queue exists: the keys go last, after everything that could write them.
      cleanups.push({ name: "redis keys", close: async () => void (await deleteRedisKeys(config.redisUrl, config.redisPrefix)) });
      const queue = createQueueEscalations(config, logger);
      cleanups.push({ name: "escalation queue", close: () => queue.close() });
      escalations = queue.scheduler;
    }

    let events: ChangeEventPublisher | undefined;
    if (changeEventsRedisPrefix !== undefined) {
      if (escalationRedisPrefix === undefined) {
        cleanups.push({ name: "redis keys", close: async () => void (await deleteRedisKeys(config.redisUrl, config.redisPrefix)) });
      }
      const publisher = createChangeEventPublisher({ config, logger });
      cleanups.push({ name: "change events", close: () => publisher.close() });
      events = publisher;
    }

    const common = { config, mongo, logger, port: 0, ...(events ? { events } : {}) };
    const city = createCityServer({
      ...common,
      ...(options.cityNow ? { now: options.cityNow } : {}),
      ...(escalations ? { escalations } : {}),
    });
    const services = createServicesServer(common);
    const business = createBusinessServer(common);
    await Promise.all([
      city.repositories.ensureIndexes(),
      services.repositories.ensureIndexes(),
      business.repositories.ensureIndexes(),
    ]);
    // The same seeds, in the same way, as each subgraph's main.ts runs them for `npm start`.
    await seedDistrictsIfEmpty(city.repositories.districts, logger);
    // After the districts: the catalog's routing rules name them.
    await seedServiceCatalogIfEmpty(city.repositories.serviceCategories, logger);
    await seedIfEmpty({ ...services.repositories, logger });
    await seedBusinessesIfEmpty(business.repositories.businesses, logger);

    // One cleanup for the three: they stop together, after the gateway and before the store.
    cleanups.push({
      name: "subgraphs",
      close: async () => {
        const results = await Promise.allSettled([city.close(), services.close(), business.close()]);
        const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
        if (failure) throw failure.reason;
      },
    });
    const [cityUrl, servicesUrl, businessUrl] = await Promise.all([city.start(), services.start(), business.start()]);
    const subgraphUrls: SubgraphUrls = { city: cityUrl, services: servicesUrl, business: businessUrl };

    const gateway = await createGateway({ config, logger, mongo, supergraphPath: SUPERGRAPH_PATH, subgraphUrls: { ...subgraphUrls } });
    cleanups.push({ name: "gateway", close: () => gateway.close() });

    return {
      gatewayUrl: gateway.url,
      mongo,
      subgraphUrls,
      config,
      logger,
      query: <TData>(document: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
        postGraphQL<TData>(gateway.url, { query: document, ...(variables === undefined ? {} : { variables }) }, headers),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
