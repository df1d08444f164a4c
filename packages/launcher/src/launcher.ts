/**
 * The whole platform on one machine: the store (the embedded server unless MONGODB_URI is set),
 * then the three subgraphs, then the gateway, then the worker, each its own process; stopped in
 * the reverse order. Used by `npm start`.
 */
import { fileURLToPath } from "node:url";
import { startEmbeddedMongo, type EmbeddedMongo } from "@situation/mongo-embedded";
import { checkRedis, type Logger, type PlatformConfig } from "@situation/platform";
import { startServiceProcess, waitUntilHealthy, type ServiceProcess } from "./processes.js";

export interface LaunchOptions {
  config: PlatformConfig;
  logger: Logger;
  /** The environment the children inherit (the launcher's own, usually). */
  env: NodeJS.ProcessEnv;
  /** Called when a child dies without being asked to: the platform is incomplete from then on. */
  onUnexpectedExit: (service: string, code: number | null) => void;
}

export interface RunningPlatform {
  readonly urls: { gateway: string; health: string; city: string; services: string; business: string; mongodb: string };
  close(): Promise<void>;
}

function entryOf(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

export async function launchPlatform(options: LaunchOptions): Promise<RunningPlatform> {
  const { config, logger } = options;
  await checkRedis(config.redisUrl);

  const started: ServiceProcess[] = [];
  let store: EmbeddedMongo | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Reverse order of start: nothing is left talking to a dependency that is already gone.
      for (const service of started.reverse()) {
        await service.stop().catch((error: unknown) => logger.error({ err: error, service: service.name }, "stop failed"));
      }
      await store?.close().catch((error: unknown) => logger.error({ err: error }, "closing the store failed"));
    })();
    return closing;
  };

  try {
    let mongodbUri = config.mongodbUri;
    if (mongodbUri === undefined) {
      store = await startEmbeddedMongo({ dataDir: config.mongoDataDir, port: config.mongoPort, host: "127.0.0.1", logger });
      mongodbUri = store.uri;
      logger.info({ uri: mongodbUri, dataDir: config.mongoDataDir ?? "(memory)" }, "embedded MongoDB-compatible store started");
    }
    const env = { ...options.env, MONGODB_URI: mongodbUri };
    const start = (name: string, specifier: string) => {
      const service = startServiceProcess(name, entryOf(specifier), { env, logger, onUnexpectedExit: options.onUnexpectedExit });
      started.push(service);
      return service;
    };
    const base = (port: number) => `http://${config.host}:${port}`;

    const subgraphs = [
      { service: start("city", "@situation/city-subgraph/main"), port: config.cityPort },
      { service: start("services", "@situation/services-subgraph/main"), port: config.servicesPort },
      { service: start("business", "@situation/business-subgraph/main"), port: config.businessPort },
    ];
    await Promise.all(subgraphs.map(({ service, port }) => waitUntilHealthy(service, `${base(port)}/health`)));
    const gateway = start("gateway", "@situation/gateway/main");
    await waitUntilHealthy(gateway, `${base(config.gatewayPort)}/health`);
    start("worker", "@situation/workers/main");

    return {
      urls: {
        gateway: `${base(config.gatewayPort)}/graphql`,
        health: `${base(config.gatewayPort)}/health`,
        city: config.cityUrl,
        services: config.servicesUrl,
        business: config.businessUrl,
        mongodb: mongodbUri,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
