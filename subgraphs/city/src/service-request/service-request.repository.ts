import { randomInt, randomUUID } from "node:crypto";
import { ConflictError, NO_CHANGE_EVENTS, NotFoundError, UserInputError, type ChangeEventPublisher } from "@situation/platform";
import { MongoServerError, type Collection, type Db, type Filter } from "mongodb";
import type { DistrictRepository } from "../district/district.repository.js";
import { parsePoint, type PointGeometry } from "../geo/geo-json.js";
import { route, type Assignee, type RequestField, type ServiceCategoryDocument } from "../service-catalog/service-catalog.model.js";
import { checkAssignee, type ServiceCategoryRepository } from "../service-catalog/service-catalog.repository.js";
import { inScope, type AccessScope } from "./access.js";
import { requestEvent, requestEventType } from "./service-request-events.js";
import {
  ALLOWED_TRANSITIONS,
  DONE_STATUSES,
  OPEN_STATUSES,
  REQUEST_CHANNELS,
  REQUEST_STATUSES,
  type Actor,
  type AuditEntry,
  type AuditKind,
  type ContactDetails,
  type FirstContact,
  type RequestChannel,
  type RequestStatus,
  type ServiceRequestDocument,
} from "./service-request.model.js";

export const SERVICE_REQUESTS_COLLECTION = "serviceRequests";
export const REQUEST_AUDIT_COLLECTION = "requestAudit";

/** A request as any channel hands it in; checked field by field before anything is written. */
export interface SubmitInput {
  categoryCode: string;
  description: string;
  /** A GeoJSON Point inside the city. */
  location?: unknown;
  address?: string | null;
  contact?: { name?: string | null; email?: string | null; phone?: string | null } | null;
  attachments?: readonly string[] | null;
  channel: RequestChannel | string;
}

export interface RequestFilter {
  statuses?: readonly RequestStatus[] | null;
  /** Shorthand for the open statuses (received, assigned, in progress, waiting for citizen). */
  open?: boolean | null;
  categoryCodes?: readonly string[] | null;
  districtId?: string | null;
  assignee?: Assignee | null;
  channel?: RequestChannel | null;
  overdue?: boolean | null;
  escalated?: boolean | null;
  /** receivedAt >= receivedFrom */
  receivedFrom?: Date | null;
  /** receivedAt < receivedTo */
  receivedTo?: Date | null;
}

export interface Page {
  requests: ServiceRequestDocument[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}

export type EscalationOutcome = "escalated" | "not-due" | "already-escalated" | "closed";

/** The state another system reports for a request: Open311 knows only open and closed. */
export type ImportedStatus = "open" | "resolved" | "closed";

/** A request as another system (an Open311 endpoint) reports it, already mapped to the city's catalog. */
export interface ExternalRequestImport {
  externalId: string;
  /** A hash of everything imported: equal to the one stored means nothing to write. */
  contentHash: string;
  categoryCode: string;
  description: string;
  location?: unknown;
  address?: string | null;
  attachments?: readonly string[] | null;
  status: ImportedStatus;
  /** The other system's note on its status, kept in the audit entry of a status change. */
  statusNote?: string | null;
  receivedAt: Date;
  /** When the other system last changed it: the time of the status changes imported (within receivedAt..now). */
  changedAt?: Date | null;
  /** Its due time there, when it has one; otherwise the category's SLA counts from receivedAt. */
  expectedAt?: Date | null;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records refused, naming the field of ExternalRequestImport at fault (`categoryCode`, `location`, `status`, ...). */
  refused: { externalId: string; field: string; reason: string }[];
}

export interface RequestCounts {
  byStatus: { key: string; count: number }[];
  byCategory: { key: string; count: number }[];
}

export interface SlaFigures {
  total: number;
  resolvedWithinSla: number;
  /** resolvedWithinSla / total; null when there were no requests. */
  slaCompliance: number | null;
  overdueOpen: number;
}

/** A cursor that does not decode; the resolvers turn it into a UserInputError on `after`. */
export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

/** What a change sets and unsets on the request, kept in its audit entry so that a retry can finish it. */
interface Patch {
  set: Partial<ServiceRequestDocument>;
  unset: (keyof ServiceRequestDocument)[];
}

interface StoredAuditEntry extends AuditEntry {
  patch?: Patch;
}

type Decision<T> =
  | { result: T }
  | { kind: AuditKind; from?: string; to?: string; comment?: string; patch: Patch; after?: (document: ServiceRequestDocument) => T };

export const DUPLICATE_RADIUS_METRES = 100;
export const DUPLICATE_WINDOW_HOURS = 48;
export const ESCALATION_ACTOR: Actor = Object.freeze({ subject: "system:escalation", roles: [] as string[] });

const HOUR_MS = 3_600_000;
const DUPLICATE_KEY = 11000;
const MAX_ATTEMPTS = 5;
// No 0/O, 1/I/L or U/V lookalikes: read out over the phone without spelling mistakes.
const TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ";
const TRACKING_CODE = /^KS-[23456789ABCDEFGHJKMNPQRSTWXYZ]{8}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE_CHARACTERS = /^\+?[0-9 ()/.-]+$/;
const LIMITS = { description: [3, 4000], address: 300, name: 120, email: 254, comment: 2000, reason: 1000, attachments: 10, url: 2048 } as const;

/**
 * The only code that reads and writes the `serviceRequests` and `requestAudit` collections.
 *
 * Every change of a request is one audit entry plus one version-checked update, without
 * transactions (the embedded store, like a standalone mongod, has none): the entry is written first
 * with `_id` `<requestId>:<newVersion>`, so only one writer can claim a version; it carries the
 * update, so whoever meets an entry whose update was never applied (a crash in between) applies it
 * before going on. Readers see only entries up to the request's version.
 */
export class ServiceRequestRepository {
  readonly collection: Collection<ServiceRequestDocument>;
  // Private: nothing outside this class may even hold the audit collection, so no code path updates or deletes it.
  readonly #audit: Collection<StoredAuditEntry>;

