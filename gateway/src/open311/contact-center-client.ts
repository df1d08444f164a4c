/**
 * The contact center's GraphQL operations (docs/contact-center.md) that Open311 maps onto, run by an
 * executor: in the gateway, its own Apollo Server with the caller's identity; in unit tests, a stub.
 * The documents and the shapes they return live here and nowhere else, so a change of the contract
 * is a change of this file.
 */
import type { Identity, Logger } from "@situation/platform";
import { open311ErrorOfGraphQL, type GraphQLErrorLike } from "./open311-error.js";

export interface GraphQLOperation {
  operationName: string;
  query: string;
  variables?: Record<string, unknown>;
}

export interface GraphQLResultLike {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLErrorLike[];
}

export interface Caller {
  identity: Identity;
  requestId: string;
  logger: Logger;
}

export type GraphQLExecutor = (operation: GraphQLOperation, caller: Caller) => Promise<GraphQLResultLike>;

export interface CategoryView {
  code: string;
  nameCyrillic: string;
  nameLatin: string;
  responsible: { kind: string; id: string };
  slaFirstResponseHours: number;
  slaResolutionHours: number;
  requiredFields: string[];
  active: boolean;
}

/**
 * A request as the caller may see it, never with contact details: `trackServiceRequest`'s public view
 * (status, category, timestamps) or, for callers who work requests, `serviceRequests`' fuller one.
 */
export interface RequestView {
  trackingCode: string;
  categoryCode: string;
  /** A `RequestStatus` enum value as GraphQL writes it, e.g. `IN_PROGRESS`. */
  status: string;
  rejectionReason?: string | null;
  receivedAt: string;
  resolutionDueAt?: string | null;
  resolvedAt?: string | null;
  closedAt?: string | null;
  updatedAt?: string | null;
  /** The public history's changes (when and what, never who). */
  history?: { at: string }[] | null;
  description?: string | null;
  address?: string | null;
  location?: { coordinates: number[] } | null;
  attachments?: string[] | null;
  assignee?: { kind: string; id: string } | null;
}

export interface SubmissionInput {
  categoryCode: string;
  description: string;
  location?: { type: "Point"; coordinates: [number, number] };
  address?: string;
  contact?: { name?: string; email?: string; phone?: string };
  attachments: string[];
  channel: string;
}

export interface SubmissionView {
  trackingCode: string;
  duplicateOfTrackingCode?: string;
  /** What to tell the citizen, written by the contact center. */
  message: string;
}

export interface RequestQuery {
  categoryCodes?: string[];
  /** Only open (true) or only finished (false) requests, in the contract's own sense. */
  open?: boolean;
  /** Received at or after. */
  from?: Date;
  /** Received at or before. */
  to?: Date;
}

const CATEGORY_FIELDS = "code nameCyrillic nameLatin responsible { kind id } slaFirstResponseHours slaResolutionHours requiredFields active";

// TrackedServiceRequest: what anyone holding a tracking code may see.
const TRACKED_FIELDS = "trackingCode categoryCode status rejectionReason receivedAt resolutionDueAt resolvedAt closedAt history { at }";

// ServiceRequest, for callers who work requests: everything Open311 shows except contact details,
// which are never asked for.
const REQUEST_FIELDS =
  "trackingCode categoryCode status rejectionReason receivedAt resolutionDueAt resolvedAt closedAt updatedAt description address location { coordinates } attachments assignee { kind id }";

/**
 * GraphQL names the contract's enum values by their keys (type-graphql's registerEnumType):
 * `open311` is `OPEN311`, `in-progress` is `IN_PROGRESS`.
 */
export function graphQLEnumValue(value: string): string {
  return value.toUpperCase().replaceAll("-", "_");
}

export const OPEN311_CHANNEL = graphQLEnumValue("open311");

/** One page of `serviceRequests`; the Open311 answer collects pages up to its cap. */
const PAGE_SIZE = 100;

export class ContactCenterClient {
  constructor(
    private readonly execute: GraphQLExecutor,
    private readonly caller: Caller,
  ) {}

