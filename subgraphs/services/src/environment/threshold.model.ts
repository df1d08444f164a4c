// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { Field, Float, GraphQLISODateTime, ObjectType } from "type-graphql";
import { AveragingPeriod } from "./averaging-window.js";
import { EnvironmentParameter, unitOf } from "./environment-parameter.js";

/** A threshold as stored in `environmentThresholds`, one per parameter (`_id`); parameters without one use the default. */
export interface ThresholdDocument {
  _id: EnvironmentParameter;
  value: number | null;
  averaging: AveragingPeriod;
  enabled: boolean;
  updatedAt: Date;
  updatedBy: string;
}

export interface ThresholdSetting {
  parameter: EnvironmentParameter;
  value: number | null;
  averaging: AveragingPeriod;
  enabled: boolean;
  /** Where the default comes from; null once an admin changed it. */
  basis: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/**
 * Defaults, all "alert when the mean over the period is above the value":
 * - PM10 50 µg/m³, daily mean: the daily limit value of Directive 2008/50/EC, Annex XI (not to be
 *   exceeded more than 35 times a calendar year); unchanged in Directive (EU) 2024/2881 until 2030,
 *   when it becomes 45.
 * - PM2.5 25 µg/m³, daily mean: Directive (EU) 2024/2881, Annex I, daily limit value applying from
 *   1 January 2030 (18 exceedances a year allowed). 2008/50/EC has no short-term PM2.5 value, and the
 *   WHO 2021 guideline (15 µg/m³, 24 h) would alert on most winter days here, so the coming EU value.
 * - NO2 200 µg/m³, hourly mean: the hourly limit value of 2008/50/EC, Annex XI (18 exceedances a year).
 * - O3 180 µg/m³, hourly mean: the information threshold of 2008/50/EC, Annex XII (the public is to
 *   be informed when it is exceeded), rather than the 8-hour target value, which is not an alert level.
 * Weather has no limit values: heat and storm warnings (RHMZ Srbije, Meteoalarm) are issued from
 * forecasts over regions, not from one station's mean, so those thresholds are off until an admin
 * sets one. A wind direction has no threshold at all.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<EnvironmentParameter, Omit<ThresholdSetting, "parameter" | "updatedAt" | "updatedBy">>> = {
  [EnvironmentParameter.PM10]: { value: 50, averaging: AveragingPeriod.DAY, enabled: true, basis: "Directive 2008/50/EC, Annex XI: PM10 daily limit value" },
  [EnvironmentParameter.PM2_5]: { value: 25, averaging: AveragingPeriod.DAY, enabled: true, basis: "Directive (EU) 2024/2881, Annex I: PM2.5 daily limit value from 2030" },
  [EnvironmentParameter.NO2]: { value: 200, averaging: AveragingPeriod.HOUR, enabled: true, basis: "Directive 2008/50/EC, Annex XI: NO2 hourly limit value" },
  [EnvironmentParameter.O3]: { value: 180, averaging: AveragingPeriod.HOUR, enabled: true, basis: "Directive 2008/50/EC, Annex XII: O3 information threshold" },
  [EnvironmentParameter.TEMPERATURE]: { value: null, averaging: AveragingPeriod.HOUR, enabled: false, basis: "no limit value; off until set" },
  [EnvironmentParameter.PRECIPITATION]: { value: null, averaging: AveragingPeriod.HOUR, enabled: false, basis: "no limit value; off until set" },
  [EnvironmentParameter.WIND_SPEED]: { value: null, averaging: AveragingPeriod.HOUR, enabled: false, basis: "no limit value; off until set" },
  [EnvironmentParameter.WIND_DIRECTION]: { value: null, averaging: AveragingPeriod.HOUR, enabled: false, basis: "a direction has no threshold" },
};

@ObjectType({ description: "When an alert is raised for a parameter: the mean over the averaging period above the value" })
export class EnvironmentThreshold {
  @Field(() => EnvironmentParameter)
  parameter!: EnvironmentParameter;

  @Field(() => Float, { nullable: true, description: "In the parameter's unit; null when none is set" })
  value!: number | null;

  @Field(() => String)
  unit!: string;

  @Field(() => AveragingPeriod)
  averaging!: AveragingPeriod;

  @Field(() => Boolean, { description: "Whether alerts are raised for this parameter" })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: "The source of the default; null once an admin changed it" })
  basis!: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Null while the default applies" })
  updatedAt!: Date | null;
}

export function toThreshold(setting: ThresholdSetting): EnvironmentThreshold {
  return {
    parameter: setting.parameter,
    value: setting.value,
    unit: unitOf(setting.parameter),
    averaging: setting.averaging,
    enabled: setting.enabled,
    basis: setting.basis,
    updatedAt: setting.updatedAt,
  };
}
