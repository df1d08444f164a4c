import { randomUUID } from "node:crypto";
import { findSeedDistrictContaining, parseMultiPolygon, parsePoint, type PointGeometry } from "@situation/city-subgraph/seed-data";
import { NO_CHANGE_EVENTS, UserInputError, type ChangeEventPublisher, type ChangeEventType } from "@situation/platform";
import type { Collection, Db, Filter } from "mongodb";
import { OpeningHoursSyntaxError, parseOpeningHours } from "../registry/opening-hours.js";
import {
  BusinessOperatingStatus,
  BusinessReportKind,
  IncidentSeverity,
  toBusinessReport,
  type BusinessReport,
  type ReportDocument,
} from "./report.model.js";

export const REPORTS_COLLECTION = "reports";

/** Longest validity window of one report: a report must be renewed to keep counting. */
export const MAX_VALIDITY_DAYS = 31;
/** How far from the business's own location an incident or event may be placed. */
export const MAX_REPORT_DISTANCE_METERS = 1_000;

export interface ReportInput {
  kind: BusinessReportKind;
  /** Defaults to now. */
  validFrom?: Date | null;
  validUntil: Date;
  note?: string | null;
  status?: BusinessOperatingStatus | null;
  temporaryHours?: string | null;
  capacity?: number | null;
  occupancy?: number | null;
  goods?: { item: string; available: boolean }[] | null;
  incident?: { kind: string; severity: IncidentSeverity; description: string } | null;
  event?: { title: string; startsAt: Date; endsAt: Date; expectedAttendance: number } | null;
  /** Incidents and events only: where, within MAX_REPORT_DISTANCE_METERS of the business. */
  location?: { longitude: number; latitude: number } | null;
}

/** The payload fields each kind requires; any other payload field is refused. */
const PAYLOAD_OF: Record<BusinessReportKind, readonly (keyof ReportInput)[]> = {
  [BusinessReportKind.STATUS]: ["status"],
  [BusinessReportKind.TEMPORARY_HOURS]: ["temporaryHours"],
  [BusinessReportKind.OCCUPANCY]: ["capacity", "occupancy"],
  [BusinessReportKind.CRITICAL_GOODS]: ["goods"],
  [BusinessReportKind.INCIDENT]: ["incident"],
  [BusinessReportKind.EVENT]: ["event"],
};
const PAYLOAD_FIELDS = ["status", "temporaryHours", "capacity", "occupancy", "goods", "incident", "event"] as const;

/** The kinds a live screen is told about (docs/live-events.md); hours, occupancy and goods are read when shown. */
const EVENT_OF: Partial<Record<BusinessReportKind, ChangeEventType>> = {
  [BusinessReportKind.INCIDENT]: "business.incident",
  [BusinessReportKind.EVENT]: "business.event",
  [BusinessReportKind.STATUS]: "business.status-changed",
};

