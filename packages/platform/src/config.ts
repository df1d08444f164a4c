/**
 * The platform's configuration: read from the environment once at start-up, validated with zod,
 * frozen. Every variable is documented in `.env.example` at the repository root.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export type NodeEnv = "development" | "test" | "production";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface PlatformConfig {
  readonly nodeEnv: NodeEnv;
  readonly logLevel: LogLevel;
  readonly mongodbUri: string | undefined;
  readonly mongoDataDir: string | undefined;
  /** Port of the embedded server when MONGODB_URI is unset; 0 picks a free one. */
  readonly mongoPort: number;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly identitySecret: string;
  readonly jwtSecret: string;
  readonly host: string;
  readonly gatewayPort: number;
  readonly cityPort: number;
  readonly servicesPort: number;
  readonly businessPort: number;
  readonly cityUrl: string;
  readonly servicesUrl: string;
  readonly businessUrl: string;
  readonly supergraphPath: string;
  readonly outageFeedUrl: string | undefined;
  readonly outageSyncIntervalMs: number;
  /** The only directory under which sync sources may read `file:` URLs; undefined refuses them all. */
  readonly syncFileRoot: string | undefined;
  /** How long environment readings are kept; a TTL index on the readings' time removes older ones. */
  readonly readingsRetentionDays: number;
  /** Operation limits the gateway enforces before planning; see gateway/src/limits/. */
  readonly gatewayLimits: GatewayLimitsConfig;
  /** A persisted-query manifest (Apollo's format) of trusted documents; undefined: none. */
  readonly trustedDocumentsPath: string | undefined;
  /** Refuse every operation that is not in the trusted documents (production safelisting). */
  readonly requireTrustedDocuments: boolean;
  /** Requests per window; 0 turns the limit off. Counted in Redis across gateway instances. */
  readonly rateLimitPerIp: number;
  readonly rateLimitPerApiKey: number;
  readonly rateLimitWindowSeconds: number;
  /** How many reverse proxies in front of the gateway append to X-Forwarded-For; 0 trusts none. */
  readonly trustedProxyHops: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  /** How the gateway treats slow, failing or misbehaving subgraphs; see gateway/src/resilience/. */
  readonly gatewayResilience: GatewayResilienceConfig;
}

export interface GatewayResilienceConfig {
  /** Longest wait for one subgraph call (headers and body), unless the subgraph has its own below. */
  readonly subgraphTimeoutMs: number;
  /** Per-subgraph overrides of `subgraphTimeoutMs`, by subgraph name. */
  readonly subgraphTimeouts: Readonly<Record<string, number>>;
  /** Largest subgraph answer the gateway reads; a bigger one fails that subgraph's fields. */
  readonly subgraphMaxResponseBytes: number;
  /** How often the supergraph file is checked for changes besides file-system events; 0: never reloaded. */
  readonly supergraphPollMs: number;
  /** Gateway processes on this machine (node cluster); 1 runs without a cluster. 0 in the variable means one per CPU. */
  readonly workers: number;
}

export interface GatewayLimitsConfig {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxRootFields: number;
  readonly maxCost: number;
  readonly maxTokens: number;
  readonly maxBodyBytes: number;
}

