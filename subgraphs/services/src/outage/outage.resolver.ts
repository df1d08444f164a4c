import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Provider } from "../provider/provider.model.js";
import { providerLoader } from "../provider/provider-loader.js";
import { requireId } from "../provider/provider.resolver.js";
import { Outage, OutageConnection, OutageStatus } from "./outage.model.js";
import { InvalidCursorError, type ActiveOutageQuery, type OutagePage } from "./outage.repository.js";
import { ActiveOutagesFilter, OutageBatchResult, OutageInput, OutageUpdateInput } from "./outage.input.js";
import {
  checkArea,
  createOutage,
  MAX_BATCH_ITEMS,
  updateOutage,
  upsertOutages,
  type Problem,
  type PushDependencies,
} from "./outage-push.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_NEAR_METERS = 50_000;

@Resolver(() => Outage)
export class OutageResolver {
  @Query(() => OutageConnection, { description: "Outages, newest start first, paginated by cursor" })
  async outages(
    @Arg("status", () => OutageStatus, { nullable: true }) status: OutageStatus | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<OutageConnection> {
    const pageSize = checkPageSize(first);
    return connection(() => context.outages.findPage({ status: status ?? null, first: pageSize, after: after ?? null }));
  }

  @Query(() => OutageConnection, {
    description:
      "Active outages for operators (announced and not ended, or active now; or, given from/to, those overlapping the window), by district, area, point, kind or provider; newest start first",
  })
  async activeOutages(
    @Arg("filter", () => ActiveOutagesFilter, { nullable: true }) filter: ActiveOutagesFilter | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<OutageConnection> {
    const pageSize = checkPageSize(first);
    const query = activeOutageQuery(filter ?? {});
    return connection(() => context.outages.findActivePage(query, pageSize, after ?? null));
  }

  @Query(() => Outage, { nullable: true })
  async outage(@Arg("id", () => ID) id: string, @Ctx() context: ServicesContext): Promise<Outage | null> {
    return context.outages.findById(requireId(id, "id"));
  }

  @Authorized("provider", "operator")
  @Mutation(() => Outage, {
    description: "Creates an outage; a provider only for itself, operators and admins for any provider",
  })
  async createOutage(@Arg("input", () => OutageInput) input: OutageInput, @Ctx() context: ServicesContext): Promise<Outage> {
    return createOutage(pushDependencies(context), input);
  }

  @Authorized("provider", "operator")
  @Mutation(() => Outage, {
    description: "Changes an outage and adds an entry to its timeline; a provider only its own outages",
  })
  async updateOutage(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => OutageUpdateInput) input: OutageUpdateInput,
    @Ctx() context: ServicesContext,
  ): Promise<Outage> {
    return updateOutage(pushDependencies(context), requireId(id, "id"), input);
  }

  @Authorized("provider", "operator")
  @Mutation(() => OutageBatchResult, {
    description: `Creates or updates (by the provider's externalId) up to ${MAX_BATCH_ITEMS} outages; reports per item what was accepted and why the rest was not`,
  })
  async upsertOutages(
    @Arg("items", () => [OutageInput]) items: OutageInput[],
    @Ctx() context: ServicesContext,
  ): Promise<OutageBatchResult> {
    const outcomes = await upsertOutages(pushDependencies(context), items);
    const acceptedCount = outcomes.filter((outcome) => outcome.accepted).length;
    return { acceptedCount, rejectedCount: outcomes.length - acceptedCount, items: outcomes };
  }

  @FieldResolver(() => Provider, { nullable: true, description: "Null only if the provider was removed" })
  async provider(@Root() outage: Outage, @Ctx() context: ServicesContext): Promise<Provider | null> {
    return providerLoader(context).load(outage.providerId);
  }
}

function pushDependencies(context: ServicesContext): PushDependencies {
  return { identity: context.identity, providers: context.providers, outages: context.outages, city: context.outages.city };
}

function checkPageSize(first: number | null | undefined): number {
  const pageSize = first ?? DEFAULT_PAGE_SIZE;
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new UserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { field: "first" });
  }
  return pageSize;
}

async function connection(load: () => Promise<OutagePage>): Promise<OutageConnection> {
  let page: OutagePage;
  try {
    page = await load();
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

/** Checks an operator's filter, throwing the first problem against its field (`filter.<name>`). */
function activeOutageQuery(filter: ActiveOutagesFilter): ActiveOutageQuery {
  const problems: Problem[] = [];
  const query: ActiveOutageQuery = {
    districtId: filter.districtId == null ? null : requireId(filter.districtId, "filter.districtId"),
    providerId: filter.providerId == null ? null : requireId(filter.providerId, "filter.providerId"),
    kind: filter.kind ?? null,
    from: filter.from ?? null,
    to: filter.to ?? null,
    area: filter.area == null ? null : (checkArea(filter.area, "filter.area", null, problems) ?? null),
  };
  if (query.from && query.to && !(query.to > query.from)) problems.push({ field: "filter.to", message: "must be after from" });
  if (filter.near) {
    const { longitude, latitude, radiusMeters } = filter.near;
    if (!(longitude >= -180 && longitude <= 180)) problems.push({ field: "filter.near.longitude", message: "must be within -180…180" });
    if (!(latitude >= -90 && latitude <= 90)) problems.push({ field: "filter.near.latitude", message: "must be within -90…90" });
    if (!(radiusMeters > 0 && radiusMeters <= MAX_NEAR_METERS)) {
      problems.push({ field: "filter.near.radiusMeters", message: `must be more than 0 and at most ${MAX_NEAR_METERS}` });
    }
    query.near = { longitude, latitude, radiusMeters };
  }
  const problem = problems[0];
  if (problem) throw new UserInputError(`${problem.field}: ${problem.message}`, { field: problem.field });
  return query;
}
