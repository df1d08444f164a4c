import type { Doc } from "../bson-values.js";
import type { Logger } from "../logger.js";
import type { Collection, Storage } from "../storage/catalog.js";
import type { CommandContext } from "../wire/command-executor.js";
import type { CursorStore } from "./cursors.js";
import type { SessionRegistry } from "./sessions.js";

/** What every command handler is given. */
export interface HandlerContext extends CommandContext {
  readonly storage: Storage;
  readonly cursors: CursorStore;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
}

export type CommandHandler = (context: HandlerContext, dbName: string, command: Doc) => Doc | Promise<Doc>;

/** The collection, if both it and its database exist; reads of a missing collection see no documents. */
export function existingCollection(context: HandlerContext, dbName: string, name: string): Collection | undefined {
  return context.storage.getDatabase(dbName)?.getCollection(name);
}