/** Every environment variable the platform reads; `.env.example` documents each (a test checks it). */
export const CONFIG_VARIABLES = [
  "NODE_ENV",
  "LOG_LEVEL",
  "MONGODB_URI",
  "MONGO_DATA_DIR",
  "MONGO_PORT",
  "REDIS_URL",
  "REDIS_PREFIX",
  "IDENTITY_SECRET",
  "JWT_SECRET",
  "HOST",
  "GATEWAY_PORT",
  "CITY_PORT",
  "SERVICES_PORT",
  "BUSINESS_PORT",
  "CITY_URL",
  "SERVICES_URL",
  "BUSINESS_URL",
  "SUPERGRAPH_PATH",
  "OUTAGE_FEED_URL",
  "OUTAGE_SYNC_INTERVAL_MS",
  "SYNC_FILE_ROOT",
  "READINGS_RETENTION_DAYS",
  "GATEWAY_MAX_DEPTH",
  "GATEWAY_MAX_ALIASES",
  "GATEWAY_MAX_ROOT_FIELDS",
  "GATEWAY_MAX_COST",
  "GATEWAY_MAX_TOKENS",
  "GATEWAY_MAX_BODY_BYTES",
  "GATEWAY_TRUSTED_DOCUMENTS",
  "GATEWAY_REQUIRE_TRUSTED_DOCUMENTS",
  "GATEWAY_RATE_LIMIT_PER_IP",
  "GATEWAY_RATE_LIMIT_PER_API_KEY",
  "GATEWAY_RATE_LIMIT_WINDOW_SECONDS",
  "GATEWAY_TRUSTED_PROXY_HOPS",
  "GATEWAY_METRICS_TOKEN",
  "GATEWAY_SUBGRAPH_TIMEOUT_MS",
  "GATEWAY_SUBGRAPH_TIMEOUTS",
  "GATEWAY_SUBGRAPH_MAX_RESPONSE_BYTES",
  "GATEWAY_SUPERGRAPH_POLL_MS",
  "GATEWAY_WORKERS",
] as const;

export const MIN_SECRET_LENGTH = 32;

/**
 * Outside production these fixed values stand in for unset secrets, so that `npm start` and the tests
 * work on a fresh clone. Their names say what they are; production refuses to start without real ones.
 */
export const DEVELOPMENT_IDENTITY_SECRET = "development-only-identity-secret-not-for-production";
export const DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-not-for-production";

export interface ConfigIssue {
  variable: string;
  reason: string;
}

/** Start-up failed because of the configuration; the message lists every bad variable. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (see .env.example):\n${issues.map((issue) => `  ${issue.variable}: ${issue.reason}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export interface LoadConfigOptions {
  /** Where the warning about development secrets goes; stderr by default. */
  warn?: (message: string) => void;
}

// An empty variable (`FOO=` in a .env file) means "unset", not "the empty string".
const optionalText = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());

