import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { District } from "../district/district.model.js";
import { EnvironmentAlert } from "./alert.model.js";
import { EnvironmentReading } from "./reading.model.js";

/** The district view's environment: read from the latest values and the open alerts, one query each for all districts asked. */
@Resolver(() => District)
export class DistrictEnvironmentResolver {
  @FieldResolver(() => [EnvironmentReading], { description: "The newest reading of each parameter of each station in the district" })
  async latestReadings(@Root() district: District, @Ctx() context: ServicesContext): Promise<EnvironmentReading[]> {
    return context.environmentLoaders.districtLatestReadings.load(district.id);
  }

  @FieldResolver(() => [EnvironmentAlert], { description: "Open environment alerts of the district's stations, newest raised first" })
  async openAlerts(@Root() district: District, @Ctx() context: ServicesContext): Promise<EnvironmentAlert[]> {
    return context.environmentLoaders.districtOpenAlerts.load(district.id);
  }
}
