import { ForbiddenError, UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Provider } from "../provider/provider.model.js";
import { mayActFor } from "../provider/provider-scope.js";
import { requireId } from "../provider/provider.resolver.js";
import { ServiceStatus, ServiceStatusChange, ServiceStatusConnection, ServiceStatusLevel } from "./service-status.model.js";
import { InvalidBoardCursorError } from "./service-status.repository.js";

const MAX_BOARD_PAGE = 200;
const MAX_HISTORY_PAGE = 100;
const MAX_SERVICE_NAME = 100;
const MAX_NOTE = 2_000;

@Resolver(() => ServiceStatus)
export class ServiceStatusResolver {
  @Authorized("provider", "operator")
  @Mutation(() => ServiceStatus, {
    description: "Sets the status of one of a provider's services and keeps the change in its history; a provider only for itself",
  })
  async setServiceStatus(
    @Arg("providerId", () => ID) providerId: string,
    @Arg("service", () => String, { description: "The provider's name for the service, e.g. a network or a line" }) service: string,
    @Arg("status", () => ServiceStatusLevel) status: ServiceStatusLevel,
    @Arg("note", () => String, { nullable: true }) note: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<ServiceStatus> {
    const id = requireId(providerId, "providerId");
    if (!mayActFor(context.identity, id)) throw new ForbiddenError(`not allowed to set the status of provider ${id}`);
    const name = service.trim().replace(/\s+/g, " ");
    if (name === "" || name.length > MAX_SERVICE_NAME) {
      throw new UserInputError(`service must be a non-empty name of at most ${MAX_SERVICE_NAME} characters`, { field: "service" });
    }
    const text = note?.trim() ?? "";
    if (text.length > MAX_NOTE) throw new UserInputError(`note must be at most ${MAX_NOTE} characters`, { field: "note" });
    if (!(await context.providers.findById(id))) {
      throw new UserInputError(`providerId: unknown provider ${JSON.stringify(id)}`, { field: "providerId" });
    }
    return context.serviceStatuses.set({ providerId: id, service: name, status, note: text === "" ? null : text, by: context.identity.subject });
  }

  @Query(() => ServiceStatusConnection, { description: "The service status board, by provider and service, paginated by cursor" })
  async serviceStatusBoard(
    @Arg("providerId", () => ID, { nullable: true }) providerId: string | null | undefined,
    @Arg("status", () => ServiceStatusLevel, { nullable: true }) status: ServiceStatusLevel | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<ServiceStatusConnection> {
    const pageSize = first ?? 50;
    if (pageSize < 1 || pageSize > MAX_BOARD_PAGE) {
      throw new UserInputError(`first must be between 1 and ${MAX_BOARD_PAGE}`, { field: "first" });
    }
    let page;
    try {
      page = await context.serviceStatuses.findPage({
        providerId: providerId == null ? null : requireId(providerId, "providerId"),
        status: status ?? null,
        first: pageSize,
        after: after ?? null,
      });
    } catch (error) {
      if (error instanceof InvalidBoardCursorError) {
        throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
      }
      throw error;
    }
    return {
      edges: page.statuses.map((node, index) => ({ node, cursor: page.cursors[index] as string })),
      nodes: page.statuses,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => [ServiceStatusChange], { description: "The newest changes, newest first" })
  history(
    @Root() status: ServiceStatus,
    @Arg("last", () => Int, { nullable: true, defaultValue: 20 }) last: number | null | undefined,
  ): ServiceStatusChange[] {
    const count = last ?? 20;
    if (count < 1 || count > MAX_HISTORY_PAGE) {
      throw new UserInputError(`last must be between 1 and ${MAX_HISTORY_PAGE}`, { field: "last" });
    }
    return status.changes
      .slice(-count)
      .reverse()
      .map(({ at, status: level, note }) => ({ at, status: level, note }));
  }

  @FieldResolver(() => Provider, { nullable: true })
  async provider(@Root() status: ServiceStatus, @Ctx() context: ServicesContext): Promise<Provider | null> {
    return context.providers.findById(status.providerId);
  }
}
