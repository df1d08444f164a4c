/**
 * The platform's configuration: read from the environment once at start-up, validated with zod,
 * frozen. Every variable is documented in `.env.example` at the repository root.
 */
import { existsSync, readFileSync } from "node:fs";
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
