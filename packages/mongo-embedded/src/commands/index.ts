/** The MongoDB commands, executed against the catalog. */
import type { Doc } from "../bson-values.js";
import { ErrorCodes, MongoCommandError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Storage } from "../storage/catalog.js";
import type { CommandContext, CommandExecutor } from "../wire/command-executor.js";
import { aggregate } from "./aggregate.js";
import type { CommandHandler, HandlerContext } from "./context.js";
import { CursorStore } from "./cursors.js";
import * as namespaces from "./namespaces.js";
import * as read from "./read.js";
import * as serverInfo from "./server-info.js";
import { SessionRegistry } from "./sessions.js";
import * as write from "./write.js";

/**
 * Command names as mongod matches them: the first field of the command document. A few have
 * historic lower-case aliases that drivers and tools still send.
 */
const handlers: Record<string, CommandHandler> = {
  hello: serverInfo.hello,
  isMaster: serverInfo.hello,
  ismaster: serverInfo.hello,
  ping: serverInfo.ping,
  buildInfo: serverInfo.buildInfo,
  buildinfo: serverInfo.buildInfo,
  whatsmyuri: serverInfo.whatsmyuri,
  connectionStatus: serverInfo.connectionStatus,
  serverStatus: serverInfo.serverStatus,
  getParameter: serverInfo.getParameter,
  endSessions: serverInfo.endSessions,
  killSessions: serverInfo.endSessions,
  killAllSessions: serverInfo.endSessions,

  find: read.find,
  getMore: read.getMore,
  killCursors: read.killCursors,
  count: read.count,
  distinct: read.distinct,
  aggregate,

  insert: write.insert,
  update: write.update,
  delete: write.remove,
  findAndModify: write.findAndModify,
  findandmodify: write.findAndModify,

  create: namespaces.create,
  drop: namespaces.drop,
  dropDatabase: namespaces.dropDatabase,
  renameCollection: namespaces.renameCollection,
  listCollections: namespaces.listCollections,
  listDatabases: namespaces.listDatabases,
  createIndexes: namespaces.createIndexes,
  listIndexes: namespaces.listIndexes,
  dropIndexes: namespaces.dropIndexes,
  deleteIndexes: namespaces.dropIndexes,
  collStats: namespaces.collStats,
  dbStats: namespaces.dbStats,
};

export function createCommandExecutor(storage: Storage, options: { logger: Logger }): CommandExecutor & { close(): void } {
  const cursors = new CursorStore();
  const sessions = new SessionRegistry();
  return {
    async execute(dbName: string, command: Doc, context: CommandContext): Promise<Doc> {
      const name = Object.keys(command)[0];
      const handler = name === undefined ? undefined : Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!handler) {
        throw new MongoCommandError(ErrorCodes.CommandNotFound, `no such command: '${name ?? ""}'`);
      }
      // A standalone mongod refuses transactions and retryable writes the same way.
      if (command.txnNumber !== undefined) {
        throw new MongoCommandError(
          ErrorCodes.IllegalOperation,
          "Transaction numbers are only allowed on a replica set member or mongos",
        );
      }
      sessions.touch(command.lsid);
      const handlerContext: HandlerContext = { ...context, storage, cursors, sessions, logger: options.logger };
      return handler(handlerContext, dbName, command);
    },
    connectionClosed(connectionId: number): void {
      cursors.connectionClosed(connectionId);
    },
    close(): void {
      cursors.close();
    },
  };
}
