export {
  loadConfig,
  findRepositoryRoot,
  ConfigError,
  CONFIG_VARIABLES,
  MIN_SECRET_LENGTH,
  DEVELOPMENT_IDENTITY_SECRET,
  DEVELOPMENT_JWT_SECRET,
  type PlatformConfig,
  type NodeEnv,
  type LogLevel,
  type ConfigIssue,
  type LoadConfigOptions,
} from "./config.js";
export { createLogger, REQUEST_ID_HEADER, type Logger } from "./logging.js";
export { connectMongo, redactCredentials, type MongoConnection } from "./mongo.js";
export {
  createRedisConnection,
  checkRedis,
  DEFAULT_REDIS_CHECK_TIMEOUT_MS,
  type RedisConnectionOptions,
} from "./redis.js";
export {
  ROLES,
  ANONYMOUS,
  IDENTITY_HEADER,
  TOKEN_ISSUER,
  SUBGRAPH_AUDIENCE,
  GATEWAY_AUDIENCE,
  DEFAULT_IDENTITY_TTL_SECONDS,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  signIdentity,
  verifyIdentity,
  issueAccessToken,
  verifyAccessToken,
  hasRole,
  type Role,
  type Identity,
  type SignOptions,
} from "./identity.js";
export {
  PLATFORM_DATABASE,
  API_KEYS_COLLECTION,
  API_KEY_PREFIX,
  createApiKey,
  findIdentityByApiKey,
  revokeApiKey,
  hashApiKey,
  ensureApiKeyIndexes,
  type ApiKeyDocument,
  type ApiKeyOwner,
} from "./api-keys.js";
export {
  ErrorCode,
  errorCatalog,
  PlatformError,
  UserInputError,
  UnauthenticatedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  UpstreamError,
  RateLimitedError,
  RedisUnavailableError,
  isPlatformError,
  type PlatformErrorOptions,
} from "./errors.js";
export {
  createDelayedJobQueue,
  DEFAULT_DELAYED_JOB_OPTIONS,
  type DelayedJobQueue,
  type DelayedJobQueueOptions,
} from "./delayed-jobs.js";
export { createShutdown, DEFAULT_SHUTDOWN_TIMEOUT_MS, type Shutdown, type ShutdownOptions } from "./shutdown.js";