/** The only code that reads and writes the `reports` collection. */
export class ReportRepository {
  readonly collection: Collection<ReportDocument>;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
    /** Told about incidents, events and status reports once filed; nobody when absent. */
    private readonly events: ChangeEventPublisher = NO_CHANGE_EVENTS,
  ) {
    this.collection = db.collection<ReportDocument>(REPORTS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ businessId: 1, validUntil: 1 }, { name: "businessId_validUntil" });
    await this.collection.createIndex({ location: "2dsphere" }, { name: "location_2dsphere" });
    await this.collection.createIndex({ kind: 1, validUntil: 1 }, { name: "kind_validUntil" });
  }

  /**
   * Files a report for a business (its id and location). Every rule is checked first; a broken one is
   * a `UserInputError` naming the field.
   */
  async file(business: { id: string; location: PointGeometry }, input: ReportInput, reportedBy: string): Promise<BusinessReport> {
    const now = this.now();
    const document: ReportDocument = { _id: `report-${randomUUID()}`, ...checkReport(business, input, now), reportedBy, createdAt: now };
    await this.collection.insertOne(document);
    const type = EVENT_OF[document.kind];
    if (type) {
      // The city's districts as seeded (the same boundaries the services subgraph estimates outages on):
      // this subgraph stores no districts, and a live event must not wait on a call to the city subgraph.
      const district = findSeedDistrictContaining(document.location.coordinates);
      await this.events.publish({ type, id: document._id, districtIds: district ? [district.id] : [], businessId: document.businessId });
    }
    return toBusinessReport(document, now);
  }

  /** A business's reports, newest window first; only the current ones unless `includeExpired`. */
  async findForBusiness(businessId: string, options: { includeExpired?: boolean } = {}): Promise<BusinessReport[]> {
    const now = this.now();
    const filter: Filter<ReportDocument> = options.includeExpired
      ? { businessId }
      : { businessId, validUntil: { $gt: now }, validFrom: { $lte: now } };
    const documents = await this.collection.find(filter).sort({ validFrom: -1, createdAt: -1 }).toArray();
    return documents.map((document) => toBusinessReport(document, now));
  }

  /** Current reports of one kind located inside `boundary` (a GeoJSON MultiPolygon), newest first. */
  async findCurrentWithin(boundary: unknown, kind: BusinessReportKind): Promise<BusinessReport[]> {
    const now = this.now();
    const documents = await this.collection
      .find({ ...this.currentWithin(boundary, now), kind })
      .sort({ validFrom: -1, createdAt: -1 })
      .toArray();
    return documents.map((document) => toBusinessReport(document, now));
  }

  /**
   * The current status of each business that reported one inside `boundary`: its latest current
   * status report. Businesses without one are the caller's `total` minus those counted here.
   */
  async countStatusesWithin(boundary: unknown, total: number): Promise<{ open: number; closed: number; limited: number; unreported: number }> {
    const now = this.now();
    const documents = await this.collection
      .find({ ...this.currentWithin(boundary, now), kind: BusinessReportKind.STATUS }, { projection: { businessId: 1, status: 1 } })
      .sort({ validFrom: -1, createdAt: -1 })
      .toArray();
    const latest = new Map<string, BusinessOperatingStatus>();
    for (const document of documents) if (!latest.has(document.businessId) && document.status) latest.set(document.businessId, document.status);
    const counts = { open: 0, closed: 0, limited: 0 };
    for (const status of latest.values()) counts[status === BusinessOperatingStatus.OPEN ? "open" : status === BusinessOperatingStatus.CLOSED ? "closed" : "limited"]++;
    return { ...counts, unreported: Math.max(0, total - latest.size) };
  }

  private currentWithin(boundary: unknown, now: Date): Filter<ReportDocument> {
    const geometry = parseMultiPolygon(boundary, "boundary");
    return { location: { $geoWithin: { $geometry: geometry } }, validFrom: { $lte: now }, validUntil: { $gt: now } };
  }
}

