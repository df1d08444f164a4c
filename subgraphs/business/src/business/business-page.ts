/**
 * Cursor pagination of businesses, ordered by id. The cursor is opaque to clients (base64url of the
 * last id seen), so the order can change later without breaking the API's shape.
 */
import { UserInputError } from "@situation/platform";
import type { Business, BusinessConnection } from "./business.model.js";

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./business-page-limits.js";

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

const CURSOR_PREFIX = "business:";

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface BusinessPage {
  businesses: Business[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Checks `first` and `after`; throws `UserInputError` naming the argument. */
export function checkPageRequest(request: PageRequest): { first: number; afterId: string | undefined } {
  const first = request.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new UserInputError(`first must be an integer from 1 to ${MAX_PAGE_SIZE}, not ${first}`, { field: "first" });
  }
  const after = request.after ?? undefined;
  return { first, afterId: after === undefined ? undefined : decodeCursor(after) };
}

export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  if (!decoded.startsWith(CURSOR_PREFIX) || decoded.length === CURSOR_PREFIX.length) {
    throw new UserInputError("after is not a cursor this API returned (use pageInfo.endCursor)", { field: "after" });
  }
  return decoded.slice(CURSOR_PREFIX.length);
}

export function toBusinessConnection(page: BusinessPage): BusinessConnection {
  const edges = page.businesses.map((business) => ({ cursor: encodeCursor(business.id), node: business }));
  return {
    edges,
    nodes: page.businesses,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  };
}
