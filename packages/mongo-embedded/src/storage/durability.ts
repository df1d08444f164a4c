/**
 * Where the catalog's writes become durable.
 * A record is one BSON document describing one change (see storage/records.ts); replaying every
 * record in order rebuilds the state. Two implementations: on disk (data directory) and none (memory).
 *
 * On-disk layout of a data directory:
 *   mongod.lock              pid of the process that has the directory open
 *   snapshot-000007.bson     the whole state as of generation 7 (absent for generation 0)
 *   journal-000007.bson      records appended after that snapshot, in order
 *   snapshot-000008.bson.tmp a snapshot being written (never read; deleted on open)
 *
 * Both files are a sequence of frames: [u32 LE byte length][u32 LE crc32 of the BSON][BSON document].
 *
 * Crash safety rests on one rule: a `snapshot-N.bson` only ever appears (by rename) after its
 * contents are fsynced, and journal N is only created after that rename is fsynced. So on open
 * the newest snapshot generation is always complete, and its journal holds exactly what came after.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { BSON } from "bson";
import { DESERIALIZE_OPTIONS, type Doc } from "../bson-values.js";
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
   * While another compaction is still writing, this one waits for it and calls `records()` after.
   */
  compact(records: () => Iterable<Doc>): Promise<void>;
  /** Bytes in the journal since the last snapshot: the catalog compacts when this outgrows the live data. */
  journalBytes(): number;
  /** Flushes and closes files. Safe to call twice. */
  close(): Promise<void>;
}

export function openDurability(options: { dataDir?: string; logger: Logger }): Durability {
  return options.dataDir === undefined ? new MemoryOnly() : new DataDirectory(options.dataDir, options.logger);
}

