import { GeoPoint } from "@situation/subgraph-kit";
import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { PointGeometry } from "../geo/geo-json.js";
import { AssigneeInput, AssigneeType, type Assignee } from "../service-catalog/service-catalog.model.js";

export const RequestStatus = {
  RECEIVED: "received",
  ASSIGNED: "assigned",
  IN_PROGRESS: "in-progress",
  WAITING_FOR_CITIZEN: "waiting-for-citizen",
  RESOLVED: "resolved",
  CLOSED: "closed",
  REJECTED: "rejected",
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];
export const REQUEST_STATUSES: readonly RequestStatus[] = Object.freeze(Object.values(RequestStatus));
/** Statuses in which a request still needs work (and may be escalated or linked to as a duplicate). */
export const OPEN_STATUSES: readonly RequestStatus[] = Object.freeze(["received", "assigned", "in-progress", "waiting-for-citizen"]);
/** Statuses from which no escalation is due: the work is done or refused. */
export const DONE_STATUSES: readonly RequestStatus[] = Object.freeze(["resolved", "closed", "rejected"]);

/** The lifecycle (docs/contact-center.md): anything not listed is refused naming both states. */
export const ALLOWED_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = Object.freeze({
  received: ["assigned", "rejected"],
  assigned: ["in-progress", "rejected", "waiting-for-citizen"],
  "in-progress": ["waiting-for-citizen", "resolved", "rejected"],
  "waiting-for-citizen": ["in-progress", "resolved", "rejected"],
  resolved: ["closed", "in-progress"],
  closed: [],
  rejected: [],
});

registerEnumType(RequestStatus, { name: "RequestStatus", description: "Where a request is in its lifecycle" });

export const RequestChannel = {
  PHONE: "phone",
  WEB: "web",
  EMAIL: "email",
  WALK_IN: "walk-in",
  API: "api",
  OPEN311: "open311",
} as const;
export type RequestChannel = (typeof RequestChannel)[keyof typeof RequestChannel];
export const REQUEST_CHANNELS: readonly RequestChannel[] = Object.freeze(Object.values(RequestChannel));
/** Channels a citizen uses alone; the others (phone, e-mail, walk-in) are recorded by staff. */
export const SELF_SERVICE_CHANNELS: readonly RequestChannel[] = Object.freeze(["web", "api", "open311"]);

registerEnumType(RequestChannel, { name: "RequestChannel", description: "How a request reached the city" });

export const AuditKind = {
  RECEIVED: "received",
  STATUS: "status",
  ASSIGNMENT: "assignment",
  ESCALATION: "escalation",
  DUPLICATE_LINK: "duplicate-link",
  /** Fields of an imported request changed in the system it came from (ServiceRequestRepository.importExternal). */
  IMPORT: "import",
} as const;
export type AuditKind = (typeof AuditKind)[keyof typeof AuditKind];

registerEnumType(AuditKind, { name: "AuditKind", description: "What an audit entry records" });

export interface Actor {
  subject: string;
  roles: string[];
}

export interface ContactDetails {
  name?: string;
  email?: string;
  phone?: string;
}

/** A request as stored in the `serviceRequests` collection (docs/contact-center.md). */
export interface ServiceRequestDocument {
  _id: string;
  trackingCode: string;
  categoryCode: string;
  description: string;
  location?: PointGeometry;
  address?: string;
  districtId?: string;
  contact?: ContactDetails;
  attachments: string[];
  channel: RequestChannel;
  status: RequestStatus;
  rejectionReason?: string;
  assignee: Assignee;
  receivedAt: Date;
  firstResponseDueAt: Date;
  resolutionDueAt: Date;
  firstRespondedAt?: Date;
  resolvedAt?: Date;
  closedAt?: Date;
  escalationLevel: number;
  overdue: boolean;
  duplicateOf?: string;
  submittedBy: Actor;
  updatedAt: Date;
  /** Bumped by every change; the audit entry of version n has `_id` `<requestId>:<n>`. */
  version: number;
  /**
   * The request's earliest logged contact (by `at`, then contact `_id`), kept up to date by the contact
   * log (ServiceRequestRepository.recordFirstContacts) so that first-contact resolution is read from the
   * requests instead of re-derived from every contact. Not part of the request's versioned state.
   */
  firstContact?: FirstContact;
  /**
   * Set on a request imported from another system (an Open311 endpoint): its identity there, unique
   * per source, and the hash of what was last imported from it (null until an import has finished),
   * so that a re-import of the same content writes nothing. Provenance, not versioned state.
   */
  external?: ExternalReference;
}

export interface ExternalReference {
  /** The provenance name of the sync source, e.g. `sync:<source id>`. */
  source: string;
  id: string;
  contentHash: string | null;
}

