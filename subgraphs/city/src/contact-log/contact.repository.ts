import { randomUUID } from "node:crypto";
import { UserInputError } from "@situation/platform";
import type { Collection, Db, Filter } from "mongodb";
import type { FirstContact } from "../service-request/service-request.model.js";
import {
  CONTACT_CHANNELS,
  CONTACT_OUTCOMES,
  toContact,
  type Contact,
  type ContactChannel,
  type ContactDocument,
  type ContactOutcome,
} from "./contact.model.js";

export const CONTACTS_COLLECTION = "contacts";
/** One document per one-off data migration that has completed: `{ _id, completedAt }`. */
export const MIGRATIONS_COLLECTION = "migrations";
/** The migration that records the first contact of every request from the contacts logged before it. */
export const FIRST_CONTACT_MIGRATION = "contact-log.first-contact";
/** Requests updated per round trip when recording first contacts in bulk. */
const FIRST_CONTACT_BATCH = 1000;

export const MAX_AGENT_LENGTH = 200;
export const MAX_NOTE_LENGTH = 2000;
/** A contact longer than a working day is a typing mistake, not a call. */
export const MAX_DURATION_SECONDS = 24 * 60 * 60;
/** Contacts are logged as they happen or soon after; clocks differ by a little, not by minutes. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
/** Back-filling the call archive is allowed for a year, no further. */
const MAX_AGE_MS = 366 * 24 * 60 * 60 * 1000;

export interface LogContactFields {
  /** Defaults to the caller's subject. */
  agent?: string | null;
  /** Defaults to now. */
  at?: Date | null;
  durationSeconds: number;
  channel: ContactChannel;
  outcome: ContactOutcome;
  requestId?: string | null;
  note?: string | null;
}

/**
 * What the contact log needs of the service requests. The `serviceRequests` collection belongs to the
 * service-request feature; the contact log asks whether a request exists, and has each request's first
 * contact recorded there (ServiceRequestRepository.recordFirstContacts: atomic, idempotent, earliest wins).
 */
export interface RequestLookup {
  exists(requestId: string): Promise<boolean>;
  recordFirstContacts(contacts: ReadonlyArray<{ requestId: string; contact: FirstContact }>): Promise<void>;
}

export interface ContactPageRequest {
  from?: Date | null;
  to?: Date | null;
  first: number;
  /** An opaque cursor from a previous page's `endCursor`. */
  after?: string | null;
}

export interface ContactPage {
  contacts: Contact[];
  cursors: string[];
  hasNextPage: boolean;
}

/** A cursor that does not decode; the resolver turns it into a UserInputError on `after`. */
export class InvalidContactCursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidContactCursorError";
  }
}

/** The only code that reads and writes the `contacts` collection (the reports read it in aggregations). */
export class ContactRepository {
  readonly collection: Collection<ContactDocument>;

  constructor(
    private readonly db: Db,
    private readonly requests: RequestLookup,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<ContactDocument>(CONTACTS_COLLECTION);
  }

