/**
 * What the stations measure, in which unit, and which values are plausible at all. Units are fixed
 * per parameter so that means and thresholds never mix µg/m³ with ppb, or °C with °F.
 */
import { registerEnumType } from "type-graphql";

export enum EnvironmentParameter {
  PM10 = "PM10",
  PM2_5 = "PM2_5",
  NO2 = "NO2",
  O3 = "O3",
  TEMPERATURE = "TEMPERATURE",
  PRECIPITATION = "PRECIPITATION",
  WIND_SPEED = "WIND_SPEED",
  WIND_DIRECTION = "WIND_DIRECTION",
}

registerEnumType(EnvironmentParameter, {
  name: "EnvironmentParameter",
  description: "An air-quality or weather quantity a station measures; each has one fixed unit",
});

export const ENVIRONMENT_PARAMETERS: readonly EnvironmentParameter[] = Object.values(EnvironmentParameter);

export interface ParameterSpec {
  unit: string;
  /** Inclusive bounds; anything outside is a broken sensor or a wrong unit, not a reading. */
  min: number;
  max: number;
}

/**
 * The bounds are generous on purpose: they reject unit mix-ups (ppb for µg/m³, K for °C) and sensor
 * garbage, not real extremes. PM during wildfire smoke exceeds 1,000 µg/m³; the highest gust ever
 * measured is 113 m/s; the wettest hour on record about 305 mm.
 */
export const PARAMETER_SPECS: Readonly<Record<EnvironmentParameter, ParameterSpec>> = {
  [EnvironmentParameter.PM10]: { unit: "µg/m³", min: 0, max: 5_000 },
  [EnvironmentParameter.PM2_5]: { unit: "µg/m³", min: 0, max: 5_000 },
  [EnvironmentParameter.NO2]: { unit: "µg/m³", min: 0, max: 2_000 },
  [EnvironmentParameter.O3]: { unit: "µg/m³", min: 0, max: 1_000 },
  [EnvironmentParameter.TEMPERATURE]: { unit: "°C", min: -50, max: 60 },
  [EnvironmentParameter.PRECIPITATION]: { unit: "mm", min: 0, max: 500 },
  [EnvironmentParameter.WIND_SPEED]: { unit: "m/s", min: 0, max: 120 },
  [EnvironmentParameter.WIND_DIRECTION]: { unit: "°", min: 0, max: 360 },
};

export function unitOf(parameter: EnvironmentParameter): string {
  return PARAMETER_SPECS[parameter].unit;
}

export function isEnvironmentParameter(value: unknown): value is EnvironmentParameter {
  return typeof value === "string" && (ENVIRONMENT_PARAMETERS as readonly string[]).includes(value);
}