/** A request's first contact, as stored on the request (docs/contact-center.md, "As built: the contact log"). */
export interface FirstContact {
  at: Date;
  contactId: string;
  /** The contact's outcome, as stored in `contacts` ("resolved", "request-created", ...). */
  outcome: string;
}

/** An entry of the `requestAudit` collection: appended, never updated or deleted. */
export interface AuditEntry {
  /** `<requestId>:<version>`: one entry per version of the request, so two writers cannot both claim one. */
  _id: string;
  requestId: string;
  /** The request's version this entry produced. */
  version: number;
  at: Date;
  actor: Actor;
  kind: AuditKind;
  from?: string;
  to?: string;
  comment?: string;
}

@ObjectType({ description: "A citizen's contact details: personal data, shown only to the staff working the request" })
export class ContactDetailsType {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  email?: string;

  @Field(() => String, { nullable: true })
  phone?: string;
}

@ObjectType({ description: "One change of a request: who, when, from, to, and why" })
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => String, { description: "Who made the change (a subject of the identity provider, or system:…)" })
  actor!: string;

  @Field(() => [String])
  actorRoles!: string[];

  @Field(() => AuditKind)
  kind!: AuditKind;

  @Field(() => String, { nullable: true })
  from!: string | null;

  @Field(() => String, { nullable: true })
  to!: string | null;

  @Field(() => String, { nullable: true })
  comment!: string | null;
}

@ObjectType({ description: "A change of a request as the public sees it: no people, no comments" })
export class PublicHistoryEntry {
  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => AuditKind)
  kind!: AuditKind;

  @Field(() => String, { nullable: true })
  from!: string | null;

  @Field(() => String, { nullable: true })
  to!: string | null;
}

@ObjectType({ description: "A citizen's request to the city or a utility, as the staff working it see it" })
export class ServiceRequest {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  trackingCode!: string;

  @Field(() => String)
  categoryCode!: string;

  @Field(() => String)
  description!: string;

  @Field(() => GeoPoint, { nullable: true })
  location!: PointGeometry | null;

  @Field(() => String, { nullable: true })
  address!: string | null;

  @Field(() => ID, { nullable: true, description: "The district containing the location" })
  districtId!: string | null;

  @Field(() => [String])
  attachments!: string[];

  @Field(() => RequestChannel)
  channel!: RequestChannel;

  @Field(() => RequestStatus)
  status!: RequestStatus;

  @Field(() => String, { nullable: true })
  rejectionReason!: string | null;

  @Field(() => AssigneeType)
  assignee!: Assignee;

  @Field(() => GraphQLISODateTime)
  receivedAt!: Date;

  @Field(() => GraphQLISODateTime)
  firstResponseDueAt!: Date;

  @Field(() => GraphQLISODateTime)
  resolutionDueAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  firstRespondedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  closedAt!: Date | null;

  @Field(() => Int, { description: "0: none; 1: escalated to the department head" })
  escalationLevel!: number;

  @Field(() => Boolean, { description: "Escalated to the department head (escalationLevel ≥ 1)" })
  escalated!: boolean;

  @Field(() => Boolean, { description: "Past its resolution time and not yet resolved; flagged for operators" })
  overdue!: boolean;

  @Field(() => ID, { nullable: true, description: "The open request this one was linked to as a duplicate" })
  duplicateOf!: string | null;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;

  /** Kept for the field resolvers (contact, audit); not fields themselves. */
  document!: ServiceRequestDocument;
}

@ObjectType({ description: "What anyone holding a tracking code may see of a request: never anyone's contact details" })
export class TrackedServiceRequest {
  @Field(() => String)
  trackingCode!: string;

  @Field(() => String)
  categoryCode!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String, { nullable: true })
  address!: string | null;

  @Field(() => GeoPoint, { nullable: true })
  location!: PointGeometry | null;

  @Field(() => RequestStatus)
  status!: RequestStatus;

  @Field(() => String, { nullable: true })
  rejectionReason!: string | null;

  @Field(() => ID, { nullable: true })
  districtId!: string | null;

  @Field(() => GraphQLISODateTime)
  receivedAt!: Date;

  @Field(() => GraphQLISODateTime)
  firstResponseDueAt!: Date;

  @Field(() => GraphQLISODateTime)
  resolutionDueAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  closedAt!: Date | null;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;

  @Field(() => Boolean, { description: "Linked to an earlier open request about the same thing" })
  duplicate!: boolean;

  /** Loaded by the history field resolver. */
  requestId!: string;
}

@ObjectType({ description: "The outcome of a submission" })
export class SubmissionResult {
  @Field(() => String, { description: "What the citizen follows the request by (trackServiceRequest)" })
  trackingCode!: string;

  @Field(() => TrackedServiceRequest, { description: "The new request as its submitter may follow it" })
  request!: TrackedServiceRequest;

