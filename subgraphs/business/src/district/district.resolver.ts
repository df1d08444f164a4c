import { UserInputError } from "@situation/platform";
import type { GraphQLResolveInfo } from "graphql";
import { Args, Authorized, Ctx, Directive, FieldResolver, Info, Resolver, Root } from "type-graphql";
import { selectsField, toBusinessConnection } from "../business/business-page.js";
import { BusinessConnection, BusinessPageArgs } from "../business/business.model.js";
import type { BusinessContext } from "../context.js";
import { BusinessReport, BusinessReportKind, BusinessStatusCounts } from "../report/report.model.js";
import { District } from "./district.model.js";

@Resolver(() => District)
export class DistrictBusinessesResolver {
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => BusinessConnection, { description: "The businesses located inside the district, a page at a time, by id" })
  async businesses(
    @Root() district: District,
    @Args(() => BusinessPageArgs) { first, after }: BusinessPageArgs,
    @Ctx() context: BusinessContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<BusinessConnection> {
    const count = selectsField(info, "totalCount");
    return withinDistrict(district, async () => toBusinessConnection(await context.businesses.findWithin(district.boundary, { first, after, count })));
  }

  @Authorized("operator", "city-staff")
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => BusinessStatusCounts, { description: "How many of the district's businesses report open, closed, limited now" })
  businessStatusCounts(@Root() district: District, @Ctx() context: BusinessContext): Promise<BusinessStatusCounts> {
    return withinDistrict(district, async () => {
      const total = await context.businesses.countWithin(district.boundary);
      return context.reports.countStatusesWithin(district.boundary, total);
    });
  }

  @Authorized("operator", "city-staff")
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => [BusinessReport], { description: "Incidents that businesses in the district report, current now, newest first" })
  currentBusinessIncidents(@Root() district: District, @Ctx() context: BusinessContext): Promise<BusinessReport[]> {
    return withinDistrict(district, () => context.reports.findCurrentWithin(district.boundary, BusinessReportKind.INCIDENT));
  }

  @Authorized("operator", "city-staff")
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => [BusinessReport], { description: "Events that businesses in the district host, current now, newest first" })
  currentBusinessEvents(@Root() district: District, @Ctx() context: BusinessContext): Promise<BusinessReport[]> {
    return withinDistrict(district, () => context.reports.findCurrentWithin(district.boundary, BusinessReportKind.EVENT));
  }
}

/** Runs a query on the district's boundary, naming the district in a boundary error. */
async function withinDistrict<T>(district: District, query: () => Promise<T>): Promise<T> {
  // The representation comes from the gateway, or from anyone who calls `_entities` directly.
  if ((district.boundary as unknown) === undefined || (district.boundary as unknown) === null) {
    throw new UserInputError(`District ${district.id}: boundary is required (the gateway fetches it from the city subgraph)`, {
      field: "boundary",
    });
  }
  try {
    return await query();
  } catch (error) {
    if (error instanceof UserInputError && error.field === "boundary") {
      throw new UserInputError(`District ${district.id}: ${error.message}`, { field: error.field, cause: error });
    }
    throw error;
  }
}