const port = (fallback: number) =>
  z.preprocess(
    (value) => (value === "" || value === undefined ? fallback : value),
    z.coerce.number().int("must be an integer").min(0, "must be 0–65535").max(65535, "must be 0–65535"),
  );

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.map((protocol) => `${protocol}//`).join(" or ")})` },
  );

const optionalUrl = (protocols: readonly string[]) =>
  z.preprocess((value) => (value === "" ? undefined : value), url(protocols).optional());

const count = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (value) => (value === "" || value === undefined ? fallback : value),
    z.coerce.number().int("must be an integer").min(min, `must be ${min}–${max}`).max(max, `must be ${min}–${max}`),
  );

const optionalCount = (min: number, max: number) =>
  z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number().int("must be an integer").min(min, `must be ${min}–${max}`).max(max, `must be ${min}–${max}`).optional(),
  );

/**
 * Rate limits when unset: on in production; off elsewhere, where load tests, benchmarks and parallel
 * test suites share one address and one Redis.
 */
export const PRODUCTION_RATE_LIMITS = Object.freeze({ perIp: 600, perApiKey: 3_000 });

const flag = (fallback: boolean) =>
  z.preprocess(
    (value) => (value === "" || value === undefined ? String(fallback) : value),
    z.enum(["true", "false"], { message: "must be true or false" }).transform((value) => value === "true"),
  );

/** Subgraph timeouts are 1 ms – 10 min: beyond that a caller has long given up. */
const MAX_SUBGRAPH_TIMEOUT_MS = 600_000;

/**
 * `name=ms` pairs separated by commas (`city=5000,business=2000`): one variable for any number of
 * subgraphs, since subgraph names come from the supergraph and cannot each have a declared variable.
 */
const subgraphTimeouts = z.preprocess(
  (value) => (value === undefined ? "" : value),
  z.string().transform((value, context) => {
    const timeouts: Record<string, number> = {};
    for (const entry of value.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
      const match = /^([A-Za-z_][A-Za-z0-9_-]*)=(\d+)$/.exec(entry);
      const timeoutMs = match === null ? Number.NaN : Number(match[2]);
      if (match === null || timeoutMs < 1 || timeoutMs > MAX_SUBGRAPH_TIMEOUT_MS) {
        context.addIssue({
          code: "custom",
          message: `"${entry}" is not name=milliseconds (1–${MAX_SUBGRAPH_TIMEOUT_MS}), e.g. city=5000,business=2000`,
        });
        return z.NEVER;
      }
      timeouts[match[1]!] = timeoutMs;
    }
    return timeouts;
  }),
);

const environmentSchema = z.object({
  NODE_ENV: z.preprocess(
    (value) => (value === "" || value === undefined ? "development" : value),
    z.enum(["development", "test", "production"], { message: "must be development, test or production" }),
  ),
  LOG_LEVEL: z.preprocess(
    (value) => (value === "" || value === undefined ? "info" : value),
    z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      message: "must be trace, debug, info, warn, error, fatal or silent",
    }),
  ),
  // Not checked with URL(): a replica set's URI lists several hosts, which WHATWG URLs cannot parse.
  MONGODB_URI: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, "must be a MongoDB connection string (mongodb:// or mongodb+srv://)").optional(),
  ),
  MONGO_DATA_DIR: optionalText,
  MONGO_PORT: port(0),
  REDIS_URL: z.preprocess(
    (value) => (value === "" || value === undefined ? "redis://127.0.0.1:6379" : value),
    url(["redis:", "rediss:"]),
  ),
  REDIS_PREFIX: z.preprocess(
    (value) => (value === "" || value === undefined ? "situation" : value),
    z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, '_', '.' or '-'"),
  ),
  IDENTITY_SECRET: optionalText,
  JWT_SECRET: optionalText,
  HOST: z.preprocess((value) => (value === "" || value === undefined ? "127.0.0.1" : value), z.string()),
  GATEWAY_PORT: port(4000),
  CITY_PORT: port(4001),
  SERVICES_PORT: port(4002),
  BUSINESS_PORT: port(4003),
  CITY_URL: optionalUrl(["http:", "https:"]),
  SERVICES_URL: optionalUrl(["http:", "https:"]),
  BUSINESS_URL: optionalUrl(["http:", "https:"]),
  SUPERGRAPH_PATH: optionalText,
  OUTAGE_FEED_URL: optionalUrl(["http:", "https:"]),
  OUTAGE_SYNC_INTERVAL_MS: z.preprocess(
    (value) => (value === "" || value === undefined ? 300_000 : value),
    z.coerce.number().int("must be an integer").min(1_000, "must be at least 1000 (ms)"),
  ),
  SYNC_FILE_ROOT: optionalText,
  // Daily means and their alerts need at least the previous days; past about 30 years the TTL in
  // seconds would no longer be a 32-bit number, which MongoDB requires of expireAfterSeconds.
  READINGS_RETENTION_DAYS: z.preprocess(
    (value) => (value === "" || value === undefined ? 400 : value),
    z.coerce.number().int("must be an integer").min(2, "must be 2–10000 (days)").max(10_000, "must be 2–10000 (days)"),
  ),
  GATEWAY_MAX_DEPTH: count(15, 1, 1_000),
  GATEWAY_MAX_ALIASES: count(30, 0, 100_000),
  GATEWAY_MAX_ROOT_FIELDS: count(20, 1, 10_000),
  GATEWAY_MAX_COST: count(50_000, 1, 1_000_000_000),
  GATEWAY_MAX_TOKENS: count(5_000, 100, 1_000_000),
  GATEWAY_MAX_BODY_BYTES: count(1024 * 1024, 1024, 64 * 1024 * 1024),
  GATEWAY_TRUSTED_DOCUMENTS: optionalText,
  GATEWAY_REQUIRE_TRUSTED_DOCUMENTS: flag(false),
  // Unset, they depend on NODE_ENV (see loadConfig): on in production, off for development and tests.
  GATEWAY_RATE_LIMIT_PER_IP: optionalCount(0, 10_000_000),
  GATEWAY_RATE_LIMIT_PER_API_KEY: optionalCount(0, 10_000_000),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: count(60, 1, 86_400),
  GATEWAY_TRUSTED_PROXY_HOPS: count(0, 0, 10),
  GATEWAY_METRICS_TOKEN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().min(16, "must be at least 16 characters").optional(),
  ),
  GATEWAY_SUBGRAPH_TIMEOUT_MS: count(10_000, 1, MAX_SUBGRAPH_TIMEOUT_MS),
  GATEWAY_SUBGRAPH_TIMEOUTS: subgraphTimeouts,
  GATEWAY_SUBGRAPH_MAX_RESPONSE_BYTES: count(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  GATEWAY_SUPERGRAPH_POLL_MS: count(5_000, 0, 3_600_000),
  GATEWAY_WORKERS: count(1, 0, 256),
});

let developmentSecretWarned = false;

/**
 * Reads the configuration from `env` (the process environment by default; tests pass their own).
 * Throws one `ConfigError` naming every bad variable and why.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): PlatformConfig {
  const parsed = environmentSchema.safeParse(pick(env));
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "(environment)"), reason: issue.message }));
  if (!parsed.success) {
    // The secrets' own rules still apply, so that one run reports every problem.
    const nodeEnv = env.NODE_ENV === "production" ? "production" : "development";
    checkSecret("IDENTITY_SECRET", emptyToUndefined(env.IDENTITY_SECRET), nodeEnv, issues);
    checkSecret("JWT_SECRET", emptyToUndefined(env.JWT_SECRET), nodeEnv, issues);
    throw new ConfigError(issues);
  }
  const values = parsed.data;
  const identitySecret = checkSecret("IDENTITY_SECRET", values.IDENTITY_SECRET, values.NODE_ENV, issues);
  const jwtSecret = checkSecret("JWT_SECRET", values.JWT_SECRET, values.NODE_ENV, issues);
  if (values.GATEWAY_REQUIRE_TRUSTED_DOCUMENTS && values.GATEWAY_TRUSTED_DOCUMENTS === undefined) {
    issues.push({ variable: "GATEWAY_REQUIRE_TRUSTED_DOCUMENTS", reason: "needs GATEWAY_TRUSTED_DOCUMENTS (the manifest of trusted documents)" });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const usesDevelopmentSecret = values.IDENTITY_SECRET === undefined || values.JWT_SECRET === undefined;
  if (usesDevelopmentSecret && !developmentSecretWarned) {
    developmentSecretWarned = true;
    const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
    warn(
      "IDENTITY_SECRET or JWT_SECRET is unset: using the fixed development secrets. Never run like this in production.",
    );
  }

  const host = values.HOST;
  const serviceUrl = (port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}/graphql`;
  return Object.freeze({
    nodeEnv: values.NODE_ENV,
    logLevel: values.LOG_LEVEL,
    mongodbUri: values.MONGODB_URI,
    mongoDataDir: values.MONGO_DATA_DIR,
    mongoPort: values.MONGO_PORT,
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    identitySecret,
    jwtSecret,
    host,
    gatewayPort: values.GATEWAY_PORT,
    cityPort: values.CITY_PORT,
    servicesPort: values.SERVICES_PORT,
    businessPort: values.BUSINESS_PORT,
    cityUrl: values.CITY_URL ?? serviceUrl(values.CITY_PORT),
    servicesUrl: values.SERVICES_URL ?? serviceUrl(values.SERVICES_PORT),
    businessUrl: values.BUSINESS_URL ?? serviceUrl(values.BUSINESS_PORT),
    supergraphPath:
      values.SUPERGRAPH_PATH === undefined
        ? join(findRepositoryRoot(), "schemas", "supergraph.graphql")
        : resolve(values.SUPERGRAPH_PATH),
    outageFeedUrl: values.OUTAGE_FEED_URL,
    outageSyncIntervalMs: values.OUTAGE_SYNC_INTERVAL_MS,
    syncFileRoot: values.SYNC_FILE_ROOT === undefined ? undefined : resolve(values.SYNC_FILE_ROOT),
    readingsRetentionDays: values.READINGS_RETENTION_DAYS,
    gatewayLimits: Object.freeze({
      maxDepth: values.GATEWAY_MAX_DEPTH,
      maxAliases: values.GATEWAY_MAX_ALIASES,
      maxRootFields: values.GATEWAY_MAX_ROOT_FIELDS,
      maxCost: values.GATEWAY_MAX_COST,
      maxTokens: values.GATEWAY_MAX_TOKENS,
      maxBodyBytes: values.GATEWAY_MAX_BODY_BYTES,
    }),
    trustedDocumentsPath:
      values.GATEWAY_TRUSTED_DOCUMENTS === undefined ? undefined : resolve(values.GATEWAY_TRUSTED_DOCUMENTS),
    requireTrustedDocuments: values.GATEWAY_REQUIRE_TRUSTED_DOCUMENTS,
    rateLimitPerIp: values.GATEWAY_RATE_LIMIT_PER_IP ?? (values.NODE_ENV === "production" ? PRODUCTION_RATE_LIMITS.perIp : 0),
    rateLimitPerApiKey:
      values.GATEWAY_RATE_LIMIT_PER_API_KEY ?? (values.NODE_ENV === "production" ? PRODUCTION_RATE_LIMITS.perApiKey : 0),
    rateLimitWindowSeconds: values.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
    trustedProxyHops: values.GATEWAY_TRUSTED_PROXY_HOPS,
    metricsToken: values.GATEWAY_METRICS_TOKEN,
    gatewayResilience: Object.freeze({
      subgraphTimeoutMs: values.GATEWAY_SUBGRAPH_TIMEOUT_MS,
      subgraphTimeouts: Object.freeze(values.GATEWAY_SUBGRAPH_TIMEOUTS),
      subgraphMaxResponseBytes: values.GATEWAY_SUBGRAPH_MAX_RESPONSE_BYTES,
      supergraphPollMs: values.GATEWAY_SUPERGRAPH_POLL_MS,
      workers: values.GATEWAY_WORKERS === 0 ? availableParallelism() : values.GATEWAY_WORKERS,
    }),
  });
}

