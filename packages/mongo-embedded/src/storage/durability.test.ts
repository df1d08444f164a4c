import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BSON, BSONRegExp, Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Doc } from "../bson-values.js";
import { silentLogger, type Logger } from "../logger.js";
import { openDurability, type Durability } from "./durability.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mongo-embedded-durability-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { ...silentLogger, warnings, errors, warn: (_fields, message) => warnings.push(message), error: (_fields, message) => errors.push(message) };
}

/** Opens a durability on `dataDir` and returns it with every record it replayed. */
async function reopen(dataDir: string, logger: Logger = silentLogger): Promise<{ durability: Durability; replayed: Doc[] }> {
  const durability = openDurability({ dataDir, logger });
  cleanups.push(() => durability.close());
  const replayed: Doc[] = [];
  await durability.open((record) => replayed.push(record));
  return { durability, replayed };
}

const put = (i: number): Doc => ({ op: "put", db: "city", coll: "requests", doc: { _id: i, note: `request ${i}` } });
/** The `_id`s of replayed put records, in replay order. */
const ids = (records: Doc[]) => records.map((record) => ((record.doc as Doc)._id as Int32).value);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

async function dataFiles(dataDir: string): Promise<string[]> {
  return (await readdir(dataDir)).filter((name) => name !== "mongod.lock").sort();
}

describe("without a data directory", () => {
  it("applies nothing and resolves every barrier at once", async () => {
    const durability = openDurability({ logger: silentLogger });
    const apply = vi.fn();
    await durability.open(apply);
    durability.append(put(1));
    await durability.sync();
    await durability.compact(() => [put(1)]);
    expect(apply).not.toHaveBeenCalled();
    expect(durability.journalBytes()).toBe(0);
    await durability.close();
    await durability.close();
  });
});

