import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEVELOPMENT_IDENTITY_SECRET,
  DEVELOPMENT_JWT_SECRET,
  findRepositoryRoot,
  loadConfig,
} from "./config.js";

const strongSecret = (label: string) => `${label}-0123456789abcdefghijklmnopqrstuvwxyz`;
const quiet = { warn: () => {} };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("uses the documented defaults for an empty environment", () => {
    const config = loadConfig({}, quiet);
    expect(config).toMatchObject({
      nodeEnv: "development",
      logLevel: "info",
      mongodbUri: undefined,
      mongoDataDir: undefined,
      redisUrl: "redis://127.0.0.1:6379",
      redisPrefix: "situation",
      identitySecret: DEVELOPMENT_IDENTITY_SECRET,
      jwtSecret: DEVELOPMENT_JWT_SECRET,
      host: "127.0.0.1",
      gatewayPort: 4000,
      cityPort: 4001,
      servicesPort: 4002,
      businessPort: 4003,
      cityUrl: "http://127.0.0.1:4001/graphql",
      servicesUrl: "http://127.0.0.1:4002/graphql",
      businessUrl: "http://127.0.0.1:4003/graphql",
      outageFeedUrl: undefined,
      outageSyncIntervalMs: 300_000,
    });
  });

  it("returns a frozen object", () => {
    const config = loadConfig({}, quiet);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { redisUrl: string }).redisUrl = "redis://elsewhere";
    }).toThrow(TypeError);
  });

  it("reads every variable from the environment it is given", () => {
    const config = loadConfig(
      {
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        MONGODB_URI: "mongodb://db1:27017,db2:27017/?replicaSet=rs0",
        MONGO_DATA_DIR: "/tmp/ignored",
        REDIS_URL: "rediss://cache:6380",
        REDIS_PREFIX: "hub",
        IDENTITY_SECRET: strongSecret("identity"),
        JWT_SECRET: strongSecret("jwt"),
        HOST: "0.0.0.0",
        GATEWAY_PORT: "8080",
        CITY_PORT: "9001",
        SERVICES_PORT: "9002",
        BUSINESS_PORT: "9003",
        CITY_URL: "http://city.internal/graphql",
        SUPERGRAPH_PATH: "/srv/supergraph.graphql",
        OUTAGE_FEED_URL: "https://feeds.example/outages.csv",
        OUTAGE_SYNC_INTERVAL_MS: "60000",
        READINGS_RETENTION_DAYS: "730",
      },
      quiet,
    );
    expect(config).toMatchObject({
      nodeEnv: "production",
      logLevel: "warn",
      redisUrl: "rediss://cache:6380",
      redisPrefix: "hub",
      gatewayPort: 8080,
      cityUrl: "http://city.internal/graphql",
      servicesUrl: "http://0.0.0.0:9002/graphql",
      businessUrl: "http://0.0.0.0:9003/graphql",
      supergraphPath: "/srv/supergraph.graphql",
      outageFeedUrl: "https://feeds.example/outages.csv",
      outageSyncIntervalMs: 60_000,
      readingsRetentionDays: 730,
    });
  });

  it("treats empty variables as unset", () => {
    const config = loadConfig({ MONGODB_URI: "", GATEWAY_PORT: "", OUTAGE_FEED_URL: "" }, quiet);
    expect(config.mongodbUri).toBeUndefined();
    expect(config.gatewayPort).toBe(4000);
    expect(config.outageFeedUrl).toBeUndefined();
    expect(loadConfig({ READINGS_RETENTION_DAYS: "" }, quiet).readingsRetentionDays).toBe(400);
  });

  it("names every bad variable and the reason in one error", () => {
    const error = configError(() =>
      loadConfig(
        {
          NODE_ENV: "staging",
          LOG_LEVEL: "loud",
          GATEWAY_PORT: "70000",
          CITY_PORT: "abc",
          REDIS_URL: "http://not-redis",
          MONGODB_URI: "postgres://db",
          IDENTITY_SECRET: "short",
          OUTAGE_SYNC_INTERVAL_MS: "5",
          READINGS_RETENTION_DAYS: "1",
        },
        quiet,
      ),
    );
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(
      ["CITY_PORT", "GATEWAY_PORT", "IDENTITY_SECRET", "LOG_LEVEL", "MONGODB_URI", "NODE_ENV", "OUTAGE_SYNC_INTERVAL_MS", "READINGS_RETENTION_DAYS", "REDIS_URL"].sort(),
    );
    expect(error.name).toBe("ConfigError");
    expect(error.message).toContain("GATEWAY_PORT: must be 0–65535");
    expect(error.message).toContain("IDENTITY_SECRET: must be at least 32 characters");
    expect(error.message).toContain("READINGS_RETENTION_DAYS: must be 2–10000 (days)");
  });

  it("requires real secrets in production", () => {
    const error = configError(() => loadConfig({ NODE_ENV: "production" }, quiet));
    expect(error.issues).toEqual([
      { variable: "IDENTITY_SECRET", reason: "is required in production" },
      { variable: "JWT_SECRET", reason: "is required in production" },
    ]);
    const reused = configError(() =>
      loadConfig({ NODE_ENV: "production", IDENTITY_SECRET: DEVELOPMENT_IDENTITY_SECRET, JWT_SECRET: strongSecret("jwt") }, quiet),
    );
    expect(reused.issues.map((issue) => issue.variable)).toEqual(["IDENTITY_SECRET"]);
  });

  it("warns once per process about the development secrets", async () => {
    vi.resetModules();
    const fresh = await import("./config.js");
    const warn = vi.fn();
    fresh.loadConfig({}, { warn });
    fresh.loadConfig({ NODE_ENV: "test" }, { warn });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain("development secrets");
    const warnWithSecrets = vi.fn();
    vi.resetModules();
    const another = await import("./config.js");
    another.loadConfig({ IDENTITY_SECRET: strongSecret("identity"), JWT_SECRET: strongSecret("jwt") }, { warn: warnWithSecrets });
    expect(warnWithSecrets).not.toHaveBeenCalled();
  });

  it("brackets an IPv6 host in the default subgraph URLs", () => {
    expect(loadConfig({ HOST: "::1" }, quiet).cityUrl).toBe("http://[::1]:4001/graphql");
  });

  it("finds the supergraph under the repository root by default", () => {
    const root = findRepositoryRoot();
    expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces).toBeDefined();
    expect(loadConfig({}, quiet).supergraphPath).toBe(join(root, "schemas", "supergraph.graphql"));
  });
});

