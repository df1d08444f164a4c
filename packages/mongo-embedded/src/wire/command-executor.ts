/**
 * CONTRACT between the wire layer and the commands layer. The wire layer decodes OP_MSG and legacy
 * OP_QUERY, merges kind-1 document sequences into the command body as arrays under their
 * identifiers, and hands the body here. It answers `hello`/`isMaster` itself only for the legacy
 * OP_QUERY handshake; every other command, OP_MSG hello included, comes through `execute`.
 */
import type { Doc } from "../bson-values.js";

export interface CommandContext {
  connectionId: number;
  /** e.g. "127.0.0.1:53124" */
  client: string;
}

export interface CommandExecutor {
  /** `$db` has been removed from `command` and passed as `dbName`. Errors are thrown as MongoCommandError; the wire layer turns them into replies. */
  execute(dbName: string, command: Doc, context: CommandContext): Promise<Doc>;
  /** Called when a connection closes, so its cursors can be dropped. */
  connectionClosed?(connectionId: number): void;
}

/** What every hello/isMaster reply says (MongoDB 7.0, standalone). */
export const HELLO_LIMITS = {
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  minWireVersion: 0,
  maxWireVersion: 21,
  logicalSessionTimeoutMinutes: 30,
} as const;