describe("with a data directory", () => {
  it("round-trips records in order, keeping BSON types exact", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    expect(first.replayed).toEqual([]);
    const typed: Doc = {
      op: "put",
      db: "city",
      coll: "typed",
      doc: { _id: new ObjectId(), int: new Int32(1), double: new Double(1), long: Long.fromString("9007199254740993"), decimal: Decimal128.fromString("1.10"), regex: new BSONRegExp("^a", "i"), when: new Date(0) },
    };
    first.durability.append(typed);
    for (const i of range(0, 10)) first.durability.append(put(i));
    await first.durability.sync();
    expect(first.durability.journalBytes()).toBeGreaterThan(0);
    await first.durability.close();

    const second = await reopen(dataDir);
    expect(second.replayed).toHaveLength(11);
    expect(Buffer.from(BSON.serialize(second.replayed[0])).equals(Buffer.from(BSON.serialize(typed)))).toBe(true);
    expect(((second.replayed[0].doc as Doc).double as Double)._bsontype).toBe("Double");
    expect(ids(second.replayed.slice(1))).toEqual(range(0, 10));
    expect(second.durability.journalBytes()).toBe(first.durability.journalBytes());
  });

  it("makes records appended before close durable without an explicit sync", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    first.durability.append(put(1));
    await first.durability.close();
    expect(ids((await reopen(dataDir)).replayed)).toEqual([1]);
  });

  it("group-commits: concurrent syncs share one write and fsync", async () => {
    const dataDir = await tempDir();
    const { durability } = await reopen(dataDir);
    const probe = await open(join(dataDir, "probe"), "w");
    const datasync = vi.spyOn(Object.getPrototypeOf(probe) as { datasync(): Promise<void> }, "datasync");
    await probe.close();

    // Syncs issued in the same tick: one fsync.
    const sameTick = range(0, 100).map((i) => {
      durability.append(put(i));
      return durability.sync();
    });
    await Promise.all(sameTick);
    expect(datasync).toHaveBeenCalledTimes(1);

    // Syncs arriving while an fsync is in flight: all share the next one.
    durability.append(put(100));
    const inFlight = durability.sync();
    await new Promise((resolve) => setImmediate(resolve));
    const during = range(101, 150).map((i) => {
      durability.append(put(i));
      return durability.sync();
    });
    await Promise.all([inFlight, ...during]);
    expect(datasync.mock.calls.length).toBeLessThanOrEqual(3);

    // Nothing new appended: no fsync at all.
    const before = datasync.mock.calls.length;
    await durability.sync();
    expect(datasync).toHaveBeenCalledTimes(before);
    await durability.close();
    expect(ids((await reopen(dataDir)).replayed)).toEqual(range(0, 150));
  });

  it("cuts a journal truncated mid-record at the last complete record, with a warning", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    for (const i of range(0, 10)) first.durability.append(put(i));
    await first.durability.sync();
    await first.durability.close();
    const journal = join(dataDir, "journal-000000.bson");
    const fullSize = (await stat(journal)).size;
    await truncate(journal, fullSize - 7);

    const logger = recordingLogger();
    const second = await reopen(dataDir, logger);
    expect(ids(second.replayed)).toEqual(range(0, 9));
    expect(logger.warnings).toEqual([expect.stringContaining("torn or corrupt tail")]);
    const cutSize = (await stat(journal)).size;
    expect(cutSize).toBeLessThan(fullSize - 7);
    expect(second.durability.journalBytes()).toBe(cutSize);

    // Appends after the cut continue cleanly from it.
    second.durability.append(put(42));
    await second.durability.close();
    const thirdLogger = recordingLogger();
    expect(ids((await reopen(dataDir, thirdLogger)).replayed)).toEqual([...range(0, 9), 42]);
    expect(thirdLogger.warnings).toEqual([]);
  });

  it("cuts garbage, a partial header and a bad checksum at the tail", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    for (const i of range(0, 5)) first.durability.append(put(i));
    await first.durability.close();
    const journal = join(dataDir, "journal-000000.bson");
    const cleanSize = (await stat(journal)).size;

    for (const tail of [Buffer.from([1, 2, 3]), Buffer.alloc(64, 0xab), Buffer.from("not a record at all, just text")]) {
      await writeFile(journal, tail, { flag: "a" });
      const logger = recordingLogger();
      const { durability, replayed } = await reopen(dataDir, logger);
      expect(ids(replayed)).toEqual(range(0, 5));
      expect(logger.warnings).toHaveLength(1);
      await durability.close();
      expect((await stat(journal)).size).toBe(cleanSize);
    }

    // Flip a byte inside the last record: its checksum no longer matches.
    const bytes = await readFile(journal);
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(journal, bytes);
    const logger = recordingLogger();
    expect(ids((await reopen(dataDir, logger)).replayed)).toEqual(range(0, 4));
    expect(logger.warnings).toHaveLength(1);
  });

  it("compacts into a snapshot that a reopen replays before the newer journal", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    for (const i of range(0, 100)) first.durability.append(put(i));
    await first.durability.sync();
    const bytesBefore = first.durability.journalBytes();

    // The state collapsed to three documents.
    await first.durability.compact(() => [put(1), put(2), put(3)]);
    expect(first.durability.journalBytes()).toBe(0);
    expect(await dataFiles(dataDir)).toEqual(["journal-000001.bson", "snapshot-000001.bson"]);
    first.durability.append(put(200));
    await first.durability.sync();
    expect(first.durability.journalBytes()).toBeGreaterThan(0);
    expect(first.durability.journalBytes()).toBeLessThan(bytesBefore);
    await first.durability.compact(() => [put(1), put(200)]);
    first.durability.append(put(300));
    await first.durability.close();

    expect(await dataFiles(dataDir)).toEqual(["journal-000002.bson", "snapshot-000002.bson"]);
    expect(ids((await reopen(dataDir)).replayed)).toEqual([1, 200, 300]);
  });

  it("keeps records appended while a compaction is writing, and resolves syncs it covers", async () => {
    const dataDir = await tempDir();
    const first = await reopen(dataDir);
    for (const i of range(0, 10)) first.durability.append(put(i));
    const coveredSync = first.durability.sync();

    const state = range(0, 10).map(put);
    const records = vi.fn(() => state);
    const compaction = first.durability.compact(records);
    expect(records).toHaveBeenCalledTimes(1); // synchronously, before any await

    const during = range(10, 20).map((i) => {
      first.durability.append(put(i));
      return first.durability.sync();
    });
    await Promise.all([compaction, coveredSync, ...during]);
    expect(first.durability.journalBytes()).toBeGreaterThan(0);
    await first.durability.close();

    expect(ids((await reopen(dataDir)).replayed)).toEqual(range(0, 20));
  });

  it("runs overlapping compactions one after the other", async () => {
    const dataDir = await tempDir();
    const { durability } = await reopen(dataDir);
    // A live state, as the catalog's would be: the waiting compaction snapshots whatever it holds when it starts.
    const state: number[] = [];
    const write = (i: number) => {
      state.push(i);
      durability.append(put(i));
    };
    const snapshot = () => state.map(put);
    write(1);
    const firstCompaction = durability.compact(snapshot);
    write(2);
    const secondCompaction = durability.compact(snapshot);
    write(3);
    await Promise.all([firstCompaction, secondCompaction, durability.sync()]);
    await durability.close();
    expect(await dataFiles(dataDir)).toEqual(["journal-000002.bson", "snapshot-000002.bson"]);
    expect(ids((await reopen(dataDir)).replayed)).toEqual([1, 2, 3]);
  });

  it("rolls back to the current journal when the snapshot cannot be written", async () => {
    const dataDir = await tempDir();
    const logger = recordingLogger();
    const { durability } = await reopen(dataDir, logger);
    durability.append(put(1));
    // A directory where the temporary snapshot should go makes the snapshot write fail.
    const blocker = join(dataDir, "snapshot-000001.bson.tmp");
    await mkdir(blocker);
    const compaction = durability.compact(() => [put(1), put(2)]);
    durability.append(put(2));
    const syncDuring = durability.sync();
    await expect(compaction).rejects.toThrow();
    await syncDuring;
    expect(logger.errors).toEqual([expect.stringContaining("compaction failed")]);
    await rm(blocker, { recursive: true });

    durability.append(put(3));
    await durability.compact(() => [put(1), put(2), put(3)]);
    durability.append(put(4));
    await durability.close();
    expect(ids((await reopen(dataDir)).replayed)).toEqual([1, 2, 3, 4]);
  });

  describe("recovers from a crash at each step of a compaction", () => {
    /** A directory at generation 1 with a snapshot of [1, 2] and a journal of [3]. */
    async function generationOne(): Promise<string> {
      const dataDir = await tempDir();
      const { durability } = await reopen(dataDir);
      await durability.compact(() => [put(1), put(2)]);
      durability.append(put(3));
      await durability.close();
      return dataDir;
    }

    it("while the temporary snapshot is written: uses the previous generation and deletes the leftover", async () => {
      const dataDir = await generationOne();
      await writeFile(join(dataDir, "snapshot-000002.bson.tmp"), Buffer.alloc(10, 7));
      expect(ids((await reopen(dataDir)).replayed)).toEqual([1, 2, 3]);
      expect(await dataFiles(dataDir)).toEqual(["journal-000001.bson", "snapshot-000001.bson"]);
    });

    it("after the rename, before the new journal exists: uses the new snapshot alone and deletes the old generation", async () => {
      const dataDir = await generationOne();
      // The new snapshot would hold the whole state, [1, 2, 3]; stand one in by replaying generation 1 into it.
      const scratch = await tempDir();
      await copyFile(join(dataDir, "snapshot-000001.bson"), join(scratch, "snapshot-000001.bson"));
      const { durability } = await reopen(scratch);
      await durability.compact(() => [put(1), put(2), put(3)]);
      await durability.close();
      await copyFile(join(scratch, "snapshot-000002.bson"), join(dataDir, "snapshot-000002.bson"));

      const { durability: reopened, replayed } = await reopen(dataDir);
      expect(ids(replayed)).toEqual([1, 2, 3]);
      reopened.append(put(4));
      await reopened.close();
      expect(await dataFiles(dataDir)).toEqual(["journal-000002.bson", "snapshot-000002.bson"]);
      expect(ids((await reopen(dataDir)).replayed)).toEqual([1, 2, 3, 4]);
    });

    it("refuses a journal whose snapshot is missing instead of dropping it", async () => {
      const dataDir = await generationOne();
      await rm(join(dataDir, "snapshot-000001.bson"));
      await expect(reopen(dataDir)).rejects.toThrow(/journal-000001\.bson but no snapshot-000001\.bson/);
      // The failed open released its lock.
      await expect(readdir(dataDir)).resolves.not.toContain("mongod.lock");
    });

    it("refuses a damaged snapshot instead of replaying part of the state", async () => {
      const dataDir = await generationOne();
      const snapshot = join(dataDir, "snapshot-000001.bson");
      const bytes = await readFile(snapshot);
      bytes[bytes.length - 3] ^= 0xff;
      await writeFile(snapshot, bytes);
      await expect(reopen(dataDir)).rejects.toThrow(/snapshot .* is corrupt/);
    });
  });

  describe("lock file", () => {
    it("refuses a second open of the same directory in this process", async () => {
      const dataDir = await tempDir();
      await reopen(dataDir);
      await expect(reopen(dataDir)).rejects.toThrow(/already open in this process/);
    });

    it("refuses a directory held by another live process", async () => {
      const dataDir = await tempDir();
      const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
      cleanups.push(async () => {
        holder.kill("SIGKILL");
      });
      await writeFile(join(dataDir, "mongod.lock"), `${holder.pid}\n`);
      await expect(reopen(dataDir)).rejects.toThrow(new RegExp(`in use by process ${holder.pid}`));
    });

    it("takes over a stale lock left by a killed process, and releases it on close", async () => {
      const dataDir = await tempDir();
      const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      await new Promise((resolve) => dead.once("exit", resolve));
      await writeFile(join(dataDir, "mongod.lock"), `${dead.pid}\n`);
      const logger = recordingLogger();
      const { durability } = await reopen(dataDir, logger);
      expect(logger.warnings).toEqual([expect.stringContaining("stale lock")]);
      expect((await readFile(join(dataDir, "mongod.lock"), "utf8")).trim()).toBe(String(process.pid));
      await durability.close();
      await expect(readdir(dataDir)).resolves.not.toContain("mongod.lock");
    });
  });

  it("closes safely twice and refuses appends afterwards", async () => {
    const dataDir = await tempDir();
    const { durability } = await reopen(dataDir);
    durability.append(put(1));
    await Promise.all([durability.close(), durability.close()]);
    await durability.close();
    expect(() => durability.append(put(2))).toThrow(/closed/);
    expect(ids((await reopen(dataDir)).replayed)).toEqual([1]);
  });

  // Throughput is measured by `npm run bench`; here only that nothing of many writers is lost.
  it("keeps every record of batched and of many concurrent writers", async () => {
    const dataDir = await tempDir();
    const { durability } = await reopen(dataDir);
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 1000; i++) durability.append(put(batch * 1000 + i));
      await durability.sync();
    }
    await Promise.all(
      range(0, 500).map(async (i) => {
        await new Promise((resolve) => setImmediate(resolve));
        durability.append(put(100_000 + i));
        await durability.sync();
      }),
    );
    await durability.close();
    const replayed = ids((await reopen(dataDir)).replayed);
    expect(replayed).toHaveLength(5500);
    expect(new Set(replayed).size).toBe(5500);
  });
});
