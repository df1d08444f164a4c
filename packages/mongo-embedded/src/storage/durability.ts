/**
 * CONTRACT (owner: persistence helper). Where the catalog's writes become durable.
 * A record is one BSON document describing one change (see storage/records.ts); replaying every
 * record in order rebuilds the state. Two implementations: on disk (data directory) and none (memory).
 */
import type { Doc } from "../bson-values.js";
import type { Logger } from "../logger.js";

export interface Durability {
  /**
   * Reads what is on disk and hands every record to `apply`, in order: first the last snapshot,
   * then the journal written after it. A torn or corrupt tail is cut at the last complete record,
   * with a warning through the logger; never a throw for that.
   */
  open(apply: (record: Doc) => void): Promise<void>;
  /** Queues a record; cheap and synchronous. Records are written in the order appended. */
  append(record: Doc): void;
  /** Resolves once every record appended before this call is on disk (written and fsynced). Concurrent calls share one fsync. */
  sync(): Promise<void>;
  /**
   * Replaces the journal with a snapshot: `records()` yields the whole current state as records
   * (called synchronously, so no write interleaves). Crash-safe at every step.
   */
  compact(records: () => Iterable<Doc>): Promise<void>;
  /** Bytes in the journal since the last snapshot: the catalog compacts when this outgrows the live data. */
  journalBytes(): number;
  /** Flushes and closes files. Safe to call twice. */
  close(): Promise<void>;
}

export declare function openDurability(options: { dataDir?: string; logger: Logger }): Durability;
