import { UserInputError } from "@situation/platform";
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Provider } from "../provider/provider.model.js";
import { requireId } from "../provider/provider.resolver.js";
import { Outage, OutageConnection, OutageStatus } from "./outage.model.js";
import { InvalidCursorError } from "./outage.repository.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@Resolver(() => Outage)
export class OutageResolver {
  @Query(() => OutageConnection, { description: "Outages, newest start first, paginated by cursor" })
  async outages(
    @Arg("status", () => OutageStatus, { nullable: true }) status: OutageStatus | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<OutageConnection> {
    const pageSize = first ?? DEFAULT_PAGE_SIZE;
    if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new UserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { field: "first" });
    }
    let page;
    try {
      page = await context.outages.findPage({ status: status ?? null, first: pageSize, after: after ?? null });
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
      }
      throw error;
    }
    return {
      edges: page.outages.map((node, index) => ({ node, cursor: page.cursors[index] as string })),
      nodes: page.outages,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
      totalCount: page.totalCount,
    };
  }

  @Query(() => Outage, { nullable: true })
  async outage(@Arg("id", () => ID) id: string, @Ctx() context: ServicesContext): Promise<Outage | null> {
    return context.outages.findById(requireId(id, "id"));
  }

  @FieldResolver(() => Provider, { nullable: true, description: "Null only if the provider was removed" })
  async provider(@Root() outage: Outage, @Ctx() context: ServicesContext): Promise<Provider | null> {
    return context.providers.findById(outage.providerId);
  }
}
