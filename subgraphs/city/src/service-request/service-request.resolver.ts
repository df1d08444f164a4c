import { ForbiddenError, NotFoundError, UserInputError, type Identity } from "@situation/platform";
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { CityContext } from "../context.js";
import { District } from "../district/district.model.js";
import { AssigneeInput, ServiceCategory, toServiceCategory } from "../service-catalog/service-catalog.model.js";
import { canWork, scopeOf } from "./access.js";
import { findConnection } from "./pagination.js";
import {
  AuditEntryType,
  ContactDetailsType,
  DONE_STATUSES,
  PublicHistoryEntry,
  RequestStatus,
  SELF_SERVICE_CHANNELS,
  ServiceRequest,
  ServiceRequestConnection,
  ServiceRequestFilter,
  SubmissionResult,
  SubmitServiceRequestInput,
  TrackedServiceRequest,
  toServiceRequest,
  toTrackedServiceRequest,
  type Actor,
  type ServiceRequestDocument,
} from "./service-request.model.js";
import { describeAssignee } from "./service-request.repository.js";

/** The roles that work requests; each sees only its scope (access.ts). */
const WORKING_ROLES = ["operator", "city-staff", "provider"] as const;
/** Staff record requests from every channel; everyone else files through a self-service one. */
const STAFF_ROLES = new Set(["operator", "city-staff", "admin"]);