  get isAnonymous(): boolean {
    return this.caller.identity.roles.length === 0;
  }

  async categories(): Promise<CategoryView[]> {
    const data = await this.run<{ serviceCategories: CategoryView[] }>({
      operationName: "Open311Services",
      query: `query Open311Services { serviceCategories { ${CATEGORY_FIELDS} } }`,
    });
    return data.serviceCategories;
  }

  async category(code: string): Promise<CategoryView | undefined> {
    const data = await this.run<{ serviceCategory: CategoryView | null }>({
      operationName: "Open311Service",
      query: `query Open311Service($code: ID!) { serviceCategory(code: $code) { ${CATEGORY_FIELDS} } }`,
      variables: { code },
    });
    return data.serviceCategory ?? undefined;
  }

  async submit(input: SubmissionInput): Promise<SubmissionView> {
    const data = await this.run<{
      submitServiceRequest: { trackingCode: string; duplicateOf?: { trackingCode: string } | null; message: string };
    }>({
      operationName: "Open311Submit",
      query: `mutation Open311Submit($input: SubmitServiceRequestInput!) {
        submitServiceRequest(input: $input) { trackingCode duplicateOf { trackingCode } message }
      }`,
      variables: { input },
    });
    const { trackingCode, duplicateOf, message } = data.submitServiceRequest;
    return { trackingCode, message, ...(duplicateOf ? { duplicateOfTrackingCode: duplicateOf.trackingCode } : {}) };
  }

  async track(trackingCode: string): Promise<RequestView | undefined> {
    const data = await this.run<{ trackServiceRequest: RequestView | null }>({
      operationName: "Open311Track",
      query: `query Open311Track($trackingCode: String!) { trackServiceRequest(trackingCode: $trackingCode) { ${TRACKED_FIELDS} } }`,
      variables: { trackingCode },
    });
    return data.trackServiceRequest ?? undefined;
  }

  /** The caller's requests (the city subgraph scopes them), newest first, up to `limit`. */
  async requests(query: RequestQuery, limit: number): Promise<RequestView[]> {
    const filter = {
      ...(query.categoryCodes === undefined ? {} : { categoryCodes: query.categoryCodes }),
      ...(query.open === undefined ? {} : { open: query.open }),
      ...(query.from === undefined ? {} : { receivedFrom: query.from.toISOString() }),
      // The filter's end is exclusive, Open311's end_date inclusive.
      ...(query.to === undefined ? {} : { receivedTo: new Date(query.to.getTime() + 1).toISOString() }),
    };
    const found: RequestView[] = [];
    let after: string | undefined;
    for (;;) {
      const data = await this.run<{
        serviceRequests: { nodes: RequestView[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } };
      }>({
        operationName: "Open311Requests",
        query: `query Open311Requests($filter: ServiceRequestFilter, $first: Int, $after: String) {
          serviceRequests(filter: $filter, first: $first, after: $after) {
            nodes { ${REQUEST_FIELDS} }
            pageInfo { hasNextPage endCursor }
          }
        }`,
        variables: { filter, first: Math.min(PAGE_SIZE, limit - found.length), ...(after === undefined ? {} : { after }) },
      });
      const page = data.serviceRequests;
      found.push(...page.nodes);
      if (found.length >= limit) return found.slice(0, limit);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return found;
      after = page.pageInfo.endCursor;
    }
  }

  private async run<TData>(operation: GraphQLOperation): Promise<TData> {
    const result = await this.execute(operation, this.caller);
    if (result.errors !== undefined && result.errors.length > 0) {
      const error = open311ErrorOfGraphQL(result.errors);
      // Our own failure (a bug, or a document that no longer fits the schema): the handler masks it
      // with the request id and logs what the gateway said.
      if (error.status === 500) {
        throw new Error(`${operation.operationName} failed: ${result.errors.map((entry) => entry.message).join("; ")}`, { cause: error });
      }
      throw error;
    }
    if (result.data === undefined || result.data === null) {
      throw new Error(`${operation.operationName} answered neither data nor errors`);
    }
    return result.data as TData;
  }
}