  @Field(() => ServiceRequest, { nullable: true, description: "The full request; null unless the caller works such requests" })
  serviceRequest!: ServiceRequest | null;

  @Field(() => Boolean, { description: "True when the request was linked to an open one about the same thing nearby" })
  duplicate!: boolean;

  @Field(() => TrackedServiceRequest, { nullable: true, description: "The open request it was linked to (public view)" })
  duplicateOf!: TrackedServiceRequest | null;

  @Field(() => String, { description: "What to tell the citizen" })
  message!: string;
}

@ObjectType()
export class ServiceRequestEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ServiceRequest)
  node!: ServiceRequest;
}

@ObjectType()
export class ServiceRequestPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of requests, newest first" })
export class ServiceRequestConnection {
  @Field(() => [ServiceRequestEdge])
  edges!: ServiceRequestEdge[];

  @Field(() => [ServiceRequest])
  nodes!: ServiceRequest[];

  @Field(() => ServiceRequestPageInfo)
  pageInfo!: ServiceRequestPageInfo;

  @Field(() => Int, { description: "How many requests match, on all pages" })
  totalCount!: number;
}

@InputType()
export class GeoPointInput {
  @Field(() => String, { description: 'Always "Point"' })
  type!: string;

  @Field(() => [Number], { description: "[longitude, latitude]" })
  coordinates!: number[];
}

@InputType()
export class ContactDetailsInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;
}

@InputType()
export class SubmitServiceRequestInput {
  @Field(() => String)
  categoryCode!: string;

  @Field(() => String)
  description!: string;

  @Field(() => GeoPointInput, { nullable: true })
  location?: GeoPointInput | null;

  @Field(() => String, { nullable: true })
  address?: string | null;

  @Field(() => ContactDetailsInput, { nullable: true })
  contact?: ContactDetailsInput | null;

  @Field(() => [String], { nullable: true, defaultValue: [] })
  attachments?: string[] | null;

  @Field(() => RequestChannel)
  channel!: RequestChannel;
}

@InputType()
export class ServiceRequestFilter {
  @Field(() => [RequestStatus], { nullable: true, description: "Any of these statuses" })
  statuses?: RequestStatus[] | null;

  @Field(() => Boolean, { nullable: true, description: "Only open (true) or only finished (false) requests" })
  open?: boolean | null;

  @Field(() => [String], { nullable: true, description: "Any of these categories" })
  categoryCodes?: string[] | null;

  @Field(() => ID, { nullable: true })
  districtId?: string | null;

  @Field(() => AssigneeInput, { nullable: true })
  assignee?: AssigneeInput | null;

  @Field(() => RequestChannel, { nullable: true })
  channel?: RequestChannel | null;

  @Field(() => Boolean, { nullable: true, description: "Only overdue (true) or only not overdue (false) requests" })
  overdue?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Only escalated (true) or only not escalated (false) requests" })
  escalated?: boolean | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Received at or after" })
  receivedFrom?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Received before" })
  receivedTo?: Date | null;
}

export function toServiceRequest(document: ServiceRequestDocument): ServiceRequest {
  return {
    id: document._id,
    trackingCode: document.trackingCode,
    categoryCode: document.categoryCode,
    description: document.description,
    location: document.location ?? null,
    address: document.address ?? null,
    districtId: document.districtId ?? null,
    attachments: document.attachments,
    channel: document.channel,
    status: document.status,
    rejectionReason: document.rejectionReason ?? null,
    assignee: document.assignee,
    receivedAt: document.receivedAt,
    firstResponseDueAt: document.firstResponseDueAt,
    resolutionDueAt: document.resolutionDueAt,
    firstRespondedAt: document.firstRespondedAt ?? null,
    resolvedAt: document.resolvedAt ?? null,
    closedAt: document.closedAt ?? null,
    escalationLevel: document.escalationLevel,
    escalated: document.escalationLevel >= 1,
    overdue: document.overdue,
    duplicateOf: document.duplicateOf ?? null,
    updatedAt: document.updatedAt,
    document,
  };
}

export function toTrackedServiceRequest(document: ServiceRequestDocument): TrackedServiceRequest {
  return {
    trackingCode: document.trackingCode,
    categoryCode: document.categoryCode,
    description: document.description,
    address: document.address ?? null,
    location: document.location ?? null,
    status: document.status,
    rejectionReason: document.rejectionReason ?? null,
    districtId: document.districtId ?? null,
    receivedAt: document.receivedAt,
    firstResponseDueAt: document.firstResponseDueAt,
    resolutionDueAt: document.resolutionDueAt,
    resolvedAt: document.resolvedAt ?? null,
    closedAt: document.closedAt ?? null,
    updatedAt: document.updatedAt,
    duplicate: document.duplicateOf !== undefined,
    requestId: document._id,
  };
}

export { AssigneeInput };