  constructor(
    db: Db,
    private readonly dependencies: {
      districts: Pick<DistrictRepository, "findContaining">;
      categories: Pick<ServiceCategoryRepository, "findByCode">;
      now?: () => Date;
      /** Told about intake, status changes and escalations once written (docs/live-events.md); nobody when absent. */
      events?: ChangeEventPublisher;
    },
  ) {
    this.collection = db.collection<ServiceRequestDocument>(SERVICE_REQUESTS_COLLECTION);
    this.#audit = db.collection<StoredAuditEntry>(REQUEST_AUDIT_COLLECTION);
  }

  private now(): Date {
    return this.dependencies.now?.() ?? new Date();
  }

  private get events(): ChangeEventPublisher {
    return this.dependencies.events ?? NO_CHANGE_EVENTS;
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ trackingCode: 1 }, { unique: true, name: "trackingCode_unique" }),
      this.collection.createIndex({ location: "2dsphere" }, { name: "location_2dsphere" }),
      this.collection.createIndex({ receivedAt: -1, _id: -1 }, { name: "receivedAt_id" }),
      this.collection.createIndex({ "assignee.kind": 1, "assignee.id": 1, receivedAt: -1 }, { name: "assignee_receivedAt" }),
      this.collection.createIndex({ districtId: 1, status: 1 }, { name: "district_status" }),
      this.collection.createIndex({ categoryCode: 1, status: 1, receivedAt: -1 }, { name: "category_status_receivedAt" }),
      this.collection.createIndex({ overdue: 1, resolutionDueAt: 1 }, { name: "overdue_resolutionDueAt" }),
      this.#audit.createIndex({ requestId: 1, version: 1 }, { name: "requestId_version" }),
      // Sparse: only imported requests have an external identity.
      this.collection.createIndex({ "external.source": 1, "external.id": 1 }, { unique: true, sparse: true, name: "external_unique" }),
    ]);
  }

  /**
   * Records contacts as their requests' first contact where each is earlier (by `at`, then contact id)
   * than the one recorded, in one conditional update per request: the filter and the write are one
   * atomic step, so concurrent contacts and contacts logged out of order leave the earliest, whatever
   * the order the updates arrive in, and recording the same contact again changes nothing. Requests
   * that do not exist are skipped. Leaves `version` and `updatedAt` alone: a contact is not a change
   * of the request, and the versioned writers only `$set` their own fields, so neither overwrites the other.
   */
  async recordFirstContacts(contacts: ReadonlyArray<{ requestId: string; contact: FirstContact }>): Promise<void> {
    if (contacts.length === 0) return;
    await this.collection.bulkWrite(
      contacts.map(({ requestId, contact }) => ({
        updateOne: {
          filter: {
            _id: requestId,
            $or: [
              { firstContact: { $exists: false } },
              { "firstContact.at": { $gt: contact.at } },
              { "firstContact.at": contact.at, "firstContact.contactId": { $gt: contact.contactId } },
            ],
          },
          update: { $set: { firstContact: { at: contact.at, contactId: contact.contactId, outcome: contact.outcome } } },
        },
      })),
      { ordered: false },
    );
  }

  /**
   * Intake from any channel: validates, derives the district from the point, routes, computes the
   * due times, links a duplicate (same category, an open request within 100 m and 48 h), and stores
   * the request with its audit entries.
   */
  async submit(
    input: SubmitInput,
    actor: Actor,
    now: Date = this.now(),
  ): Promise<{ request: ServiceRequestDocument; duplicateOf?: ServiceRequestDocument }> {
    const checked = await this.checkSubmission(input);
    const { category } = checked;
    const assignee = route(category, checked.districtId);
    const duplicateOf = checked.location ? await this.findOpenDuplicate(category._id, checked.location, now) : undefined;
    const id = randomUUID();
    const actorCopy = copyActor(actor);

    const entries: StoredAuditEntry[] = [
      {
        _id: auditId(id, 1),
        requestId: id,
        version: 1,
        at: now,
        actor: actorCopy,
        kind: "received",
        to: "received",
        comment: `via ${checked.channel}; routed to ${describeAssignee(assignee)}`,
      },
    ];
    if (duplicateOf) {
      entries.push({
        _id: auditId(id, 2),
        requestId: id,
        version: 2,
        at: now,
        actor: actorCopy,
        kind: "duplicate-link",
        to: duplicateOf._id,
        comment: `within ${DUPLICATE_RADIUS_METRES} m and ${DUPLICATE_WINDOW_HOURS} h of open request ${duplicateOf.trackingCode}`,
      });
    }

    const document: ServiceRequestDocument = {
      _id: id,
      trackingCode: newTrackingCode(),
      categoryCode: category._id,
      description: checked.description,
      ...(checked.location ? { location: checked.location } : {}),
      ...(checked.address ? { address: checked.address } : {}),
      ...(checked.districtId ? { districtId: checked.districtId } : {}),
      ...(checked.contact ? { contact: checked.contact } : {}),
      attachments: checked.attachments,
      channel: checked.channel,
      status: "received",
      assignee,
      receivedAt: now,
      firstResponseDueAt: new Date(now.getTime() + category.slaFirstResponseHours * HOUR_MS),
      resolutionDueAt: new Date(now.getTime() + category.slaResolutionHours * HOUR_MS),
      escalationLevel: 0,
      overdue: false,
      ...(duplicateOf ? { duplicateOf: duplicateOf._id } : {}),
      submittedBy: actorCopy,
      updatedAt: now,
      version: entries.length,
    };

    // Entries first: a crash before the request is written leaves entries of a request that does not
    // exist, which nothing shows; never a request without its history.
    await this.#audit.insertMany(entries, { ordered: true });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.collection.insertOne(document);
        break;
      } catch (error) {
        // A tracking code that is already taken (one in 29^8): draw another.
        if (!isDuplicateKey(error) || attempt >= MAX_ATTEMPTS) throw error;
        document.trackingCode = newTrackingCode();
      }
    }
    await this.events.publish(requestEvent("request.received", document));
    return duplicateOf ? { request: document, duplicateOf } : { request: document };
  }

  /**
   * Imports requests from another system, keyed by (source, external id): a new one is taken in like
   * a submission (validated, routed, audited as received, channel open311) without duplicate
   * linking, since the other system already decided what it is; a known one whose content hash
   * changed gets one `import` audit entry for its changed fields. The reported status is reached by
   * walking the lifecycle (ALLOWED_TRANSITIONS), one `status` entry per step, so the audit trail reads
   * as if staff had moved it. The hash is stored last: an import that dies half-way is redone, and
   * every step of it is idempotent. A record that fails validation is refused on its field and the
   * others go on.
   */
  async importExternal(source: string, records: readonly ExternalRequestImport[], actor: Actor, now: Date = this.now()): Promise<ImportResult> {
    const result: ImportResult = { inserted: 0, updated: 0, unchanged: 0, refused: [] };
    if (records.length === 0) return result;
    const known = new Map<string, ServiceRequestDocument>();
    const found = await this.collection.find({ "external.source": source, "external.id": { $in: records.map((record) => record.externalId) } }).toArray();
    for (const document of found) known.set(document.external!.id, document);
    for (const record of records) {
      const current = known.get(record.externalId);
      if (current?.external?.contentHash === record.contentHash) {
        result.unchanged += 1;
        continue;
      }
      try {
        const checked = await this.checkSubmission({
          categoryCode: record.categoryCode,
          description: record.description,
          location: record.location,
          address: record.address ?? null,
          attachments: record.attachments ?? null,
          channel: "open311",
        });
        const id = current ? await this.updateImported(current, checked, record, source, actor, now) : await this.insertImported(checked, record, source, actor, now);
        const at = clampDate(record.changedAt ?? now, record.receivedAt, now);
        await this.walkTo(id, record, source, actor, at);
        await this.collection.updateOne({ _id: id }, { $set: { "external.contentHash": record.contentHash } });
        result[current ? "updated" : "inserted"] += 1;
      } catch (error) {
        if (!(error instanceof UserInputError)) throw error;
        result.refused.push({ externalId: record.externalId, field: error.field, reason: error.message });
      }
    }
    return result;
  }

  private async insertImported(checked: CheckedSubmission, record: ExternalRequestImport, source: string, actor: Actor, now: Date): Promise<string> {
    const { category } = checked;
    const assignee = route(category, checked.districtId);
    const id = randomUUID();
    const actorCopy = copyActor(actor);
    const receivedAt = record.receivedAt;
    const entry: StoredAuditEntry = {
      _id: auditId(id, 1),
      requestId: id,
      version: 1,
      at: now,
      actor: actorCopy,
      kind: "received",
      to: "received",
      comment: `imported from ${source} (${record.externalId}) via ${checked.channel}; routed to ${describeAssignee(assignee)}`,
    };
    const document: ServiceRequestDocument = {
      _id: id,
      trackingCode: newTrackingCode(),
      categoryCode: category._id,
      description: checked.description,
      ...(checked.location ? { location: checked.location } : {}),
      ...(checked.address ? { address: checked.address } : {}),
      ...(checked.districtId ? { districtId: checked.districtId } : {}),
      ...(checked.contact ? { contact: checked.contact } : {}),
      attachments: checked.attachments,
      channel: checked.channel,
      status: "received",
      assignee,
      receivedAt,
      firstResponseDueAt: new Date(receivedAt.getTime() + category.slaFirstResponseHours * HOUR_MS),
      resolutionDueAt: record.expectedAt ?? new Date(receivedAt.getTime() + category.slaResolutionHours * HOUR_MS),
      escalationLevel: 0,
      overdue: false,
      submittedBy: actorCopy,
      updatedAt: now,
      version: 1,
      // No hash yet: until the status walk is done, a re-import must not count this as imported.
      external: { source, id: record.externalId, contentHash: null },
    };
    await this.#audit.insertOne(entry);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.collection.insertOne(document);
        await this.events.publish(requestEvent("request.received", document));
        return id;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= MAX_ATTEMPTS) throw error;
        // Either the tracking code is taken, or another import of the same record got in first.
        const other = await this.collection.findOne({ "external.source": source, "external.id": record.externalId });
        if (other) return other._id;
        document.trackingCode = newTrackingCode();
      }
    }
  }

  private async updateImported(
    current: ServiceRequestDocument,
    checked: CheckedSubmission,
    record: ExternalRequestImport,
    source: string,
    actor: Actor,
    now: Date,
  ): Promise<string> {
    await this.change<void>(current._id, actor, now, (latest) => {
      const set: Partial<ServiceRequestDocument> = {};
      const unset: Patch["unset"] = [];
      const changed = (field: keyof ServiceRequestDocument, value: unknown) => {
        if (value === undefined) {
          if (latest[field] !== undefined) unset.push(field);
        } else if (JSON.stringify(latest[field]) !== JSON.stringify(value)) {
          (set as Record<string, unknown>)[field] = value;
        }
      };
      changed("categoryCode", checked.category._id);
      changed("description", checked.description);
      changed("address", checked.address);
      changed("location", checked.location);
      changed("districtId", checked.districtId);
      changed("attachments", checked.attachments);
      if (record.expectedAt && latest.resolutionDueAt.getTime() !== record.expectedAt.getTime()) set.resolutionDueAt = record.expectedAt;
      const fields = [...Object.keys(set), ...unset];
      if (fields.length === 0) return { result: undefined };
      return { kind: "import", comment: `updated from ${source} (${record.externalId}): ${fields.join(", ")}`, patch: { set, unset } };
    });
    return current._id;
  }

  /** Moves an imported request, step by allowed step, to the status its system reports. */
  private async walkTo(id: string, record: ExternalRequestImport, source: string, actor: Actor, at: Date): Promise<void> {
    const comment = `imported from ${source} (${record.externalId})${record.statusNote ? `: ${record.statusNote}` : ""}`.slice(0, LIMITS.comment);
    // The longest path, received → assigned → in-progress → resolved → closed, has four steps.
    for (let step = 0; step < 5; step++) {
      const current = await this.findById(id);
      if (!current) throw new NotFoundError(`no service request ${JSON.stringify(id)}`);
      const next = nextImportStep(current.status, record.status);
      if (next === null) return;
      await this.transition(id, next, actor, { comment }, at);
    }
  }

  async findById(id: string): Promise<ServiceRequestDocument | undefined> {
    if (typeof id !== "string" || id.length > 200) return undefined;
    return (await this.collection.findOne({ _id: id })) ?? undefined;
  }

  async findByTrackingCode(code: string): Promise<ServiceRequestDocument | undefined> {
    const normalised = typeof code === "string" ? code.trim().toUpperCase() : "";
    if (!TRACKING_CODE.test(normalised)) return undefined;
    return (await this.collection.findOne({ trackingCode: normalised })) ?? undefined;
  }

  /** Requests matching the filter within the caller's scope, newest first, `first` after the cursor. */
  async findPage(filter: RequestFilter, page: { first: number; after?: string | null }, scope: AccessScope): Promise<Page> {
    if (scope.kind === "none") return { requests: [], cursors: [], hasNextPage: false, totalCount: 0 };
    const matching = toMongoFilter(filter, scope);
    let query = matching;
    if (page.after) {
      const position = decodeCursor(page.after);
      query = {
        $and: [
          matching,
          { $or: [{ receivedAt: { $lt: position.receivedAt } }, { receivedAt: position.receivedAt, _id: { $lt: position.id } }] },
        ],
      };
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find(query)
        .sort({ receivedAt: -1, _id: -1 })
        .limit(page.first + 1)
        .toArray(),
      this.collection.countDocuments(matching),
    ]);
    const requests = documents.slice(0, page.first);
    return {
      requests,
      cursors: requests.map((document) => encodeCursor(document.receivedAt, document._id)),
      hasNextPage: documents.length > page.first,
      totalCount,
    };
  }

  /** Moves a request along its lifecycle; anything but an allowed transition is a BAD_USER_INPUT on `to`. */
  async transition(
    id: string,
    to: RequestStatus,
    actor: Actor,
    options: {
      comment?: string | null;
      rejectionReason?: string | null;
      /** Checked against the request as it is when the change is decided (throws to refuse), e.g. ownership. */
      authorize?: (current: ServiceRequestDocument) => void;
    } = {},
    now: Date = this.now(),
  ): Promise<ServiceRequestDocument> {
    if (!REQUEST_STATUSES.includes(to)) {
      throw new UserInputError(`to: ${JSON.stringify(to)} is not one of ${REQUEST_STATUSES.join(", ")}`, { field: "to" });
    }
    const comment = optionalText(options.comment, "comment", LIMITS.comment);
    const rejectionReason = optionalText(options.rejectionReason, "rejectionReason", LIMITS.reason);
    if (to === "rejected" && rejectionReason === undefined) {
      throw new UserInputError("rejectionReason: a rejection needs a reason", { field: "rejectionReason" });
    }
    if (to !== "rejected" && rejectionReason !== undefined) {
      throw new UserInputError("rejectionReason: only a rejection takes a reason", { field: "rejectionReason" });
    }
    return this.change<ServiceRequestDocument>(id, actor, now, (current) => {
      options.authorize?.(current);
      const from = current.status;
      if (!ALLOWED_TRANSITIONS[from].includes(to)) {
        throw new UserInputError(`to: a request cannot go from ${from} to ${to}`, {
          field: "to",
          details: { from, to, allowed: [...ALLOWED_TRANSITIONS[from]] },
        });
      }
      const set: Partial<ServiceRequestDocument> = { status: to };
      const unset: Patch["unset"] = [];
      if ((from === "received" || from === "assigned") && to !== "assigned" && current.firstRespondedAt === undefined) {
        set.firstRespondedAt = now;
      }
      if (to === "resolved") Object.assign(set, { resolvedAt: now, overdue: false });
      if (to === "closed") Object.assign(set, { closedAt: now, overdue: false });
      if (to === "rejected") Object.assign(set, { rejectionReason, overdue: false });
      if (from === "resolved" && to === "in-progress") unset.push("resolvedAt");
      return { kind: "status", from, to, ...(comment === undefined ? {} : { comment }), patch: { set, unset } };
    });
  }

  /** Hands a request to another assignee; the audit keeps who had it before. */
  async reassign(
    id: string,
    assignee: Assignee,
    actor: Actor,
    comment?: string | null,
    now: Date = this.now(),
    /** As transition's `authorize`. */
    authorize?: (current: ServiceRequestDocument) => void,
  ): Promise<ServiceRequestDocument> {
    const next = checkAssignee(assignee, "assignee");
    const note = optionalText(comment, "comment", LIMITS.comment);
    return this.change<ServiceRequestDocument>(id, actor, now, (current) => {
      authorize?.(current);
      if (current.status === "closed" || current.status === "rejected") {
        throw new UserInputError(`id: a ${current.status} request cannot be reassigned`, { field: "id" });
      }
      if (current.assignee.kind === next.kind && current.assignee.id === next.id) {
        throw new UserInputError(`assignee: the request is already assigned to ${describeAssignee(next)}`, { field: "assignee" });
      }
      return {
        kind: "assignment",
        from: describeAssignee(current.assignee),
        to: describeAssignee(next),
        ...(note === undefined ? {} : { comment: note }),
        patch: { set: { assignee: next }, unset: [] },
      };
    });
  }

  /**
   * Escalates a request past its resolution time to the department head: escalationLevel 1, overdue,
   * an "escalation" audit entry. Idempotent: the escalation worker and the sweeper may both call it.
   */
  async escalateIfOverdue(id: string, now: Date = this.now()): Promise<EscalationOutcome> {
    return this.change<EscalationOutcome>(id, ESCALATION_ACTOR, now, (current) => {
      if (DONE_STATUSES.includes(current.status)) return { result: "closed" };
      if (current.overdue) return { result: "already-escalated" };
      if (now.getTime() < current.resolutionDueAt.getTime()) return { result: "not-due" };
      return {
        kind: "escalation",
        from: String(current.escalationLevel),
        to: String(Math.max(1, current.escalationLevel)),
        comment: `resolution was due at ${current.resolutionDueAt.toISOString()}; escalated to the department head`,
        patch: { set: { escalationLevel: Math.max(1, current.escalationLevel), overdue: true }, unset: [] },
        after: () => "escalated" as const,
      };
    });
  }

  /**
   * What the escalation sweeper escalates: open requests never escalated whose resolution time has
   * passed, oldest due first, at most `limit`.
   */
  async findOverdueOpen(now: Date = this.now(), limit = 500): Promise<ServiceRequestDocument[]> {
    return this.collection
      // `overdue`, not the escalation level: a reopened request was escalated before and may fall due again.
      .find({ overdue: false, resolutionDueAt: { $lte: now }, status: { $in: [...OPEN_STATUSES] } })
      .sort({ resolutionDueAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  /** The request's history, oldest first: every entry up to its current version. */
  async auditTrail(id: string): Promise<AuditEntry[]> {
    const request = await this.collection.findOne({ _id: id }, { projection: { version: 1 } });
    if (!request) return [];
    return this.#audit
      .find({ requestId: id, version: { $lte: request.version } }, { projection: { patch: 0 } })
      .sort({ version: 1 })
      .toArray();
  }

  /** Counts of a district's requests (open ones unless `includeClosed`) by status and by category. */
  async countsForDistrict(districtId: string, options: { includeClosed?: boolean } = {}): Promise<RequestCounts> {
    const match: Filter<ServiceRequestDocument> = options.includeClosed
      ? { districtId }
      : { districtId, status: { $in: [...OPEN_STATUSES] } };
    const group = (key: string) =>
      this.collection
        .aggregate<{ _id: string; count: number }>([
          { $match: match },
          { $group: { _id: `$${key}`, count: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
    const [byStatus, byCategory] = await Promise.all([group("status"), group("categoryCode")]);
    const rows = (groups: { _id: string; count: number }[]) => groups.map((row) => ({ key: row._id, count: row.count }));
    return { byStatus: rows(byStatus), byCategory: rows(byCategory) };
  }

  /**
   * SLA figures of an assignee's requests received in [from, to): how many, how many were resolved
   * by their resolution due time, the share of those, and how many are still open past it now.
   * One aggregation in the database.
   */
  async slaFigures(assignee: Assignee, from: Date, to: Date, now: Date = this.now()): Promise<SlaFigures> {
    const [row] = await this.collection
      .aggregate<{ total: number; resolvedWithinSla: number; overdueOpen: number }>([
        { $match: { "assignee.kind": assignee.kind, "assignee.id": assignee.id, receivedAt: { $gte: from, $lt: to } } },
        {
          $group: {
            _id: null,
            total: { $sum: 1 },
            resolvedWithinSla: {
              $sum: { $cond: [{ $and: [{ $ifNull: ["$resolvedAt", false] }, { $lte: ["$resolvedAt", "$resolutionDueAt"] }] }, 1, 0] },
            },
            overdueOpen: {
              $sum: { $cond: [{ $and: [{ $in: ["$status", [...OPEN_STATUSES]] }, { $lt: ["$resolutionDueAt", now] }] }, 1, 0] },
            },
          },
        },
      ])
      .toArray();
    const total = row?.total ?? 0;
    const resolvedWithinSla = row?.resolvedWithinSla ?? 0;
    return {
      total,
      resolvedWithinSla,
      slaCompliance: total === 0 ? null : resolvedWithinSla / total,
      overdueOpen: row?.overdueOpen ?? 0,
    };
  }

  /**
   * Reads the request, lets `decide` validate against it and describe the change, then claims the
   * next version with the audit entry and applies the update. A lost race re-reads and decides again.
   */
  private async change<T>(
    id: string,
    actor: Actor,
    at: Date,
    decide: (current: ServiceRequestDocument) => Decision<T>,
  ): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS * 2; attempt++) {
      const current = await this.findById(id);
      if (!current) throw new NotFoundError(`no service request ${JSON.stringify(id)}`);
      // A change claimed but never applied (its writer crashed, or is just about to apply it) comes
      // first: decide on the state it produces, not on the one before it.
      const pending = await this.#audit.findOne({ _id: auditId(id, current.version + 1) });
      if (pending) {
        await this.apply(current.version, pending);
        continue;
      }
      const decision = decide(current);
      if ("result" in decision) return decision.result;
      const version = current.version + 1;
      const entry: StoredAuditEntry = {
        _id: auditId(id, version),
        requestId: id,
        version,
        at,
        actor: copyActor(actor),
        kind: decision.kind,
        ...(decision.from === undefined ? {} : { from: decision.from }),
        ...(decision.to === undefined ? {} : { to: decision.to }),
        ...(decision.comment === undefined ? {} : { comment: decision.comment }),
        patch: decision.patch,
      };
      try {
        await this.#audit.insertOne(entry);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another writer claimed this version first, or crashed after claiming it: finish its
        // change (a no-op if it is already applied) and decide again on the new state.
        const claimed = await this.#audit.findOne({ _id: entry._id });
        if (claimed) await this.apply(current.version, claimed);
        continue;
      }
      await this.apply(current.version, entry);
      const updated = await this.findById(id);
      if (!updated) throw new NotFoundError(`no service request ${JSON.stringify(id)}`);
      const eventType = requestEventType(decision.kind);
      if (eventType) await this.events.publish(requestEvent(eventType, updated));
      return decision.after ? decision.after(updated) : (updated as T);
    }
    throw new ConflictError(`service request ${id} changed concurrently too often; try again`);
  }

  /** Applies an entry's update if the request is still at the version before it (idempotent). */
  private async apply(previousVersion: number, entry: StoredAuditEntry): Promise<void> {
    const patch = entry.patch ?? { set: {}, unset: [] };
    await this.collection.updateOne(
      { _id: entry.requestId, version: previousVersion },
      {
        $set: { ...patch.set, version: entry.version, updatedAt: entry.at },
        ...(patch.unset.length === 0 ? {} : { $unset: Object.fromEntries(patch.unset.map((field) => [field, ""])) }),
      },
    );
  }

  private async findOpenDuplicate(categoryCode: string, location: PointGeometry, now: Date): Promise<ServiceRequestDocument | undefined> {
    const since = new Date(now.getTime() - DUPLICATE_WINDOW_HOURS * HOUR_MS);
    const found = await this.collection.findOne({
      categoryCode,
      status: { $in: [...OPEN_STATUSES] },
      receivedAt: { $gte: since, $lte: now },
      location: { $nearSphere: { $geometry: location, $maxDistance: DUPLICATE_RADIUS_METRES } },
    });
    return found ?? undefined;
  }

  private async checkSubmission(input: SubmitInput): Promise<CheckedSubmission> {
    const channel = input.channel as RequestChannel;
    if (!REQUEST_CHANNELS.includes(channel)) {
      throw new UserInputError(`channel must be one of ${REQUEST_CHANNELS.join(", ")}`, { field: "channel" });
    }
    const code = typeof input.categoryCode === "string" ? input.categoryCode.trim() : "";
    const category = code === "" || code.length > 100 ? undefined : await this.dependencies.categories.findByCode(code);
    if (!category || !category.active) {
      throw new UserInputError(`categoryCode: ${JSON.stringify(input.categoryCode)} is not an active service category`, {
        field: "categoryCode",
      });
    }
    const description = typeof input.description === "string" ? input.description.trim() : "";
    if (description.length < LIMITS.description[0] || description.length > LIMITS.description[1]) {
      throw new UserInputError(`description must be ${LIMITS.description[0]} to ${LIMITS.description[1]} characters`, {
        field: "description",
      });
    }
    const address = optionalText(input.address, "address", LIMITS.address);
    let location: PointGeometry | undefined;
    let districtId: string | undefined;
    if (input.location !== undefined && input.location !== null) {
      location = parsePoint(input.location, "location");
      const district = await this.dependencies.districts.findContaining(location);
      if (!district) throw new UserInputError("location: the point is outside the city's districts", { field: "location" });
      districtId = district.id;
    }
    const contact = checkContact(input.contact);
    const attachments = checkAttachments(input.attachments);
    if (!location && !address) {
      throw new UserInputError("location: give a location or an address", { field: "location" });
    }
    const present: Record<RequestField, boolean> = {
      location: location !== undefined,
      address: address !== undefined,
      "contact.name": contact?.name !== undefined,
      "contact.email": contact?.email !== undefined,
      "contact.phone": contact?.phone !== undefined,
      attachments: attachments.length > 0,
    };
    for (const field of category.requiredFields) {
      if (!present[field]) {
        throw new UserInputError(`${field}: a request of category ${category._id} needs it`, { field });
      }
    }
    return { channel, category, description, address, location, districtId, contact, attachments };
  }
}

type CheckedSubmission = {
  channel: RequestChannel;
  category: ServiceCategoryDocument;
  description: string;
  address: string | undefined;
  location: PointGeometry | undefined;
  districtId: string | undefined;
  contact: ContactDetails | undefined;
  attachments: string[];
};

/**
 * The next lifecycle step towards the status another system reports, or null when there: "open" is
 * any open status (staff may be working it here), a resolved request it reports open again is
 * reopened, and a closed or rejected one cannot be (the lifecycle has no way back).
 */
export function nextImportStep(from: RequestStatus, target: ImportedStatus): RequestStatus | null {
  if (target === "open") {
    if (OPEN_STATUSES.includes(from)) return null;
    if (from === "resolved") return "in-progress";
    throw new UserInputError(`status: a ${from} request cannot be reopened`, { field: "status" });
  }
  if (from === "rejected" || from === "closed" || (target === "resolved" && from === "resolved")) return null;
  const towards: Record<Exclude<RequestStatus, "closed" | "rejected">, RequestStatus> = {
    received: "assigned",
    assigned: "in-progress",
    "in-progress": "resolved",
    "waiting-for-citizen": "resolved",
    resolved: "closed",
  };
  return towards[from];
}

function clampDate(value: Date, earliest: Date, latest: Date): Date {
  return new Date(Math.min(Math.max(value.getTime(), earliest.getTime()), latest.getTime()));
}

function checkContact(value: SubmitInput["contact"]): ContactDetails | undefined {
  if (value === undefined || value === null) return undefined;
  const contact: ContactDetails = {};
  const name = optionalText(value.name, "contact.name", LIMITS.name);
  if (name !== undefined) contact.name = name;
  const email = optionalText(value.email, "contact.email", LIMITS.email);
  if (email !== undefined) {
    if (!EMAIL.test(email)) throw new UserInputError("contact.email is not an e-mail address", { field: "contact.email" });
    contact.email = email;
  }
  const phone = optionalText(value.phone, "contact.phone", 30);
  if (phone !== undefined) {
    const digits = phone.replace(/\D/g, "");
    if (!PHONE_CHARACTERS.test(phone) || digits.length < 6 || digits.length > 15) {
      throw new UserInputError("contact.phone is not a telephone number (6 to 15 digits, optionally + and separators)", {
        field: "contact.phone",
      });
    }
    contact.phone = phone;
  }
  return Object.keys(contact).length === 0 ? undefined : contact;
}

function checkAttachments(value: SubmitInput["attachments"]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > LIMITS.attachments) {
    throw new UserInputError(`attachments: at most ${LIMITS.attachments} URLs`, { field: "attachments" });
  }
  return value.map((candidate: unknown, index) => {
    const text = typeof candidate === "string" ? candidate.trim() : "";
    let url: URL | undefined;
    try {
      url = text.length > 0 && text.length <= LIMITS.url ? new URL(text) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new UserInputError(`attachments[${index}] is not an http(s) URL`, { field: "attachments" });
    }
    return url.toString();
  });
}

/** A trimmed string, undefined when absent or blank; too long is the caller's mistake on `field`. */
function optionalText(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new UserInputError(`${field} must be text`, { field });
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (trimmed.length > maxLength) throw new UserInputError(`${field} must be at most ${maxLength} characters`, { field });
  return trimmed;
}

function toMongoFilter(filter: RequestFilter, scope: AccessScope): Filter<ServiceRequestDocument> {
  const conditions: Filter<ServiceRequestDocument>[] = [];
  if (scope.kind === "provider") conditions.push({ "assignee.kind": "provider", "assignee.id": scope.providerId });
  if (scope.kind === "departments") conditions.push({ "assignee.kind": "department" });
  if (filter.statuses && filter.statuses.length > 0) conditions.push({ status: { $in: [...filter.statuses] } });
  if (filter.open === true) conditions.push({ status: { $in: [...OPEN_STATUSES] } });
  if (filter.open === false) conditions.push({ status: { $in: [...DONE_STATUSES] } });
  if (filter.categoryCodes && filter.categoryCodes.length > 0) conditions.push({ categoryCode: { $in: [...filter.categoryCodes] } });
  if (filter.districtId) conditions.push({ districtId: filter.districtId });
  if (filter.assignee) conditions.push({ "assignee.kind": filter.assignee.kind, "assignee.id": filter.assignee.id });
  if (filter.channel) conditions.push({ channel: filter.channel });
  if (filter.overdue === true || filter.overdue === false) conditions.push({ overdue: filter.overdue });
  if (filter.escalated === true) conditions.push({ escalationLevel: { $gte: 1 } });
  if (filter.escalated === false) conditions.push({ escalationLevel: { $lt: 1 } });
  if (filter.receivedFrom) conditions.push({ receivedAt: { $gte: filter.receivedFrom } });
  if (filter.receivedTo) conditions.push({ receivedAt: { $lt: filter.receivedTo } });
  if (conditions.length === 0) return {};
  return conditions.length === 1 ? conditions[0]! : { $and: conditions };
}

/** Whether a stored request is visible in a scope (for single-request reads). */
export function visibleIn(scope: AccessScope, document: Pick<ServiceRequestDocument, "assignee">): boolean {
  return inScope(scope, document.assignee);
}

function auditId(requestId: string, version: number): string {
  return `${requestId}:${version}`;
}

function copyActor(actor: Actor): Actor {
  return { subject: actor.subject, roles: [...actor.roles] };
}

export function describeAssignee(assignee: Assignee): string {
  return `${assignee.kind}:${assignee.id}`;
}

function newTrackingCode(): string {
  let code = "KS-";
  for (let index = 0; index < 8; index++) code += TRACKING_ALPHABET[randomInt(TRACKING_ALPHABET.length)];
  return code;
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

function encodeCursor(receivedAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([receivedAt.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { receivedAt: Date; id: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === "string" && typeof decoded[1] === "string") {
      const receivedAt = new Date(decoded[0]);
      if (!Number.isNaN(receivedAt.getTime())) return { receivedAt, id: decoded[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError("not a cursor from a previous page");
}
