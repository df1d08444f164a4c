import { NotFoundError } from "@situation/platform";
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { assertMayActOn } from "../business/business.resolver.js";
import { Business } from "../business/business.model.js";
import type { BusinessContext } from "../context.js";
import { BusinessReportInput } from "./report.inputs.js";
import { BusinessReport } from "./report.model.js";

// Operational data is not public: the control room (operators, city staff) and the business itself.
@Resolver(() => Business)
export class BusinessReportResolver {
  @Authorized("operator", "city-staff", "business")
  @FieldResolver(() => [BusinessReport], { description: "Operational reports, newest first: the current ones, or all with includeExpired" })
  reports(
    @Root() business: Business,
    @Arg("includeExpired", () => Boolean, { defaultValue: false }) includeExpired: boolean,
    @Ctx() context: BusinessContext,
  ): Promise<BusinessReport[]> {
    if (!context.identity.roles.includes("operator")) assertMayActOn(context.identity, business.id);
    return context.reports.findForBusiness(business.id, { includeExpired });
  }

  @Authorized("city-staff", "business")
  @Mutation(() => BusinessReport, { description: "Files an operational report for a business: staff for any, a business for itself" })
  async fileBusinessReport(
    @Arg("businessId", () => ID) businessId: string,
    @Arg("input", () => BusinessReportInput) input: BusinessReportInput,
    @Ctx() context: BusinessContext,
  ): Promise<BusinessReport> {
    assertMayActOn(context.identity, businessId);
    const business = await context.businesses.findById(businessId);
    if (business === null) throw new NotFoundError(`no business ${businessId}`);
    return context.reports.file(business, input, context.identity.subject);
  }
}
