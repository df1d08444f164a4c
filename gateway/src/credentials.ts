/**
 * `situation-credentials`: operator tokens and API keys for local use. Parsing is kept apart from
 * doing, so the argument rules are tested without a database.
 */
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import {
  createApiKey,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  issueAccessToken,
  loadConfig,
  PLATFORM_DATABASE,
  redactCredentials,
  type Role,
} from "@situation/platform";

/** Bearer tokens are for people at the gateway; providers and businesses (systems) get API keys. */
export const TOKEN_ROLES = ["operator", "city-staff", "admin"] as const satisfies readonly Role[];
export const API_KEY_ROLES = ["provider", "business"] as const satisfies readonly Role[];

/** What `npm start` runs: the embedded store on its usual port. */
export const DEFAULT_LOCAL_MONGODB_URI = "mongodb://127.0.0.1:27017";

const MAX_TTL_SECONDS = 30 * 24 * 60 * 60;

export const USAGE = `Usage:
  situation-credentials token --role <${TOKEN_ROLES.join("|")}> --subject <name> [--ttl <duration>]
      Prints a bearer token for the gateway (Authorization: Bearer <token>), signed with JWT_SECRET.
      --ttl: seconds or a number with s, m, h or d (default ${DEFAULT_ACCESS_TOKEN_TTL_SECONDS / 3600}h, at most 30d).

  situation-credentials api-key --role provider --provider-id <id> [--label <text>]
  situation-credentials api-key --role business --business-id <id> [--label <text>]
      Creates an API key (stored hashed) in MONGODB_URI (default ${DEFAULT_LOCAL_MONGODB_URI}, as started by
      \`npm start\`) and prints it once: it cannot be shown again. Send it as the x-api-key header.
`;

export type CredentialsCommand =
  | { kind: "help" }
  | { kind: "token"; role: (typeof TOKEN_ROLES)[number]; subject: string; ttlSeconds: number }
  | { kind: "api-key"; role: "provider"; providerId: string; label: string }
  | { kind: "api-key"; role: "business"; businessId: string; label: string };

/** The caller's mistake: the message says what to change; the CLI prints it with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseCredentialsCommand(argv: readonly string[]): CredentialsCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('name a command: "token" or "api-key"');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);

  if (command === "token") {
    rejectOptions(values, ["provider-id", "business-id", "label"], "token");
    const role = requireOneOf(values.role, TOKEN_ROLES, "--role", "a token");
    const subject = requireText(values.subject, "--subject", "who the token is for, e.g. --subject ana");
    const ttlSeconds = values.ttl === undefined ? DEFAULT_ACCESS_TOKEN_TTL_SECONDS : parseDuration(values.ttl);
    return { kind: "token", role, subject, ttlSeconds };
  }

  if (command === "api-key") {
    rejectOptions(values, ["subject", "ttl"], "api-key");
    const role = requireOneOf(values.role, API_KEY_ROLES, "--role", "an API key");
    if (role === "provider") {
      if (values["business-id"] !== undefined) throw new UsageError("--business-id belongs to --role business, not provider");
      const providerId = requireText(values["provider-id"], "--provider-id", "the provider the key acts for, e.g. --provider-id vodovod");
      return { kind: "api-key", role, providerId, label: labelOf(values.label, `provider ${providerId}`) };
    }
    if (values["provider-id"] !== undefined) throw new UsageError("--provider-id belongs to --role provider, not business");
    const businessId = requireText(values["business-id"], "--business-id", "the business the key acts for");
    return { kind: "api-key", role, businessId, label: labelOf(values.label, `business ${businessId}`) };
  }

  throw new UsageError(`unknown command ${JSON.stringify(command)}: use "token" or "api-key"`);
}

/** "8h" → 28800; a bare number is seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (match === null) throw new UsageError(`--ttl ${JSON.stringify(text)} is not a duration: use e.g. 3600, 30m, 8h or 7d`);
  const unitSeconds = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  const seconds = Number(match[1]) * unitSeconds;
  if (seconds <= 0) throw new UsageError("--ttl must be longer than zero");
  if (seconds > MAX_TTL_SECONDS) throw new UsageError("--ttl must be at most 30d: a long-lived credential is an API key's job");
  return seconds;
}

export interface CredentialsIo {
  env: Record<string, string | undefined>;
  /** The credential itself, alone on stdout, so that `$(…)` captures exactly it. */
  out: (line: string) => void;
  /** Everything meant for the person: notes and errors. */
  err: (line: string) => void;
}

