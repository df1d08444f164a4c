import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, Float, Mutation, Query, Resolver } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { AveragingPeriod } from "./averaging-window.js";
import { EnvironmentParameter, PARAMETER_SPECS } from "./environment-parameter.js";
import { EnvironmentThreshold, toThreshold } from "./threshold.model.js";

@Resolver(() => EnvironmentThreshold)
export class ThresholdResolver {
  @Query(() => [EnvironmentThreshold], { description: "Every parameter's alert threshold: the EU-based default or what an admin set" })
  async environmentThresholds(@Ctx() context: ServicesContext): Promise<EnvironmentThreshold[]> {
    return (await context.environment.thresholds.list()).map(toThreshold);
  }

  @Authorized("admin")
  @Mutation(() => EnvironmentThreshold, {
    description: "Sets a parameter's threshold (admins); applies from the next readings ingested, open alerts included (each keeps the value it was raised against in `threshold`)",
  })
  async setEnvironmentThreshold(
    @Arg("parameter", () => EnvironmentParameter) parameter: EnvironmentParameter,
    @Arg("value", () => Float, { nullable: true, description: "In the parameter's unit; null only with enabled: false" }) value: number | null | undefined,
    @Arg("averaging", () => AveragingPeriod) averaging: AveragingPeriod,
    @Arg("enabled", () => Boolean) enabled: boolean,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentThreshold> {
    const spec = PARAMETER_SPECS[parameter];
    if (parameter === EnvironmentParameter.WIND_DIRECTION && enabled) {
      throw new UserInputError("parameter: a wind direction has no threshold", { field: "parameter" });
    }
    if (value == null) {
      if (enabled) throw new UserInputError("value is required to enable a threshold", { field: "value" });
    } else if (!Number.isFinite(value) || value < spec.min || value > spec.max) {
      throw new UserInputError(`value must be within ${spec.min}…${spec.max} ${spec.unit}`, { field: "value" });
    }
    const setting = await context.environment.thresholds.set({ parameter, value: value ?? null, averaging, enabled, by: context.identity.subject });
    return toThreshold(setting);
  }
}
