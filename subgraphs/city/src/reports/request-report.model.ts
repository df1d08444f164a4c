import { Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";

/** What a report's rows are grouped by. */
export enum ReportDimension {
  CATEGORY = "category",
  PROVIDER = "provider",
  DISTRICT = "district",
  CHANNEL = "channel",
}

registerEnumType(ReportDimension, {
  name: "ReportDimension",
  description:
    "CATEGORY: the service category's code; PROVIDER: the assignee's id (a provider or a city department); " +
    "DISTRICT: the district's id; CHANNEL: the channel the request arrived on",
});

@ObjectType({
  description:
    "One row of a request report. Times are in hours; medians and 90th percentiles are nearest-rank " +
    "(the smallest observed value with at least half, or 90 %, of the values at or below it). Null " +
    "where there is nothing to measure.",
})
export class RequestReportRow {
  @Field(() => String, {
    nullable: true,
    description: "The group: a category code, an assignee id, a district id or a channel; null for requests without a district",
  })
  key!: string | null;

  @Field(() => Int, { description: "Requests received in the period (from <= receivedAt < to)" })
  volume!: number;

  @Field(() => Float, { nullable: true, description: "Median hours from receipt to first response, of the period's requests that had one by `to`" })
  firstResponseMedianHours!: number | null;

  @Field(() => Float, { nullable: true, description: "90th percentile of the same" })
  firstResponseP90Hours!: number | null;

  @Field(() => Float, { nullable: true, description: "Median hours from receipt to resolution, of the period's requests resolved by `to`" })
  resolutionMedianHours!: number | null;

  @Field(() => Float, { nullable: true, description: "90th percentile of the same" })
  resolutionP90Hours!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Share (0 to 1) of the period's requests resolved by their resolutionDueAt, among those decided by `to` " +
      "(resolved by `to`, or due before `to`); rejected requests do not count",
  })
  slaCompliance!: number | null;

  @Field(() => Int, { description: "Requests open at `to`: received before it and neither resolved nor rejected by then, whenever received" })
  backlog!: number;

  @Field(() => Float, { nullable: true, description: "Median age in hours, at `to`, of the backlog" })
  backlogMedianAgeHours!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Share (0 to 1) of requests whose first logged contact fell in the period and had the outcome RESOLVED",
  })
  firstContactResolution!: number | null;

  @Field(() => Int, { description: "Requests whose first logged contact fell in the period: the denominator of firstContactResolution" })
  firstContacts!: number;
}