/** Runs one command; returns the process exit code (0 done, 1 failed, 2 bad arguments). */
export async function runCredentialsCli(argv: readonly string[], io: CredentialsIo): Promise<number> {
  let command: CredentialsCommand;
  try {
    command = parseCredentialsCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`situation-credentials: ${error.message}\n`);
    io.err(USAGE);
    return 2;
  }
  switch (command.kind) {
    case "help":
      io.out(USAGE);
      return 0;
    case "token": {
      const config = loadConfig(io.env, { warn: (message) => io.err(`warning: ${message}`) });
      const token = await issueAccessToken({ subject: command.subject, roles: [command.role] }, config.jwtSecret, {
        ttlSeconds: command.ttlSeconds,
      });
      io.out(token);
      io.err(`# ${command.role} token for ${command.subject}, valid ${formatDuration(command.ttlSeconds)}`);
      return 0;
    }
    case "api-key":
      return createKey(command, io);
    default:
      return unreachable(command);
  }
}

async function createKey(command: Extract<CredentialsCommand, { kind: "api-key" }>, io: CredentialsIo): Promise<number> {
  // Straight to the running store, not connectMongo: without MONGODB_URI that would start a private,
  // empty embedded server and the key would vanish with it.
  const uri = io.env.MONGODB_URI === undefined || io.env.MONGODB_URI === "" ? DEFAULT_LOCAL_MONGODB_URI : io.env.MONGODB_URI;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000, appName: "situation-credentials" });
  try {
    try {
      await client.connect();
    } catch (error) {
      io.err(
        `situation-credentials: cannot reach MongoDB at ${redactCredentials(uri)} (${error instanceof Error ? error.message : String(error)}).\n` +
          "Start the platform with `npm start`, or set MONGODB_URI to the store the gateway uses.",
      );
      return 1;
    }
    const owner =
      command.role === "provider"
        ? { roles: [command.role], providerId: command.providerId, label: command.label }
        : { roles: [command.role], businessId: command.businessId, label: command.label };
    const { key, id } = await createApiKey(client.db(PLATFORM_DATABASE), owner);
    io.out(key);
    io.err(`# API key ${id} (${command.label}); shown once, store it now. Send it as the x-api-key header.`);
    return 0;
  } finally {
    await client.close();
  }
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: "string" },
      subject: { type: "string" },
      ttl: { type: "string" },
      "provider-id": { type: "string" },
      "business-id": { type: "string" },
      label: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function rejectOptions(values: Record<string, unknown>, names: readonly string[], command: string): void {
  const present = names.find((name) => values[name] !== undefined);
  if (present !== undefined) throw new UsageError(`--${present} does not apply to "${command}"`);
}

function requireOneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, what: string): T {
  if (value === undefined) throw new UsageError(`${option} is required for ${what}: one of ${allowed.join(", ")}`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${option} ${JSON.stringify(value)} is not allowed for ${what}: use one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function requireText(value: string | undefined, option: string, hint: string): string {
  if (value === undefined || value.trim() === "") throw new UsageError(`${option} is required: ${hint}`);
  return value.trim();
}

function labelOf(value: string | undefined, fallback: string): string {
  if (value !== undefined && value.trim() === "") throw new UsageError("--label must not be empty");
  return value?.trim() ?? fallback;
}

function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function unreachable(value: never): never {
  throw new Error(`unhandled command ${JSON.stringify(value)}`);
}
