import { Arg, Authorized, Ctx, GraphQLISODateTime, Query, Resolver } from "type-graphql";
import type { CityContext } from "../context.js";
import { ReportDimension, RequestReportRow } from "./request-report.model.js";

// Reports show every department's and provider's figures: city staff, operators and admins only.
@Resolver(() => RequestReportRow)
export class RequestReportResolver {
  @Authorized("city-staff", "operator", "admin")
  @Query(() => [RequestReportRow], {
    description: "Figures on service requests over the period from <= t < to, one row per group, ordered by key",
  })
  requestReport(
    @Arg("from", () => GraphQLISODateTime) from: Date,
    @Arg("to", () => GraphQLISODateTime) to: Date,
    @Arg("groupBy", () => ReportDimension) groupBy: ReportDimension,
    @Ctx() context: CityContext,
  ): Promise<RequestReportRow[]> {
    return context.reports.requestReport({ from, to }, groupBy);
  }
}
