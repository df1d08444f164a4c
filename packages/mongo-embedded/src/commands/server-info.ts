/** Handshake, liveness and the server's self-description. */
import { HELLO_LIMITS } from "../wire/command-executor.js";
import { helloReply } from "../wire/hello.js";
import type { CommandHandler } from "./context.js";

/** The MongoDB release whose behaviour the server follows; drivers pick their wire features from it. */
export const EMULATED_VERSION = "7.0.0";

export const hello: CommandHandler = (context) => helloReply(context.connectionId);

export const ping: CommandHandler = () => ({ ok: 1 });

export const buildInfo: CommandHandler = () => ({
  version: EMULATED_VERSION,
  gitVersion: "situation-hub-mongo-embedded",
  versionArray: EMULATED_VERSION.split(".").map(Number).concat(0),
  bits: 64,
  debug: false,
  maxBsonObjectSize: HELLO_LIMITS.maxBsonObjectSize,
  storageEngines: ["embedded"],
  javascriptEngine: "none",
  modules: [],
  ok: 1,
});

export const whatsmyuri: CommandHandler = (context) => ({ you: context.client, ok: 1 });

export const connectionStatus: CommandHandler = () => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
  ok: 1,
});

/** endSessions and killSessions forget the sessions they list; killAllSessions forgets none it cannot name. */
export const endSessions: CommandHandler = (context, _dbName, command) => {
  const name = Object.keys(command)[0];
  const listed = command[name];
  if (Array.isArray(listed)) context.sessions.end(listed);
  return { ok: 1 };
};

export const serverStatus: CommandHandler = (context) => ({
  host: context.client,
  version: EMULATED_VERSION,
  process: "situation-mongo",
  pid: process.pid,
  uptime: Math.floor(process.uptime()),
  localTime: new Date(),
  mem: { resident: Math.round(process.memoryUsage().rss / 2 ** 20), bits: 64 },
  metrics: { cursor: { open: { total: context.cursors.size } } },
  ok: 1,
});

export const getParameter: CommandHandler = () => ({ featureCompatibilityVersion: { version: "7.0" }, ok: 1 });
