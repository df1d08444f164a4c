import { Field, GraphQLISODateTime, InputType, Int } from "type-graphql";
import { LocationInput } from "../business/business.inputs.js";
import { BusinessOperatingStatus, BusinessReportKind, IncidentSeverity } from "./report.model.js";

@InputType()
export class GoodsAvailabilityInput {
  @Field(() => String, { description: 'e.g. "insulin" or "Eurodiesel"' })
  item!: string;

  @Field(() => Boolean)
  available!: boolean;
}

@InputType()
export class BusinessIncidentInput {
  @Field(() => String, { description: 'e.g. "fire", "flood", "power failure"' })
  kind!: string;

  @Field(() => IncidentSeverity)
  severity!: IncidentSeverity;

  @Field(() => String)
  description!: string;
}

@InputType()
export class BusinessEventInput {
  @Field(() => String)
  title!: string;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;

  @Field(() => GraphQLISODateTime)
  endsAt!: Date;

  @Field(() => Int)
  expectedAttendance!: number;
}

@InputType({ description: "An operational report: the kind, its validity window, and exactly the fields of that kind" })
export class BusinessReportInput {
  @Field(() => BusinessReportKind)
  kind!: BusinessReportKind;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Defaults to now" })
  validFrom?: Date | null;

  @Field(() => GraphQLISODateTime, { description: "At most 31 days after validFrom" })
  validUntil!: Date;

  @Field(() => String, { nullable: true })
  note?: string | null;

  @Field(() => BusinessOperatingStatus, { nullable: true, description: "status reports" })
  status?: BusinessOperatingStatus | null;

  @Field(() => String, { nullable: true, description: 'temporaryHours reports, e.g. "Mon-Sun 10:00-14:00"' })
  temporaryHours?: string | null;

  @Field(() => Int, { nullable: true, description: "occupancy reports" })
  capacity?: number | null;

  @Field(() => Int, { nullable: true, description: "occupancy reports; at most capacity" })
  occupancy?: number | null;

  @Field(() => [GoodsAvailabilityInput], { nullable: true, description: "criticalGoods reports" })
  goods?: GoodsAvailabilityInput[] | null;

  @Field(() => BusinessIncidentInput, { nullable: true, description: "incident reports" })
  incident?: BusinessIncidentInput | null;

  @Field(() => BusinessEventInput, { nullable: true, description: "event reports" })
  event?: BusinessEventInput | null;

  @Field(() => LocationInput, { nullable: true, description: "incidents and events: where, within 1 km of the business; others are at the business" })
  location?: LocationInput | null;
}
