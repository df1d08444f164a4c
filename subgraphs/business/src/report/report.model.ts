/**
 * Operational reports a business files about itself: status, temporary hours, capacity and occupancy,
 * critical goods, incidents, events. Each has a validity window; a report counts in the situation
 * view only while `validFrom <= now < validUntil`, and stays in the history afterwards.
 */
import type { PointGeometry } from "@situation/city-subgraph/seed-data";
import { GeoPoint } from "@situation/subgraph-kit";
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { OpeningHours } from "../business/business.model.js";
import type { OpeningHoursValue } from "../registry/opening-hours.js";

export enum BusinessReportKind {
  STATUS = "status",
  TEMPORARY_HOURS = "temporaryHours",
  OCCUPANCY = "occupancy",
  CRITICAL_GOODS = "criticalGoods",
  INCIDENT = "incident",
  EVENT = "event",
}
registerEnumType(BusinessReportKind, { name: "BusinessReportKind", description: "What an operational report is about" });

export enum BusinessOperatingStatus {
  OPEN = "open",
  CLOSED = "closed",
  LIMITED = "limited",
}
registerEnumType(BusinessOperatingStatus, { name: "BusinessOperatingStatus", description: "Open, closed, or open with limits" });

export enum IncidentSeverity {
  LOW = "low",
  MEDIUM = "medium",
  HIGH = "high",
  CRITICAL = "critical",
}
registerEnumType(IncidentSeverity, { name: "BusinessIncidentSeverity" });

export interface GoodsAvailabilityValue {
  /** e.g. "insulin", "Eurodiesel". */
  item: string;
  available: boolean;
}

export interface IncidentValue {
  /** e.g. "fire", "flood", "power failure". */
  kind: string;
  severity: IncidentSeverity;
  description: string;
}

export interface EventValue {
  title: string;
  startsAt: Date;
  endsAt: Date;
  expectedAttendance: number;
}

/** A report as stored in the `reports` collection. Exactly the payload of its kind is set. */
export interface ReportDocument {
  _id: string;
  businessId: string;
  kind: BusinessReportKind;
  validFrom: Date;
  validUntil: Date;
  /** Where it happens: the business's own location, or (incidents, events) a point near it. */
  location: PointGeometry;
  status?: BusinessOperatingStatus;
  note?: string;
  temporaryHours?: OpeningHoursValue;
  capacity?: number;
  occupancy?: number;
  goods?: GoodsAvailabilityValue[];
  incident?: IncidentValue;
  event?: EventValue;
  /** The identity subject that filed it. */
  reportedBy: string;
  createdAt: Date;
}

@ObjectType({ description: "Whether a critical item is in stock" })
export class GoodsAvailability {
  @Field(() => String)
  item!: string;

  @Field(() => Boolean)
  available!: boolean;
}

@ObjectType()
export class BusinessIncident {
  @Field(() => String)
  kind!: string;

  @Field(() => IncidentSeverity)
  severity!: IncidentSeverity;

  @Field(() => String)
  description!: string;
}

@ObjectType()
export class BusinessEvent {
  @Field(() => String)
  title!: string;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;

  @Field(() => GraphQLISODateTime)
  endsAt!: Date;

  @Field(() => Int)
  expectedAttendance!: number;
}

@ObjectType({ description: "An operational report of a business; only the fields of its kind are set" })
export class BusinessReport {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  businessId!: string;

  @Field(() => BusinessReportKind)
  kind!: BusinessReportKind;

  @Field(() => GraphQLISODateTime)
  validFrom!: Date;

  @Field(() => GraphQLISODateTime, { description: "From this moment the report no longer counts (it stays in the history)" })
  validUntil!: Date;

  @Field(() => Boolean, { description: "Whether it counts now" })
  current!: boolean;

  @Field(() => GeoPoint)
  location!: PointGeometry;

  @Field(() => BusinessOperatingStatus, { nullable: true })
  status!: BusinessOperatingStatus | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => OpeningHours, { nullable: true })
  temporaryHours!: OpeningHoursValue | null;

  @Field(() => Int, { nullable: true })
  capacity!: number | null;

  @Field(() => Int, { nullable: true })
  occupancy!: number | null;

  @Field(() => [GoodsAvailability], { nullable: true })
  goods!: GoodsAvailabilityValue[] | null;

  @Field(() => BusinessIncident, { nullable: true })
  incident!: IncidentValue | null;

  @Field(() => BusinessEvent, { nullable: true })
  event!: EventValue | null;
}

export function toBusinessReport(document: ReportDocument, now: Date): BusinessReport {
  return {
    id: document._id,
    businessId: document.businessId,
    kind: document.kind,
    validFrom: document.validFrom,
    validUntil: document.validUntil,
    current: document.validFrom <= now && now < document.validUntil,
    location: document.location,
    status: document.status ?? null,
    note: document.note ?? null,
    temporaryHours: document.temporaryHours ?? null,
    capacity: document.capacity ?? null,
    occupancy: document.occupancy ?? null,
    goods: document.goods ?? null,
    incident: document.incident ?? null,
    event: document.event ?? null,
  };
}

@ObjectType({ description: "How many businesses in an area report each status now" })
export class BusinessStatusCounts {
  @Field(() => Int)
  open!: number;

  @Field(() => Int)
  closed!: number;

  @Field(() => Int)
  limited!: number;

  @Field(() => Int, { description: "Businesses without a current status report" })
  unreported!: number;
}
