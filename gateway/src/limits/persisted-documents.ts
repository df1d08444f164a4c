/**
 * Persisted documents: trusted documents (a safelist in Apollo's persisted-query manifest format,
 * loaded at start) and automatic persisted queries (APQ, Apollo Server's own protocol) cached in Redis
 * so that a hash registered through one gateway instance is known to all.
 *
 * A manifest operation is sent by id exactly like an APQ hash (`extensions.persistedQuery.sha256Hash`),
 * so clients need one protocol for both. In `requireTrustedDocuments` mode every operation whose text
 * is not in the manifest is refused (FORBIDDEN), and APQ registers nothing: the safelist would be
 * pointless if a client could add to it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { ApolloServerOptions, ApolloServerPlugin } from "@apollo/server";
import { ErrorCode, type Logger } from "@situation/platform";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../context.js";
import type { RedisConnection } from "./rate-limit.js";

export const MANIFEST_FORMAT = "apollo-persisted-query-manifest";

export interface TrustedDocuments {
  /** Operation text by its id (the SHA-256 of the text, lowercase hex). */
  readonly byId: ReadonlyMap<string, string>;
}

/**
 * Reads and checks a manifest: an id that is not the SHA-256 of its body would make the safelist
 * admit a document nobody reviewed, so a mismatch stops start-up naming the operation.
 */
export async function loadTrustedDocuments(path: string): Promise<TrustedDocuments> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the trusted documents at ${path} (GATEWAY_TRUSTED_DOCUMENTS)`, { cause: error });
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new Error(`the trusted documents at ${path} are not JSON`, { cause: error });
  }
  return parseManifest(manifest, path);
}

export function parseManifest(manifest: unknown, source = "the manifest"): TrustedDocuments {
  const invalid = (reason: string) => new Error(`invalid trusted documents in ${source}: ${reason}`);
  if (typeof manifest !== "object" || manifest === null) throw invalid("not an object");
  const { format, version, operations } = manifest as Record<string, unknown>;
  if (format !== MANIFEST_FORMAT) throw invalid(`"format" must be "${MANIFEST_FORMAT}"`);
  if (version !== 1) throw invalid('"version" must be 1');
  if (!Array.isArray(operations)) throw invalid('"operations" must be an array');
  const byId = new Map<string, string>();
  operations.forEach((operation: unknown, index) => {
    const { id, body, name } = (operation ?? {}) as Record<string, unknown>;
    const label = typeof name === "string" ? `operation ${index} (${name})` : `operation ${index}`;
    if (typeof body !== "string" || body.trim() === "") throw invalid(`${label} has no "body"`);
    if (typeof id !== "string" || !/^[0-9a-f]{64}$/.test(id)) throw invalid(`${label} has no "id" (a lowercase hex SHA-256)`);
    if (sha256Hex(body) !== id) throw invalid(`${label}: "id" is not the SHA-256 of its "body"`);
    byId.set(id, body);
  });
  return { byId };
}

export interface PersistedDocumentsOptions {
  trustedDocuments: TrustedDocuments | undefined;
  requireTrustedDocuments: boolean;
  /** Where APQ hashes are kept; undefined keeps them in this process's memory (Apollo's default cache). */
  redis: RedisConnection | undefined;
  redisPrefix: string;
  /** How long a registered APQ is kept, in seconds. */
  apqTtlSeconds?: number;
  logger: Logger;
  /** Told about every operation served from the trusted documents (for metrics). */
  onTrustedDocument?: () => void;
}

export const DEFAULT_APQ_TTL_SECONDS = 24 * 60 * 60;

/** Apollo Server's `persistedQueries` option for these settings. */
export function persistedQueriesOption(options: PersistedDocumentsOptions): ApolloServerOptions<GatewayContext>["persistedQueries"] {
  const ttl = options.apqTtlSeconds ?? DEFAULT_APQ_TTL_SECONDS;
  // Kept on (rather than `false`) in the safelist mode so that an unknown id is answered with
  // PERSISTED_QUERY_NOT_FOUND instead of "persisted queries are not supported".
  if (options.requireTrustedDocuments) return { cache: NOTHING_CACHED, ttl };
  if (options.redis === undefined) return { ttl };
  return { cache: new RedisQueryCache(options.redis, `${options.redisPrefix}:`, options.logger), ttl };
}

/** Serves manifest operations by id and, in the safelist mode, refuses every other operation. */
export function persistedDocumentsPlugin(options: PersistedDocumentsOptions): ApolloServerPlugin<GatewayContext> {
  const trusted = options.trustedDocuments?.byId ?? new Map<string, string>();
  return {
    async requestDidStart({ request }) {
      const { persistedQuery, ...otherExtensions } = request.extensions ?? {};
      const id = persistedHashOf(persistedQuery);
      if (id !== undefined && request.query === undefined && trusted.has(id)) {
        // Sent on as a plain operation: the manifest, not the APQ cache, is its source.
        request.query = trusted.get(id);
        request.extensions = otherExtensions;
        options.onTrustedDocument?.();
      }
      if (!options.requireTrustedDocuments) return;
      return {
        // The earliest hook whose error Apollo answers as a GraphQL error; registration in the APQ
        // cache happens only after it, so a refused text is never stored.
        async didResolveOperation({ queryHash }) {
          if (!trusted.has(queryHash)) {
            throw new GraphQLError("this gateway only runs trusted documents, and this operation is not one of them", {
              extensions: { code: ErrorCode.FORBIDDEN, field: "query", http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}

function persistedHashOf(persistedQuery: unknown): string | undefined {
  if (typeof persistedQuery !== "object" || persistedQuery === null) return undefined;
  const hash = (persistedQuery as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === "string" ? hash.toLowerCase() : undefined;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

type QueryCache = NonNullable<Exclude<ApolloServerOptions<GatewayContext>["persistedQueries"], false | undefined>["cache"]>;

const NOTHING_CACHED: QueryCache = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => false,
};

const REDIS_TIMEOUT_MS = 250;

/**
 * Apollo's KeyValueCache on the platform's ioredis connection. A cache, so Redis trouble is a miss,
 * never a failed request: the client then sends the full text, which works without Redis.
 */
export class RedisQueryCache implements QueryCache {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #logger: Logger;

  constructor(redis: RedisConnection, prefix: string, logger: Logger) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#logger = logger;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#attempt("get", () => this.#redis.get(this.#prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl;
    await this.#attempt("set", () =>
      typeof ttl === "number" && ttl > 0
        ? this.#redis.set(this.#prefix + key, value, "EX", Math.ceil(ttl))
        : this.#redis.set(this.#prefix + key, value),
    );
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.#attempt("delete", () => this.#redis.del(this.#prefix + key))) ?? 0) > 0;
  }

  async #attempt<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
    // ioredis would queue the command until Redis returns; a cache lookup must not wait for that.
    if (this.#redis.status !== "ready") return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.#logger.warn({ err: error, operation }, "the persisted query cache in Redis failed; treated as a miss");
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