  /**
   * `at` (newest first, with `_id` as the tie-break) serves the archive's pages; `requestId, at` a
   * request's contacts; the sparse `firstContactPending` finds the few contacts whose first-contact
   * recording was interrupted. Then completes those, and once per database records the first contact
   * of every request from the contacts logged before first contacts were recorded (idempotent, so two
   * processes starting together do no harm).
   */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndexes([
      { key: { at: -1, _id: -1 }, name: "at_desc_id_desc" },
      { key: { requestId: 1, at: 1 }, name: "requestId_at" },
      { key: { firstContactPending: 1 }, name: "firstContactPending", sparse: true },
    ]);
    await this.recordPendingFirstContacts();
    await this.backfillFirstContacts();
  }

  /**
   * Records the first contacts of contacts logged with `firstContactPending` (a process stopped between
   * inserting the contact and recording it on its request). Returns how many it completed.
   */
  async recordPendingFirstContacts(): Promise<number> {
    let completed = 0;
    for (;;) {
      const pending = await this.collection
        .find({ firstContactPending: true }, { projection: { _id: 1, at: 1, outcome: 1, requestId: 1 } })
        .limit(FIRST_CONTACT_BATCH)
        .toArray();
      if (pending.length === 0) return completed;
      await this.requests.recordFirstContacts(
        pending.flatMap((contact) =>
          typeof contact.requestId === "string" && contact.at instanceof Date ? [{ requestId: contact.requestId, contact: firstContactOf(contact) }] : [],
        ),
      );
      await this.collection.updateMany({ _id: { $in: pending.map((contact) => contact._id) } }, { $unset: { firstContactPending: "" } });
      completed += pending.length;
    }
  }

  /**
   * The one-off migration: each request's earliest contact (by `at`, then `_id`, as the reports define
   * it; contacts without a date `at` never were first) recorded on the request, then the migration
   * marked done so later starts skip it. Returns whether it ran.
   */
  async backfillFirstContacts(): Promise<boolean> {
    const migrations = this.db.collection<{ _id: string; completedAt: Date }>(MIGRATIONS_COLLECTION);
    if ((await migrations.findOne({ _id: FIRST_CONTACT_MIGRATION })) !== null) return false;
    const firsts = this.collection.aggregate<{ _id: string; first: FirstContact }>([
      { $match: { requestId: { $type: "string" }, at: { $type: "date" } } },
      { $group: { _id: "$requestId", first: { $top: { sortBy: { at: 1, _id: 1 }, output: { at: "$at", contactId: "$_id", outcome: "$outcome" } } } } },
    ]);
    let batch: { requestId: string; contact: FirstContact }[] = [];
    for await (const { _id, first } of firsts) {
      batch.push({ requestId: _id, contact: first });
      if (batch.length === FIRST_CONTACT_BATCH) {
        await this.requests.recordFirstContacts(batch);
        batch = [];
      }
    }
    await this.requests.recordFirstContacts(batch);
    await migrations.updateOne({ _id: FIRST_CONTACT_MIGRATION }, { $setOnInsert: { completedAt: this.now() } }, { upsert: true });
    return true;
  }

  /**
   * Checks every field, then writes the contact; bad input writes nothing. A contact about a request is
   * written with `firstContactPending`, recorded as the request's first contact if it is the earliest,
   * and then cleared: should the process stop in between, ensureIndexes completes it at the next start.
   */
  async log(fields: LogContactFields, caller: { subject: string }): Promise<Contact> {
    const now = this.now();
    const document: ContactDocument = {
      _id: randomUUID(),
      agent: checkAgent(fields.agent ?? caller.subject),
      at: checkAt(fields.at ?? now, now),
      durationSeconds: checkDuration(fields.durationSeconds),
      channel: checkEnum(fields.channel, CONTACT_CHANNELS, "channel"),
      outcome: checkEnum(fields.outcome, CONTACT_OUTCOMES, "outcome"),
    };
    const requestId = fields.requestId?.trim();
    if (requestId !== undefined && requestId !== "") {
      if (!(await this.requests.exists(requestId))) {
        throw new UserInputError(`requestId: there is no service request ${JSON.stringify(requestId)}`, { field: "requestId" });
      }
      document.requestId = requestId;
      document.firstContactPending = true;
    }
    const note = fields.note?.trim();
    if (note !== undefined && note !== "") {
      if (note.length > MAX_NOTE_LENGTH) {
        throw new UserInputError(`note must be at most ${MAX_NOTE_LENGTH} characters`, { field: "note" });
      }
      document.note = note;
    }
    await this.collection.insertOne(document);
    if (document.requestId !== undefined) {
      await this.requests.recordFirstContacts([{ requestId: document.requestId, contact: firstContactOf(document) }]);
      await this.collection.updateOne({ _id: document._id }, { $unset: { firstContactPending: "" } });
    }
    return toContact(document);
  }

  async findById(id: string): Promise<Contact | null> {
    const document = await this.collection.findOne({ _id: id });
    return document ? toContact(document) : null;
  }

  /** Contacts with `from <= at < to`, newest first, `first` at a time after the cursor. */
  async findPage(request: ContactPageRequest): Promise<ContactPage> {
    const conditions: Filter<ContactDocument>[] = [];
    const period: { $gte?: Date; $lt?: Date } = {};
    if (request.from) period.$gte = request.from;
    if (request.to) period.$lt = request.to;
    if (request.from || request.to) conditions.push({ at: period });
    if (request.after) {
      const position = decodeCursor(request.after);
      conditions.push({ $or: [{ at: { $lt: position.at } }, { at: position.at, _id: { $lt: position.id } }] });
    }
    const filter: Filter<ContactDocument> =
      conditions.length === 0 ? {} : conditions.length === 1 ? conditions[0]! : { $and: conditions };
    const documents = await this.collection
      .find(filter)
      .sort({ at: -1, _id: -1 })
      .limit(request.first + 1)
      .toArray();
    const page = documents.slice(0, request.first);
    return {
      contacts: page.map(toContact),
      cursors: page.map((document) => encodeCursor(document.at, document._id)),
      hasNextPage: documents.length > request.first,
    };
  }
}

function firstContactOf(contact: Pick<ContactDocument, "_id" | "at" | "outcome">): FirstContact {
  return { at: contact.at, contactId: contact._id, outcome: contact.outcome };
}

function checkAgent(value: unknown): string {
  const agent = typeof value === "string" ? value.trim() : "";
  if (agent === "" || agent.length > MAX_AGENT_LENGTH) {
    throw new UserInputError(`agent must be a non-empty string of at most ${MAX_AGENT_LENGTH} characters`, { field: "agent" });
  }
  return agent;
}

function checkAt(value: Date, now: Date): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new UserInputError("at must be a date and time", { field: "at" });
  }
  if (value.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw new UserInputError("at lies in the future; log a contact when it has begun", { field: "at" });
  }
  if (value.getTime() < now.getTime() - MAX_AGE_MS) {
    throw new UserInputError("at is more than a year ago; the archive is not back-filled that far", { field: "at" });
  }
  return value;
}

function checkDuration(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > MAX_DURATION_SECONDS) {
    throw new UserInputError(`durationSeconds must be a whole number from 0 to ${MAX_DURATION_SECONDS}, not ${String(value)}`, {
      field: "durationSeconds",
    });
  }
  return value;
}

function checkEnum<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value as T)) {
    throw new UserInputError(`${field} must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`, { field });
  }
  return value as T;
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === "string" && typeof decoded[1] === "string") {
      const at = new Date(decoded[0]);
      if (!Number.isNaN(at.getTime())) return { at, id: decoded[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidContactCursorError("not a cursor from a previous page");
}