function pick(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, env[name]]));
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}

function checkSecret(variable: string, value: string | undefined, nodeEnv: NodeEnv, issues: ConfigIssue[]): string {
  const developmentDefault = variable === "IDENTITY_SECRET" ? DEVELOPMENT_IDENTITY_SECRET : DEVELOPMENT_JWT_SECRET;
  if (value === undefined) {
    if (nodeEnv === "production") issues.push({ variable, reason: "is required in production" });
    return developmentDefault;
  }
  if (value.length < MIN_SECRET_LENGTH) {
    issues.push({ variable, reason: `must be at least ${MIN_SECRET_LENGTH} characters (has ${value.length})` });
  } else if (nodeEnv === "production" && value === developmentDefault) {
    issues.push({ variable, reason: "must not be the development default in production" });
  }
  return value;
}

/** The nearest directory above this module whose package.json declares workspaces. */
export function findRepositoryRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let directory = start;
  for (;;) {
    const manifest = join(directory, "package.json");
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown };
        if (parsed.workspaces !== undefined) return directory;
      } catch {
        // An unreadable manifest is not the root; keep looking upwards.
      }
    }
    const parent = dirname(directory);
    if (parent === directory) {
      // Installed outside the monorepo: the working directory is the best guess left.
      return process.cwd();
    }
    directory = parent;
  }
}
