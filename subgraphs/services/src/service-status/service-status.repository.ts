import { randomUUID } from "node:crypto";
import type { Collection, Db, Filter } from "mongodb";
import {
  toServiceStatus,
  type ServiceStatus,
  type ServiceStatusDocument,
  type ServiceStatusLevel,
} from "./service-status.model.js";

/** How many changes each service keeps; older ones fall off, so one document never grows without bound. */
export const MAX_HISTORY = 1_000;

export interface ServiceStatusChangeRequest {
  providerId: string;
  service: string;
  status: ServiceStatusLevel;
  note: string | null;
  by: string;
}

export interface ServiceStatusPageRequest {
  providerId?: string | null;
  status?: ServiceStatusLevel | null;
  first: number;
  after?: string | null;
}

export interface ServiceStatusPage {
  statuses: ServiceStatus[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}

/** A board cursor that does not decode; the resolver reports it against `after`. */
export class InvalidBoardCursorError extends Error {
  override readonly name = "InvalidBoardCursorError";
}

/** The only code that reads and writes the `serviceStatuses` collection. */
export class ServiceStatusRepository {
  readonly collection: Collection<ServiceStatusDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<ServiceStatusDocument>("serviceStatuses");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.collection.createIndex({ providerId: 1, service: 1 }, { unique: true, name: "provider_service_unique" }),
      this.collection.createIndex({ status: 1, providerId: 1, service: 1 }),
    ]);
  }

  async find(providerId: string, service: string): Promise<ServiceStatus | null> {
    const document = await this.collection.findOne({ providerId, service });
    return document ? toServiceStatus(document) : null;
  }

  /**
   * Sets a service's status and appends the change to its history in one write. `since` moves only
   * when the status changes. (Read, then write: two providers' keys setting the same service in the
   * same instant could misdate `since`; the history keeps both.)
   */
  async set(request: ServiceStatusChangeRequest): Promise<ServiceStatus> {
    const at = this.now();
    const current = await this.collection.findOne({ providerId: request.providerId, service: request.service }, { projection: { status: 1, since: 1 } });
    const since = current && current.status === request.status ? current.since : at;
    const updated = await this.collection.findOneAndUpdate(
      { providerId: request.providerId, service: request.service },
      {
        $set: { status: request.status, note: request.note, since, updatedAt: at },
        $setOnInsert: { _id: randomUUID() },
        $push: { history: { $each: [{ at, status: request.status, note: request.note, by: request.by }], $slice: -MAX_HISTORY } },
      },
      { upsert: true, returnDocument: "after" },
    );
    if (!updated) throw new Error(`service status ${request.providerId}/${request.service} was not written`);
    return toServiceStatus(updated);
  }

  /** The board by provider and service, `first` at a time after the cursor. */
  async findPage(request: ServiceStatusPageRequest): Promise<ServiceStatusPage> {
    const filter: Filter<ServiceStatusDocument> = {};
    if (request.providerId) filter.providerId = request.providerId;
    if (request.status) filter.status = request.status;
    const conditions: Filter<ServiceStatusDocument>[] = [filter];
    if (request.after) {
      const [providerId, service] = decodeCursor(request.after);
      conditions.push({ $or: [{ providerId: { $gt: providerId } }, { providerId, service: { $gt: service } }] });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find(conditions.length === 1 ? filter : { $and: conditions }, { projection: { history: { $slice: -100 } } })
        .sort({ providerId: 1, service: 1 })
        .limit(request.first + 1)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    const page = documents.slice(0, request.first);
    return {
      statuses: page.map(toServiceStatus),
      cursors: page.map((document) => Buffer.from(JSON.stringify([document.providerId, document.service])).toString("base64url")),
      hasNextPage: documents.length > request.first,
      totalCount,
    };
  }
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 2 && decoded.every((part) => typeof part === "string")) {
      return decoded as [string, string];
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidBoardCursorError("not a cursor from a previous page");
}