describe(".env.example", () => {
  it("documents every variable the platform reads", () => {
    const path = join(findRepositoryRoot(), ".env.example");
    expect(existsSync(path)).toBe(true);
    const documented = new Set(
      readFileSync(path, "utf8")
        .split("\n")
        .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});

describe("turbo.json", () => {
  it("declares every variable the platform reads, so turbo's cache keys on them", () => {
    const turbo = JSON.parse(readFileSync(join(findRepositoryRoot(), "turbo.json"), "utf8")) as { globalEnv?: string[] };
    expect(CONFIG_VARIABLES.filter((name) => !(turbo.globalEnv ?? []).includes(name))).toEqual([]);
  });
});

describe("gateway limits", () => {
  const production = { NODE_ENV: "production", IDENTITY_SECRET: strongSecret("identity"), JWT_SECRET: strongSecret("jwt") };

  it("has documented defaults, with rate limits on only in production", () => {
    const development = loadConfig({}, quiet);
    expect(development).toMatchObject({
      gatewayLimits: { maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxCost: 50_000, maxTokens: 5_000, maxBodyBytes: 1_048_576 },
      trustedDocumentsPath: undefined,
      requireTrustedDocuments: false,
      rateLimitPerIp: 0,
      rateLimitPerApiKey: 0,
      rateLimitWindowSeconds: 60,
      trustedProxyHops: 0,
      metricsToken: undefined,
    });
    expect(Object.isFrozen(development.gatewayLimits)).toBe(true);
    expect(loadConfig(production, quiet)).toMatchObject({ rateLimitPerIp: 600, rateLimitPerApiKey: 3_000 });
    expect(loadConfig({ ...production, GATEWAY_RATE_LIMIT_PER_IP: "0" }, quiet).rateLimitPerIp).toBe(0);
  });

  it("reads every gateway variable", () => {
    const config = loadConfig(
      {
        GATEWAY_MAX_DEPTH: "8",
        GATEWAY_MAX_ALIASES: "0",
        GATEWAY_MAX_ROOT_FIELDS: "5",
        GATEWAY_MAX_COST: "1000",
        GATEWAY_MAX_TOKENS: "2000",
        GATEWAY_MAX_BODY_BYTES: "65536",
        GATEWAY_TRUSTED_DOCUMENTS: "/srv/manifest.json",
        GATEWAY_REQUIRE_TRUSTED_DOCUMENTS: "true",
        GATEWAY_RATE_LIMIT_PER_IP: "100",
        GATEWAY_RATE_LIMIT_PER_API_KEY: "1000",
        GATEWAY_RATE_LIMIT_WINDOW_SECONDS: "10",
        GATEWAY_TRUSTED_PROXY_HOPS: "1",
        GATEWAY_METRICS_TOKEN: "a-scrape-token-of-some-length",
      },
      quiet,
    );
    expect(config).toMatchObject({
      gatewayLimits: { maxDepth: 8, maxAliases: 0, maxRootFields: 5, maxCost: 1000, maxTokens: 2000, maxBodyBytes: 65_536 },
      trustedDocumentsPath: "/srv/manifest.json",
      requireTrustedDocuments: true,
      rateLimitPerIp: 100,
      rateLimitPerApiKey: 1000,
      rateLimitWindowSeconds: 10,
      trustedProxyHops: 1,
      metricsToken: "a-scrape-token-of-some-length",
    });
  });

  it("names each bad gateway variable", () => {
    const error = configError(() =>
      loadConfig(
        {
          GATEWAY_MAX_DEPTH: "0",
          GATEWAY_MAX_COST: "lots",
          GATEWAY_MAX_BODY_BYTES: "10",
          GATEWAY_REQUIRE_TRUSTED_DOCUMENTS: "yes",
          GATEWAY_RATE_LIMIT_PER_IP: "-1",
          GATEWAY_TRUSTED_PROXY_HOPS: "11",
          GATEWAY_METRICS_TOKEN: "short",
        },
        quiet,
      ),
    );
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(
      [
        "GATEWAY_MAX_BODY_BYTES",
        "GATEWAY_MAX_COST",
        "GATEWAY_MAX_DEPTH",
        "GATEWAY_METRICS_TOKEN",
        "GATEWAY_RATE_LIMIT_PER_IP",
        "GATEWAY_REQUIRE_TRUSTED_DOCUMENTS",
        "GATEWAY_TRUSTED_PROXY_HOPS",
      ].sort(),
    );
    expect(error.message).toContain("GATEWAY_REQUIRE_TRUSTED_DOCUMENTS: must be true or false");
  });

  it("refuses the safelist mode without a manifest", () => {
    const error = configError(() => loadConfig({ GATEWAY_REQUIRE_TRUSTED_DOCUMENTS: "true" }, quiet));
    expect(error.issues).toEqual([
      { variable: "GATEWAY_REQUIRE_TRUSTED_DOCUMENTS", reason: "needs GATEWAY_TRUSTED_DOCUMENTS (the manifest of trusted documents)" },
    ]);
  });
});

describe("gateway resilience", () => {
  it("has documented defaults", () => {
    expect(loadConfig({}, quiet).gatewayResilience).toEqual({
      subgraphTimeoutMs: 10_000,
      subgraphTimeouts: {},
      subgraphMaxResponseBytes: 16 * 1024 * 1024,
      supergraphPollMs: 5_000,
      workers: 1,
    });
  });

  it("reads per-subgraph timeouts as name=milliseconds pairs", () => {
    const config = loadConfig({ GATEWAY_SUBGRAPH_TIMEOUT_MS: "2500", GATEWAY_SUBGRAPH_TIMEOUTS: " city=5000, business=750 ," }, quiet);
    expect(config.gatewayResilience.subgraphTimeoutMs).toBe(2_500);
    expect(config.gatewayResilience.subgraphTimeouts).toEqual({ city: 5_000, business: 750 });
    expect(Object.isFrozen(config.gatewayResilience.subgraphTimeouts)).toBe(true);
  });

  it("refuses malformed timeouts, naming the variable and the entry", () => {
    const error = configError(() =>
      loadConfig({ GATEWAY_SUBGRAPH_TIMEOUTS: "city=5000,business", GATEWAY_SUBGRAPH_TIMEOUT_MS: "0", GATEWAY_WORKERS: "-1" }, quiet),
    );
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(["GATEWAY_SUBGRAPH_TIMEOUTS", "GATEWAY_SUBGRAPH_TIMEOUT_MS", "GATEWAY_WORKERS"]);
    expect(error.message).toContain('GATEWAY_SUBGRAPH_TIMEOUTS: "business" is not name=milliseconds');
    expect(configError(() => loadConfig({ GATEWAY_SUBGRAPH_TIMEOUTS: "city=0" }, quiet)).issues[0]!.variable).toBe("GATEWAY_SUBGRAPH_TIMEOUTS");
  });

  it("runs one gateway process per CPU for GATEWAY_WORKERS=0", () => {
    expect(loadConfig({ GATEWAY_WORKERS: "0" }, quiet).gatewayResilience.workers).toBe(availableParallelism());
    expect(loadConfig({ GATEWAY_WORKERS: "3" }, quiet).gatewayResilience.workers).toBe(3);
  });
});
