import { UserInputError } from "@situation/platform";
import { Args, Ctx, Directive, FieldResolver, Resolver, Root } from "type-graphql";
import { toBusinessConnection } from "../business/business-page.js";
import { BusinessConnection, BusinessPageArgs } from "../business/business.model.js";
import type { BusinessContext } from "../context.js";
import { District } from "./district.model.js";

@Resolver(() => District)
export class DistrictBusinessesResolver {
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => BusinessConnection, { description: "The businesses located inside the district, a page at a time, by id" })
  async businesses(
    @Root() district: District,
    @Args(() => BusinessPageArgs) { first, after }: BusinessPageArgs,
    @Ctx() context: BusinessContext,
  ): Promise<BusinessConnection> {
    // The representation comes from the gateway, or from anyone who calls `_entities` directly.
    if ((district.boundary as unknown) === undefined || (district.boundary as unknown) === null) {
      throw new UserInputError(`District ${district.id}: boundary is required (the gateway fetches it from the city subgraph)`, {
        field: "boundary",
      });
    }
    try {
      return toBusinessConnection(await context.businesses.findWithin(district.boundary, { first, after }));
    } catch (error) {
      if (error instanceof UserInputError && error.field === "boundary") {
        throw new UserInputError(`District ${district.id}: ${error.message}`, { field: error.field, cause: error });
      }
      throw error;
    }
  }
}
