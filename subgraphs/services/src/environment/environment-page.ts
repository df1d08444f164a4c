/** Cursor pagination shared by the environment queries: opaque cursors over a sort key and `_id`. */
// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { UserInputError } from "@situation/platform";
import { Field, ObjectType } from "type-graphql";

/** A cursor that does not decode; `loadPage` turns it into bad input on `after`. */
export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface Page<T> {
  items: T[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}

// Its own type rather than the outages' OutagePageInfo, so the environment schema reads on its own;
// a shared PageInfo would have to be @shareable in every subgraph.
@ObjectType()
export class EnvironmentPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values), "utf8").toString("base64url");
}

/** The values a cursor carries, checked against their expected kinds ("string", "number", "date" as epoch ms). */
export function decodeCursor(cursor: string, kinds: readonly ("string" | "number" | "date")[]): (string | number | Date)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new InvalidCursorError("not a cursor", { cause: error });
  }
  if (!Array.isArray(values) || values.length !== kinds.length) throw new InvalidCursorError("not a cursor");
  return kinds.map((kind, index) => {
    const value: unknown = values[index];
    if (kind === "string" && typeof value === "string") return value;
    if (kind === "number" && typeof value === "number" && Number.isFinite(value)) return value;
    if (kind === "date" && typeof value === "number" && Number.isFinite(value)) return new Date(value);
    throw new InvalidCursorError("not a cursor");
  });
}

export function checkPageSize(first: number | null | undefined, field = "first"): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new UserInputError(`${field} must be between 1 and ${MAX_PAGE_SIZE}`, { field });
  }
  return size;
}

/** Runs a page query, turning a cursor that does not decode into bad input on `after`. */
export async function loadPage<T>(load: () => Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
    }
    throw error;
  }
}

export function connectionOf<T>(page: Page<T>): {
  edges: { node: T; cursor: string }[];
  nodes: T[];
  pageInfo: EnvironmentPageInfo;
  totalCount: number;
} {
  return {
    edges: page.items.map((node, index) => ({ node, cursor: page.cursors[index] as string })),
    nodes: page.items,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
    totalCount: page.totalCount,
  };
}
