import { UserInputError } from "@situation/platform";
import { Ctx, Directive, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { toMultiPolygon } from "../outage/affected-area.js";
import { Outage } from "../outage/outage.model.js";
import { District } from "./district.model.js";

@Resolver(() => District)
export class DistrictOutagesResolver {
  @Directive('@requires(fields: "boundary { type coordinates }")')
  @FieldResolver(() => [Outage], {
    description: "Announced outages that have not ended and active ones now, whose area intersects the district",
  })
  async activeOutages(@Root() district: District, @Ctx() context: ServicesContext): Promise<Outage[]> {
    // The representation comes from the gateway, or from anyone who calls `_entities` directly.
    const boundary = toMultiPolygon(district.boundary);
    if (typeof boundary === "string") {
      throw new UserInputError(`District ${district.id}: boundary ${boundary}`, { field: "boundary" });
    }
    return context.outages.findActiveIntersecting(boundary);
  }

  @FieldResolver(() => Int, {
    description:
      "Estimated people affected now by active outages here: the sum of their estimates for this district, at most its population",
  })
  async peopleAffectedNow(@Root() district: District, @Ctx() context: ServicesContext): Promise<number> {
    return context.peopleAffected.load(district.id);
  }
}
