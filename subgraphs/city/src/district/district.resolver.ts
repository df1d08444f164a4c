import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import type { CityContext } from "../context.js";
import { District } from "./district.model.js";

// Districts are public: anonymous callers may read them, so there is no @Authorized here.
@Resolver(() => District)
export class DistrictResolver {
  @Query(() => District, { nullable: true, description: "One district by its id (slug); null if there is none" })
  district(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<District | null> {
    return context.districts.findById(id);
  }

  @Query(() => [District], { description: "Every district of the city, by id" })
  districts(@Ctx() context: CityContext): Promise<District[]> {
    return context.districts.findAll();
  }
}
