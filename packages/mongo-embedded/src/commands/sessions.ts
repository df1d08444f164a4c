/**
 * Logical sessions as a standalone mongod keeps them: every command's `lsid` marks its session as
 * used, `endSessions` forgets it, and sessions idle past the timeout expire. There are no
 * transactions; the registry exists so that `$listLocalSessions` tells the truth.
 */
import { createHash } from "node:crypto";
import { Binary } from "bson";
import { canonicalKey, type Doc } from "../bson-values.js";
import { HELLO_LIMITS } from "../wire/command-executor.js";

const SESSION_TIMEOUT_MS = HELLO_LIMITS.logicalSessionTimeoutMinutes * 60_000;
/** Without authentication every session belongs to the unauthenticated user, whose uid is the SHA-256 of "". */
const ANONYMOUS_UID = new Binary(createHash("sha256").update("").digest(), 0);

export class SessionRegistry {
  readonly #sessions = new Map<string, { id: unknown; lastUse: Date }>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Marks the session of a command's `lsid` as used. */
  touch(lsid: unknown): void {
    if (typeof lsid !== "object" || lsid === null || !("id" in lsid)) return;
    const id = (lsid as Doc).id;
    this.#sessions.set(canonicalKey(id), { id, lastUse: this.now() });
  }

  end(lsids: unknown[]): void {
    for (const lsid of lsids) {
      if (typeof lsid === "object" && lsid !== null && "id" in lsid) this.#sessions.delete(canonicalKey((lsid as Doc).id));
    }
  }

  /** The documents `$listLocalSessions` yields: `{ _id: { id, uid }, lastUse }`. */
  list(): Doc[] {
    const cutoff = this.now().getTime() - SESSION_TIMEOUT_MS;
    const listed: Doc[] = [];
    for (const [key, session] of this.#sessions) {
      if (session.lastUse.getTime() < cutoff) this.#sessions.delete(key);
      else listed.push({ _id: { id: session.id, uid: ANONYMOUS_UID }, lastUse: session.lastUse });
    }
    return listed;
  }

  get size(): number {
    return this.#sessions.size;
  }
}
