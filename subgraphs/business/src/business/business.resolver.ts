import { Arg, Args, Ctx, ID, Query, Resolver } from "type-graphql";
import type { BusinessContext } from "../context.js";
import { toBusinessConnection } from "./business-page.js";
import { Business, BusinessConnection, BusinessPageArgs } from "./business.model.js";

// Public: anyone may read the registry fields (see Business). Queries for operational data, added
// later, will say their roles with @Authorized.
@Resolver(() => Business)
export class BusinessResolver {
  @Query(() => Business, { nullable: true, description: "One business by id; null if there is none" })
  business(@Arg("id", () => ID) id: string, @Ctx() context: BusinessContext): Promise<Business | null> {
    return context.businesses.findById(id);
  }

  @Query(() => BusinessConnection, { description: "Every business, a page at a time, by id" })
  async businesses(
    @Args(() => BusinessPageArgs) { first, after }: BusinessPageArgs,
    @Ctx() context: BusinessContext,
  ): Promise<BusinessConnection> {
    return toBusinessConnection(await context.businesses.findPage({ first, after }));
  }
}
