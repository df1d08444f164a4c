import { UserInputError } from "@situation/platform";
import { Arg, Ctx, GraphQLISODateTime, ID, Int, Query, Resolver } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { requireId } from "../provider/provider.resolver.js";
import { AlertStatus, EnvironmentAlert, EnvironmentAlertConnection } from "./alert.model.js";
import { checkPageSize, connectionOf, DEFAULT_PAGE_SIZE, loadPage } from "./environment-page.js";
import { EnvironmentParameter } from "./environment-parameter.js";

@Resolver(() => EnvironmentAlert)
export class AlertResolver {
  @Query(() => EnvironmentAlertConnection, { description: "Open environment alerts, newest raised first, by district and parameter" })
  async openEnvironmentAlerts(
    @Arg("districtId", () => ID, { nullable: true }) districtId: string | null | undefined,
    @Arg("parameter", () => EnvironmentParameter, { nullable: true }) parameter: EnvironmentParameter | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentAlertConnection> {
    const size = checkPageSize(first);
    const query = {
      status: AlertStatus.OPEN,
      districtId: districtId == null ? null : requireId(districtId, "districtId"),
      parameter: parameter ?? null,
    };
    return connectionOf(await loadPage(() => context.environment.alerts.findPage(query, size, after ?? null)));
  }

  @Query(() => EnvironmentAlertConnection, {
    description: "Alert history, open and cleared, newest raised first; from/to: those open at some time in [from, to)",
  })
  async environmentAlerts(
    @Arg("stationId", () => ID, { nullable: true }) stationId: string | null | undefined,
    @Arg("districtId", () => ID, { nullable: true }) districtId: string | null | undefined,
    @Arg("parameter", () => EnvironmentParameter, { nullable: true }) parameter: EnvironmentParameter | null | undefined,
    @Arg("status", () => AlertStatus, { nullable: true }) status: AlertStatus | null | undefined,
    @Arg("from", () => GraphQLISODateTime, { nullable: true }) from: Date | null | undefined,
    @Arg("to", () => GraphQLISODateTime, { nullable: true }) to: Date | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentAlertConnection> {
    const size = checkPageSize(first);
    if (from && to && !(to > from)) throw new UserInputError("to must be after from", { field: "to" });
    const query = {
      status: status ?? null,
      stationId: stationId == null ? null : requireId(stationId, "stationId"),
      districtId: districtId == null ? null : requireId(districtId, "districtId"),
      parameter: parameter ?? null,
      from: from ?? null,
      to: to ?? null,
    };
    return connectionOf(await loadPage(() => context.environment.alerts.findPage(query, size, after ?? null)));
  }
}
