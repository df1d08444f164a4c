/**
 * Cursor pagination of businesses, ordered by id. The cursor is opaque to clients (base64url of the
 * last id seen), so the order can change later without breaking the API's shape.
 */
import { UserInputError } from "@situation/platform";
import { Kind, type GraphQLResolveInfo, type SelectionNode } from "graphql";
import type { Business, BusinessConnection } from "./business.model.js";

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./business-page-limits.js";

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

const CURSOR_PREFIX = "business:";

export interface PageRequest {
  first?: number | null;
  after?: string | null;
  /**
   * Whether to count every match (default true). Counting reads all matches, where the page reads
   * only its own: resolvers skip it when the client did not select `totalCount`.
   */
  count?: boolean;
}

export interface BusinessPage {
  businesses: Business[];
  hasNextPage: boolean;
  /** How many businesses match on all pages; null when the request said not to count. */
  totalCount: number | null;
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

/**
 * Whether the client's selection on the resolved field asks for `name` directly, through an inline
 * fragment or through a named fragment (a field under @skip still counts: asking too often is safe).
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (selections: readonly SelectionNode[]): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet.selections);
      const fragment = info.fragments[selection.name.value];
      return fragment !== undefined && visit(fragment.selectionSet.selections);
    });
  return info.fieldNodes.some((node) => node.selectionSet !== undefined && visit(node.selectionSet.selections));
}
