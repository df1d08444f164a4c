import { UserInputError } from "@situation/platform";
import type { AccessScope } from "./access.js";
import { InvalidCursorError, type Page, type RequestFilter, type ServiceRequestRepository } from "./service-request.repository.js";
import { toServiceRequest, type ServiceRequestConnection } from "./service-request.model.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSizeOf(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new UserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { field: "first" });
  }
  return size;
}

export function toConnection(page: Page): ServiceRequestConnection {
  const nodes = page.requests.map(toServiceRequest);
  return {
    edges: nodes.map((node, index) => ({ node, cursor: page.cursors[index] as string })),
    nodes,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
    totalCount: page.totalCount,
  };
}

/** One page of requests in the caller's scope, as a connection; a foreign cursor is a BAD_USER_INPUT on `after`. */
export async function findConnection(
  requests: ServiceRequestRepository,
  filter: RequestFilter,
  first: number | null | undefined,
  after: string | null | undefined,
  scope: AccessScope,
): Promise<ServiceRequestConnection> {
  const size = pageSizeOf(first);
  try {
    return toConnection(await requests.findPage(filter, { first: size, after: after ?? null }, scope));
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
    }
    throw error;
  }
}