/** No data directory: nothing survives the process, so every barrier is already passed. */
class MemoryOnly implements Durability {
  async open(): Promise<void> {}
  append(): void {}
  async sync(): Promise<void> {}
  async compact(): Promise<void> {}
  journalBytes(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// Framing

const FRAME_HEADER_BYTES = 8;
/** BSON documents are capped at 16 MiB; a record wraps one with a little metadata. Anything far larger is garbage. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** The smallest BSON document: int32 length + terminating NUL. */
const MIN_RECORD_BYTES = 5;

function frameRecord(record: Doc): Buffer {
  const body = BSON.serialize(record);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

interface ParsedFrames {
  records: Doc[];
  /** Bytes from the start of the file up to the end of the last complete, valid record. */
  validBytes: number;
  /** Why parsing stopped before the end of the file, if it did. */
  problem?: string;
}

function parseFrames(data: Buffer): ParsedFrames {
  const records: Doc[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < FRAME_HEADER_BYTES) return { records, validBytes: offset, problem: "partial record header" };
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    if (length < MIN_RECORD_BYTES || length > MAX_RECORD_BYTES) {
      return { records, validBytes: offset, problem: `implausible record length ${length}` };
    }
    const bodyStart = offset + FRAME_HEADER_BYTES;
    if (data.length - bodyStart < length) return { records, validBytes: offset, problem: "partial record body" };
    const body = data.subarray(bodyStart, bodyStart + length);
    if (crc32(body) !== checksum) return { records, validBytes: offset, problem: "checksum mismatch" };
    try {
      records.push(BSON.deserialize(body, DESERIALIZE_OPTIONS));
    } catch (error) {
      return { records, validBytes: offset, problem: `undecodable BSON: ${(error as Error).message}` };
    }
    offset = bodyStart + length;
  }
  return { records, validBytes: offset };
}

// ---------------------------------------------------------------------------------------------
// File names

const LOCK_FILE = "mongod.lock";
const GENERATION_DIGITS = 6;
const SNAPSHOT_PATTERN = /^snapshot-(\d+)\.bson$/;
const JOURNAL_PATTERN = /^journal-(\d+)\.bson$/;
const TEMPORARY_PATTERN = /^snapshot-\d+\.bson\.tmp$/;

const snapshotName = (generation: number) => `snapshot-${String(generation).padStart(GENERATION_DIGITS, "0")}.bson`;
const journalName = (generation: number) => `journal-${String(generation).padStart(GENERATION_DIGITS, "0")}.bson`;

// ---------------------------------------------------------------------------------------------
// Lock file

/** Lock files this process holds, so a second open in the same process is refused even though its pid is "alive". */
const locksHeldByThisProcess = new Set<string>();

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLockOwner(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function acquireLock(dataDir: string, logger: Logger): string {
  const lockPath = join(dataDir, LOCK_FILE);
  if (locksHeldByThisProcess.has(lockPath)) {
    throw new Error(`data directory ${dataDir} is already open in this process`);
  }
  // A few attempts: another process may be taking over the same stale lock at the same moment.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      locksHeldByThisProcess.add(lockPath);
      return lockPath;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readLockOwner(lockPath);
    // Our own pid in a lock we do not hold means a previous process with the same pid (containers reuse pids).
    if (owner !== undefined && owner !== process.pid && processIsAlive(owner)) {
      throw new Error(
        `data directory ${dataDir} is in use by process ${owner} (lock file ${lockPath}); ` +
          `stop that server, or delete the lock file if no server is running`,
      );
    }
    logger.warn({ dataDir, stalePid: owner }, "taking over a stale lock left by a server that is no longer running");
    try {
      unlinkSync(lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new Error(`could not lock data directory ${dataDir}: the lock file ${lockPath} keeps reappearing`);
}

async function releaseLock(lockPath: string): Promise<void> {
  locksHeldByThisProcess.delete(lockPath);
  // Only remove the file if it is still ours; never delete a lock another process has since taken.
  if (readLockOwner(lockPath) !== process.pid) return;
  await unlink(lockPath).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// File system helpers

/** Makes renames, creations and deletions in `dir` durable. Some platforms cannot fsync a directory; then this is best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "ENOTSUP" && code !== "EACCES") throw error;
  } finally {
    await handle?.close();
  }
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The data directory

interface SyncWaiter {
  /** The waiter is satisfied once every record up to this sequence number is durable. */
  sequence: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Appends are buffered in `pending`; `sync` asks for a flush. All file work runs one task at a
 * time on `ioChain`, so writes stay in order and a compaction never overlaps a journal write.
 * Group commit: while one write+fsync is in flight, every sync that arrives queues at most one
 * further flush, which then writes everything appended so far with a single fsync.
 */
class DataDirectory implements Durability {
  private lockPath: string | undefined;
  private opened = false;
  private closing: Promise<void> | undefined;

  /** Generation that newly appended records belong to. */
  private generation = 0;
  /** Generation of the open journal file; differs from `generation` only while a compaction switches files. */
  private journalGeneration = 0;
  private journal: FileHandle | undefined;
  private journalByteCount = 0;

  private pending: Buffer[] = [];
  /** Sequence number of the last appended record, and of the last one known to be on disk. */
  private appendedSequence = 0;
  private durableSequence = 0;
  private waiters: SyncWaiter[] = [];

  private ioChain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private compaction: Promise<void> | undefined;
  /** After a failed write or fsync nothing can be promised about the file any more (see "fsyncgate"): every later sync fails. */
  private failure: Error | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
  ) {}

  async open(apply: (record: Doc) => void): Promise<void> {
    if (this.opened) throw new Error("durability is already open");
    await mkdir(this.dataDir, { recursive: true });
    this.lockPath = acquireLock(this.dataDir, this.logger);
    try {
      await this.recover(apply);
      this.opened = true;
    } catch (error) {
      await this.journal?.close().catch(() => {});
      this.journal = undefined;
      await releaseLock(this.lockPath);
      this.lockPath = undefined;
      throw error;
    }
  }

  private async recover(apply: (record: Doc) => void): Promise<void> {
    const names = await readdir(this.dataDir);
    const snapshots = generationsMatching(names, SNAPSHOT_PATTERN);
    const generation = snapshots.length > 0 ? Math.max(...snapshots) : 0;
    // Journal N is only created once snapshot N is durably in place, so no crash leaves a newer
    // journal behind: its snapshot was removed by hand. Starting would drop what it holds.
    const orphan = generationsMatching(names, JOURNAL_PATTERN).find((journal) => journal > generation);
    if (orphan !== undefined) {
      throw new Error(
        `data directory ${this.dataDir} has ${journalName(orphan)} but no ${snapshotName(orphan)}; ` +
          `refusing to start on incomplete data (restore the snapshot, or remove the journal to accept the loss)`,
      );
    }

    if (snapshots.includes(generation)) {
      const path = join(this.dataDir, snapshotName(generation));
      const parsed = parseFrames(await readFile(path));
      // Snapshots are renamed into place only after an fsync, so a crash cannot leave a bad one:
      // this is disk damage or tampering, and replaying part of the state would silently lose data.
      if (parsed.problem !== undefined) {
        throw new Error(`snapshot ${path} is corrupt at byte ${parsed.validBytes} (${parsed.problem}); refusing to start on partial data`);
      }
      for (const record of parsed.records) apply(record);
    }

    const journalPath = join(this.dataDir, journalName(generation));
    const journalData = await readIfExists(journalPath);
    let journalBytes = 0;
    if (journalData !== undefined) {
      const parsed = parseFrames(journalData);
      for (const record of parsed.records) apply(record);
      journalBytes = parsed.validBytes;
      if (parsed.problem !== undefined) {
        this.logger.warn(
          { journal: journalPath, keptRecords: parsed.records.length, keptBytes: parsed.validBytes, droppedBytes: journalData.length - parsed.validBytes, problem: parsed.problem },
          "journal has a torn or corrupt tail (an interrupted write); cutting it at the last complete record",
        );
        await truncate(journalPath, parsed.validBytes);
      }
    }

    this.journal = await open(journalPath, "a");
    // Make the (possibly new, possibly truncated) journal itself durable before anything is appended.
    await this.journal.sync();
    if (journalData === undefined) await syncDirectory(this.dataDir);
    this.generation = generation;
    this.journalGeneration = generation;
    this.journalByteCount = journalBytes;

    await this.deleteStaleFiles(generation);
  }

  /** Removes older generations and unfinished snapshots (left by a crash mid-compaction). */
  private async deleteStaleFiles(current: number): Promise<void> {
    const names = await readdir(this.dataDir);
    const stale = names.filter((name) => {
      if (TEMPORARY_PATTERN.test(name)) return true;
      const snapshot = SNAPSHOT_PATTERN.exec(name);
      if (snapshot) return Number(snapshot[1]) !== current;
      const journal = JOURNAL_PATTERN.exec(name);
      if (journal) return Number(journal[1]) !== current;
      return false;
    });
    for (const name of stale) {
      // Leftovers are never read again, so failing to remove one is not worth refusing to run.
      await unlink(join(this.dataDir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") this.logger.warn({ file: join(this.dataDir, name), err: error }, "could not delete a stale data file");
      });
    }
    if (stale.length > 0) await syncDirectory(this.dataDir);
  }

  append(record: Doc): void {
    this.assertUsable();
    const frame = frameRecord(record);
    this.pending.push(frame);
    this.appendedSequence++;
    this.journalByteCount += frame.length;
  }

  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.durableSequence >= this.appendedSequence) return Promise.resolve();
    const sequence = this.appendedSequence;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ sequence, resolve, reject });
      this.queueFlush();
    });
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.onIoChain(async () => {
      // Cleared before the write starts, so syncs arriving during this write queue the next one.
      this.flushQueued = false;
      await this.flush();
    }).catch(() => {
      // flush() already recorded the failure and rejected the waiters.
    });
  }

  private onIoChain<T>(task: () => Promise<T>): Promise<T> {
    const result = this.ioChain.then(task);
    this.ioChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Writes and fsyncs everything pending for the open journal. Runs on the I/O chain only. */
  private async flush(): Promise<void> {
    if (this.failure) return this.rejectWaiters(this.failure);
    // A compaction has started a new generation whose journal is not open yet: it flushes when it is.
    if (this.journalGeneration !== this.generation || this.journal === undefined) return;
    if (this.pending.length > 0) {
      const frames = this.pending;
      const upTo = this.appendedSequence;
      this.pending = [];
      try {
        await writeFully(this.journal, frames.length === 1 ? frames[0] : Buffer.concat(frames));
        // datasync is enough: it includes the file-size change needed to read the new bytes back.
        await this.journal.datasync();
      } catch (error) {
        this.fail(error as Error);
        throw error;
      }
      this.durableSequence = Math.max(this.durableSequence, upTo);
    }
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    const stillWaiting: SyncWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.sequence <= this.durableSequence) waiter.resolve();
      else stillWaiting.push(waiter);
    }
    this.waiters = stillWaiting;
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.logger.error({ dataDir: this.dataDir, err: error }, "writing the journal failed; no further writes can be made durable");
    this.rejectWaiters(this.failure);
  }

  async compact(records: () => Iterable<Doc>): Promise<void> {
    this.assertUsable();
    if (this.failure) throw this.failure;
    // One compaction at a time: each one's rollback assumes it owns the generation switch.
    while (this.compaction) await this.compaction;
    this.assertUsable();
    const run = this.startCompaction(records);
    const finished = run.catch(() => {});
    this.compaction = finished;
    void finished.then(() => {
      if (this.compaction === finished) this.compaction = undefined;
    });
    return run;
  }

  /**
   * The synchronous part captures the state and switches appends to the next generation in one
   * step, so every record is either in the snapshot or in the new journal. The file work follows
   * on the I/O chain, after any journal write already under way.
   */
  private startCompaction(records: () => Iterable<Doc>): Promise<void> {
    const frames: Buffer[] = [];
    for (const record of records()) frames.push(frameRecord(record));
    const snapshotData = Buffer.concat(frames);
    const coveredSequence = this.appendedSequence;
    // Not yet written to the old journal, but part of the snapshot; kept in case the snapshot fails.
    const coveredPending = this.pending;
    const coveredJournalBytes = this.journalByteCount;
    const previousGeneration = this.generation;
    const nextGeneration = previousGeneration + 1;
    this.pending = [];
    this.generation = nextGeneration;
    this.journalByteCount = 0;

    return this.onIoChain(async () => {
      const snapshotPath = join(this.dataDir, snapshotName(nextGeneration));
      const temporaryPath = `${snapshotPath}.tmp`;
      let renamed = false;
      try {
        const snapshot = await open(temporaryPath, "w");
        try {
          await writeFully(snapshot, snapshotData);
          await snapshot.sync();
        } finally {
          await snapshot.close();
        }
        await rename(temporaryPath, snapshotPath);
        renamed = true;
        // From the moment this returns, a restart uses the new generation.
        await syncDirectory(this.dataDir);

        const nextJournal = await open(join(this.dataDir, journalName(nextGeneration)), "w");
        const previousJournal = this.journal;
        this.journal = nextJournal;
        this.journalGeneration = nextGeneration;
        await syncDirectory(this.dataDir);
        await previousJournal?.close().catch(() => {});
      } catch (error) {
        if (renamed) {
          // The new snapshot may already be what a restart reads; appending to the old journal would be lost.
          this.fail(error as Error);
          throw error;
        }
        // Nothing durable changed: go back to the old generation, with the covered records first so order holds.
        await unlink(temporaryPath).catch(() => {});
        this.generation = previousGeneration;
        this.pending = [...coveredPending, ...this.pending];
        this.journalByteCount += coveredJournalBytes;
        this.logger.error({ dataDir: this.dataDir, err: error }, "compaction failed; keeping the current journal");
        if (this.waiters.length > 0) this.queueFlush();
        throw error;
      }

      this.durableSequence = Math.max(this.durableSequence, coveredSequence);
      // Records appended while the snapshot was written go to the new journal now.
      await this.flush();
      await this.deleteStaleFiles(nextGeneration).catch((error: Error) => {
        // Leftovers are harmless: the next open deletes them.
        this.logger.warn({ dataDir: this.dataDir, err: error }, "could not list files of older generations");
      });
    });
  }

  journalBytes(): number {
    return this.journalByteCount;
  }

  close(): Promise<void> {
    this.closing ??= this.closeFiles();
    return this.closing;
  }

  private async closeFiles(): Promise<void> {
    if (!this.opened) {
      if (this.lockPath) await releaseLock(this.lockPath);
      return;
    }
    try {
      while (this.compaction) await this.compaction;
      // A failed final flush has already been logged and rejected its waiters; closing still proceeds.
      if (!this.failure && this.appendedSequence > this.durableSequence) await this.sync().catch(() => {});
      await this.ioChain;
    } finally {
      this.opened = false;
      await this.journal?.close().catch(() => {});
      this.journal = undefined;
      this.rejectWaiters(new Error("durability is closed"));
      if (this.lockPath) await releaseLock(this.lockPath);
      this.lockPath = undefined;
    }
  }

  private assertUsable(): void {
    if (this.closing) throw new Error("durability is closed");
    if (!this.opened) throw new Error("durability used before open()");
  }
}

function generationsMatching(names: string[], pattern: RegExp): number[] {
  const generations: number[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) generations.push(Number(match[1]));
  }
  return generations;
}