function checkReport(
  business: { id: string; location: PointGeometry },
  input: ReportInput,
  now: Date,
): Omit<ReportDocument, "_id" | "reportedBy" | "createdAt"> {
  const bad = (field: string, problem: string) => new UserInputError(`report for ${business.id}: ${field} ${problem}`, { field });
  const kind = input.kind;
  const required = PAYLOAD_OF[kind];
  if (required === undefined) throw bad("kind", `must be one of ${Object.values(BusinessReportKind).join(", ")}`);
  for (const field of PAYLOAD_FIELDS) {
    const given = input[field] !== undefined && input[field] !== null;
    if (given && !required.includes(field)) throw bad(field, `is not part of a ${kind} report`);
    if (!given && required.includes(field)) throw bad(field, `is required in a ${kind} report`);
  }
  const validFrom = input.validFrom ?? now;
  const validUntil = input.validUntil;
  if (!(validFrom instanceof Date) || Number.isNaN(validFrom.getTime())) throw bad("validFrom", "must be a date-time");
  if (!(validUntil instanceof Date) || Number.isNaN(validUntil.getTime())) throw bad("validUntil", "must be a date-time");
  if (validUntil <= validFrom) throw bad("validUntil", "must be after validFrom");
  if (validUntil.getTime() - validFrom.getTime() > MAX_VALIDITY_DAYS * 86_400_000) {
    throw bad("validUntil", `must be at most ${MAX_VALIDITY_DAYS} days after validFrom; file a new report to extend it`);
  }
  if (validUntil <= now) throw bad("validUntil", "is already past: the report would never count");

  let location: PointGeometry = business.location;
  if (input.location !== undefined && input.location !== null) {
    if (kind !== BusinessReportKind.INCIDENT && kind !== BusinessReportKind.EVENT) {
      throw bad("location", "may be given for incidents and events only; other reports are at the business's own location");
    }
    location = parsePoint({ type: "Point", coordinates: [input.location.longitude, input.location.latitude] }, "location");
    const distance = distanceMeters(location.coordinates, business.location.coordinates);
    if (distance > MAX_REPORT_DISTANCE_METERS) {
      throw bad("location", `is ${Math.round(distance)} m from the business; reports may be at most ${MAX_REPORT_DISTANCE_METERS} m away`);
    }
  }
  const note = typeof input.note === "string" && input.note.trim() !== "" ? input.note.trim() : undefined;
  const base = { businessId: business.id, kind, validFrom, validUntil, location, ...(note === undefined ? {} : { note }) };
  const text = (value: unknown, field: string): string => {
    if (typeof value !== "string" || value.trim() === "") throw bad(field, "must be a non-empty string");
    return value.trim();
  };

  switch (kind) {
    case BusinessReportKind.STATUS: {
      if (!Object.values(BusinessOperatingStatus).includes(input.status!)) throw bad("status", "must be open, closed or limited");
      return { ...base, status: input.status! };
    }
    case BusinessReportKind.TEMPORARY_HOURS: {
      try {
        return { ...base, temporaryHours: parseOpeningHours(input.temporaryHours!) };
      } catch (error) {
        if (error instanceof OpeningHoursSyntaxError) throw new UserInputError(`report for ${business.id}: temporaryHours: ${error.message}`, { field: "temporaryHours", cause: error });
        throw error;
      }
    }
    case BusinessReportKind.OCCUPANCY: {
      const capacity = input.capacity!;
      const occupancy = input.occupancy!;
      if (!Number.isInteger(capacity) || capacity < 1) throw bad("capacity", `must be a whole number of at least 1, not ${capacity}`);
      if (!Number.isInteger(occupancy) || occupancy < 0) throw bad("occupancy", `must be a whole number of at least 0, not ${occupancy}`);
      if (occupancy > capacity) throw bad("occupancy", `${occupancy} is above the capacity ${capacity}`);
      return { ...base, capacity, occupancy };
    }
    case BusinessReportKind.CRITICAL_GOODS: {
      const goods = input.goods!;
      if (goods.length === 0) throw bad("goods", "must list at least one item");
      const items = goods.map((entry, index) => ({ item: text(entry.item, `goods[${index}].item`), available: entry.available === true }));
      const names = items.map((entry) => entry.item.toLowerCase());
      if (new Set(names).size !== names.length) throw bad("goods", "lists an item twice");
      return { ...base, goods: items };
    }
    case BusinessReportKind.INCIDENT: {
      const incident = input.incident!;
      if (!Object.values(IncidentSeverity).includes(incident.severity)) throw bad("incident.severity", "must be low, medium, high or critical");
      return {
        ...base,
        incident: { kind: text(incident.kind, "incident.kind"), severity: incident.severity, description: text(incident.description, "incident.description") },
      };
    }
    case BusinessReportKind.EVENT: {
      const event = input.event!;
      if (!(event.startsAt instanceof Date) || !(event.endsAt instanceof Date) || event.endsAt <= event.startsAt) {
        throw bad("event.endsAt", "must be after event.startsAt");
      }
      if (!Number.isInteger(event.expectedAttendance) || event.expectedAttendance < 0) {
        throw bad("event.expectedAttendance", `must be a whole number of at least 0, not ${event.expectedAttendance}`);
      }
      return {
        ...base,
        event: { title: text(event.title, "event.title"), startsAt: event.startsAt, endsAt: event.endsAt, expectedAttendance: event.expectedAttendance },
      };
    }
  }
}

/** Great-circle distance in metres (haversine). */
function distanceMeters([lng1, lat1]: readonly number[], [lng2, lat2]: readonly number[]): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(lat2! - lat1!);
  const dLng = radians(lng2! - lng1!);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(radians(lat1!)) * Math.cos(radians(lat2!)) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}
