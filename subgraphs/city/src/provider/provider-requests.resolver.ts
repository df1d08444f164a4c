import { ForbiddenError, UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, FieldResolver, GraphQLISODateTime, Int, Resolver, Root } from "type-graphql";
import type { CityContext } from "../context.js";
import { scopeOf } from "../service-request/access.js";
import { findConnection } from "../service-request/pagination.js";
import { ServiceRequestConnection } from "../service-request/service-request.model.js";
import { Provider, SlaFigures } from "./provider.model.js";

@Resolver(() => Provider)
export class ProviderRequestsResolver {
  @Authorized("operator", "city-staff", "provider")
  @FieldResolver(() => ServiceRequestConnection, { description: "Open requests assigned to the provider, in the caller's scope, newest first" })
  async openRequests(
    @Root() provider: Provider,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceRequestConnection> {
    return findConnection(
      context.serviceRequests,
      { open: true, assignee: { kind: "provider", id: provider.id } },
      first,
      after,
      scopeOf(context.identity),
    );
  }

  @Authorized("operator", "city-staff", "provider")
  @FieldResolver(() => SlaFigures, { description: "Service-level figures of requests received in [from, to)" })
  async slaFigures(
    @Root() provider: Provider,
    @Arg("from", () => GraphQLISODateTime) from: Date,
    @Arg("to", () => GraphQLISODateTime) to: Date,
    @Ctx() context: CityContext,
  ): Promise<SlaFigures> {
    const { identity } = context;
    const isStaff = identity.roles.some((role) => role === "operator" || role === "city-staff" || role === "admin");
    if (!isStaff && identity.providerId !== provider.id) {
      throw new ForbiddenError(`the SLA figures of ${provider.id} are for its own staff and the city's`);
    }
    if (!(from.getTime() < to.getTime())) throw new UserInputError("to must be after from", { field: "to" });
    return context.serviceRequests.slaFigures({ kind: "provider", id: provider.id }, from, to);
  }
}