@Resolver(() => ServiceRequest)
export class ServiceRequestResolver {
  @Authorized(...WORKING_ROLES)
  @Query(() => ServiceRequest, { nullable: true, description: "One request in the caller's scope; null if none or not visible" })
  async serviceRequest(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<ServiceRequest | null> {
    const document = await context.serviceRequests.findById(id);
    return document && canWork(context.identity, document.assignee) ? toServiceRequest(document) : null;
  }

  @Authorized(...WORKING_ROLES)
  @Query(() => ServiceRequestConnection, { description: "Requests in the caller's scope, newest first, paginated by cursor" })
  async serviceRequests(
    @Arg("filter", () => ServiceRequestFilter, { nullable: true }) filter: ServiceRequestFilter | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceRequestConnection> {
    return findConnection(context.serviceRequests, filter ?? {}, first, after, scopeOf(context.identity));
  }

  // Public: whoever holds the code sees the request's public view, never contact details.
  @Query(() => TrackedServiceRequest, { nullable: true, description: "A request by its tracking code; null if there is none" })
  async trackServiceRequest(
    @Arg("trackingCode", () => String) trackingCode: string,
    @Ctx() context: CityContext,
  ): Promise<TrackedServiceRequest | null> {
    const document = await context.serviceRequests.findByTrackingCode(trackingCode);
    return document ? toTrackedServiceRequest(document) : null;
  }

  @Mutation(() => SubmissionResult, { description: "Files a request from any channel; anonymous callers use web, api or open311" })
  async submitServiceRequest(
    @Arg("input", () => SubmitServiceRequestInput) input: SubmitServiceRequestInput,
    @Ctx() context: CityContext,
  ): Promise<SubmissionResult> {
    const isStaff = context.identity.roles.some((role) => STAFF_ROLES.has(role));
    if (!isStaff && !SELF_SERVICE_CHANNELS.includes(input.channel)) {
      throw new UserInputError(`channel: ${input.channel} is recorded by staff; submit through ${SELF_SERVICE_CHANNELS.join(", ")}`, {
        field: "channel",
      });
    }
    const { request, duplicateOf } = await context.serviceRequests.submit(
      {
        categoryCode: input.categoryCode,
        description: input.description,
        location: input.location ?? undefined,
        address: input.address ?? null,
        contact: input.contact ?? null,
        attachments: input.attachments ?? [],
        channel: input.channel,
      },
      actorOf(context.identity),
    );
    await armEscalation(context, request);
    context.logger.info(
      { requestId: request._id, category: request.categoryCode, assignee: describeAssignee(request.assignee), duplicateOf: duplicateOf?._id },
      "service request received",
    );
    return {
      trackingCode: request.trackingCode,
      request: toTrackedServiceRequest(request),
      serviceRequest: canWork(context.identity, request.assignee) ? toServiceRequest(request) : null,
      duplicate: duplicateOf !== undefined,
      duplicateOf: duplicateOf ? toTrackedServiceRequest(duplicateOf) : null,
      message: duplicateOf
        ? `Received as ${request.trackingCode} and linked to ${duplicateOf.trackingCode}, an open request of the same kind nearby; both are followed together.`
        : `Received as ${request.trackingCode}; follow it by this code.`,
    };
  }

  @Authorized(...WORKING_ROLES)
  @Mutation(() => ServiceRequest, { description: "Moves a request along its lifecycle; a rejection needs a reason" })
  async transitionServiceRequest(
    @Arg("id", () => ID) id: string,
    @Arg("to", () => RequestStatus) to: RequestStatus,
    @Arg("comment", () => String, { nullable: true }) comment: string | null,
    @Arg("rejectionReason", () => String, { nullable: true }) rejectionReason: string | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceRequest> {
    const before = await this.workable(id, context);
    // Checked again when the change is decided: the request may have been reassigned meanwhile.
    const updated = await context.serviceRequests.transition(id, to, actorOf(context.identity), {
      comment,
      rejectionReason,
      authorize: (current) => requireWorkable(context.identity, current),
    });
    if (DONE_STATUSES.includes(updated.status)) {
      await safely(context, "cancel", id, () => context.escalations.cancel(id));
    } else if (before.status === "resolved") {
      // Reopened: the escalation is due again (at once, if its time has passed).
      await armEscalation(context, updated);
    }
    return toServiceRequest(updated);
  }

  @Authorized("operator", "city-staff")
  @Mutation(() => ServiceRequest, { description: "Hands a request to another provider or department; the audit keeps who had it" })
  async reassignServiceRequest(
    @Arg("id", () => ID) id: string,
    @Arg("assignee", () => AssigneeInput) assignee: AssigneeInput,
    @Arg("comment", () => String, { nullable: true }) comment: string | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceRequest> {
    await this.workable(id, context);
    const updated = await context.serviceRequests.reassign(id, assignee, actorOf(context.identity), comment, undefined, (current) =>
      requireWorkable(context.identity, current),
    );
    return toServiceRequest(updated);
  }

  @FieldResolver(() => ContactDetailsType, { nullable: true, description: "Personal data: null unless the caller works this request" })
  contact(@Root() request: ServiceRequest, @Ctx() context: CityContext): ContactDetailsType | null {
    const contact = request.document.contact;
    return contact && canWork(context.identity, request.assignee) ? { ...contact } : null;
  }

  @FieldResolver(() => [AuditEntryType], { description: "Every change, oldest first; append-only" })
  async auditTrail(@Root() request: ServiceRequest, @Ctx() context: CityContext): Promise<AuditEntryType[]> {
    if (!canWork(context.identity, request.assignee)) return [];
    const entries = await context.serviceRequests.auditTrail(request.id);
    return entries.map((entry) => ({
      id: entry._id,
      at: entry.at,
      actor: entry.actor.subject,
      actorRoles: entry.actor.roles,
      kind: entry.kind,
      from: entry.from ?? null,
      to: entry.to ?? null,
      comment: entry.comment ?? null,
    }));
  }

  @FieldResolver(() => ServiceCategory, { nullable: true })
  async category(@Root() request: ServiceRequest, @Ctx() context: CityContext): Promise<ServiceCategory | null> {
    const category = await context.serviceCategories.findByCode(request.categoryCode);
    return category ? toServiceCategory(category) : null;
  }

  @FieldResolver(() => District, { nullable: true, description: "The district containing the location" })
  async district(@Root() request: ServiceRequest, @Ctx() context: CityContext): Promise<District | null> {
    return request.districtId ? context.districts.findById(request.districtId) : null;
  }

  /** The request, if it exists and the caller may work it: NOT_FOUND, else FORBIDDEN. */
  private async workable(id: string, context: CityContext): Promise<ServiceRequestDocument> {
    const document = await context.serviceRequests.findById(id);
    if (!document) throw new NotFoundError(`no service request ${JSON.stringify(id)}`);
    requireWorkable(context.identity, document);
    return document;
  }
}

@Resolver(() => TrackedServiceRequest)
export class TrackedServiceRequestResolver {
  @FieldResolver(() => [PublicHistoryEntry], { description: "The request's changes: when and what, never who or why" })
  async history(@Root() tracked: TrackedServiceRequest, @Ctx() context: CityContext): Promise<PublicHistoryEntry[]> {
    const entries = await context.serviceRequests.auditTrail(tracked.requestId);
    return entries.map((entry) => ({
      at: entry.at,
      kind: entry.kind,
      // A duplicate link names another request by its internal id: not the public's business.
      from: entry.kind === "duplicate-link" ? null : (entry.from ?? null),
      to: entry.kind === "duplicate-link" ? null : (entry.to ?? null),
    }));
  }

  @FieldResolver(() => ServiceCategory, { nullable: true })
  async category(@Root() tracked: TrackedServiceRequest, @Ctx() context: CityContext): Promise<ServiceCategory | null> {
    const category = await context.serviceCategories.findByCode(tracked.categoryCode);
    return category ? toServiceCategory(category) : null;
  }
}

function requireWorkable(identity: Identity, document: ServiceRequestDocument): void {
  if (!canWork(identity, document.assignee)) {
    throw new ForbiddenError(`service request ${document._id} is assigned to ${describeAssignee(document.assignee)}, not to you`);
  }
}

export function actorOf(identity: Identity): Actor {
  return { subject: identity.subject, roles: [...identity.roles] };
}

async function armEscalation(context: CityContext, request: ServiceRequestDocument): Promise<void> {
  await safely(context, "schedule", request._id, () => context.escalations.schedule(request._id, request.resolutionDueAt));
}

/**
 * The request is already stored: a scheduler failure must not turn a done change into an error.
 * It is logged; the escalation sweeper finds overdue requests whose job was lost.
 */
async function safely(context: CityContext, action: string, requestId: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    context.logger.error({ err: error, requestId, action }, "escalation scheduler failed; the sweeper covers it");
  }
}
