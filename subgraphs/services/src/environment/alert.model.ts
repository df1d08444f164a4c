// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { AveragingPeriod } from "./averaging-window.js";
import { EnvironmentPageInfo } from "./environment-page.js";
import { EnvironmentParameter } from "./environment-parameter.js";

export enum AlertStatus {
  OPEN = "open",
  CLEARED = "cleared",
}

registerEnumType(AlertStatus, { name: "EnvironmentAlertStatus", description: "Open while the mean stays above the threshold, then cleared" });

/** An alert as stored in `environmentAlerts`; at most one open per (stationId, parameter), kept after it clears. */
export interface AlertDocument {
  _id: string;
  stationId: string;
  parameter: EnvironmentParameter;
  districtId: string;
  status: AlertStatus;
  /** The threshold it was raised against. */
  threshold: number;
  averaging: AveragingPeriod;
  unit: string;
  /** The first window whose mean was above the threshold. */
  windowStart: Date;
  /** The most recent window evaluated, and its mean. */
  lastWindowStart: Date;
  lastMean: number;
  peakMean: number;
  peakWindowStart: Date;
  raisedAt: Date;
  clearedAt: Date | null;
  /** The first window back at or below the threshold. */
  clearedWindowStart: Date | null;
  updatedAt: Date;
}

@ObjectType({ description: "A parameter's mean over a station's averaging window above its threshold" })
export class EnvironmentAlert {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  stationId!: string;

  @Field(() => EnvironmentParameter)
  parameter!: EnvironmentParameter;

  @Field(() => ID)
  districtId!: string;

  @Field(() => AlertStatus)
  status!: AlertStatus;

  @Field(() => Float, { description: "The threshold it was raised against, in `unit`" })
  threshold!: number;

  @Field(() => AveragingPeriod)
  averaging!: AveragingPeriod;

  @Field(() => String)
  unit!: string;

  @Field(() => GraphQLISODateTime, { description: "Start of the first window above the threshold" })
  windowStart!: Date;

  @Field(() => Float, { description: "The mean of the most recent window evaluated" })
  lastMean!: number;

  @Field(() => GraphQLISODateTime)
  lastWindowStart!: Date;

  @Field(() => Float, { description: "The highest window mean while the alert was open" })
  peakMean!: number;

  @Field(() => GraphQLISODateTime)
  peakWindowStart!: Date;

  @Field(() => GraphQLISODateTime, { description: "When the platform raised it" })
  raisedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "When the platform cleared it" })
  clearedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Start of the first window back at or below the threshold" })
  clearedWindowStart!: Date | null;
}

@ObjectType({ description: "An alert and the cursor that points at it" })
export class EnvironmentAlertEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => EnvironmentAlert)
  node!: EnvironmentAlert;
}

@ObjectType({ description: "A page of alerts, newest raised first" })
export class EnvironmentAlertConnection {
  @Field(() => [EnvironmentAlertEdge])
  edges!: EnvironmentAlertEdge[];

  @Field(() => [EnvironmentAlert])
  nodes!: EnvironmentAlert[];

  @Field(() => EnvironmentPageInfo)
  pageInfo!: EnvironmentPageInfo;

  @Field(() => Int)
  totalCount!: number;
}

export function toAlert(document: AlertDocument): EnvironmentAlert {
  return {
    id: document._id,
    stationId: document.stationId,
    parameter: document.parameter,
    districtId: document.districtId,
    status: document.status,
    threshold: document.threshold,
    averaging: document.averaging,
    unit: document.unit,
    windowStart: document.windowStart,
    lastMean: document.lastMean,
    lastWindowStart: document.lastWindowStart,
    peakMean: document.peakMean,
    peakWindowStart: document.peakWindowStart,
    raisedAt: document.raisedAt,
    clearedAt: document.clearedAt,
    clearedWindowStart: document.clearedWindowStart,
  };
}
