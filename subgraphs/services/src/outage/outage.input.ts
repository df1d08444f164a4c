import { GeoJSONCoordinatesScalar } from "@situation/subgraph-kit";
import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType } from "type-graphql";
import { ServiceKind } from "../provider/provider.model.js";
import { OutageStatus } from "./outage.model.js";

@InputType({ description: "A GeoJSON Polygon or MultiPolygon; checked (closed rings, no self-intersection, inside the city)" })
export class OutageAreaInput {
  @Field(() => String, { description: '"Polygon" or "MultiPolygon"' })
  type!: string;

  @Field(() => GeoJSONCoordinatesScalar)
  coordinates!: unknown;
}

@InputType({ description: "An outage as a provider pushes it" })
export class OutageInput {
  @Field(() => ID, { description: "The provider whose outage this is; a provider may name only itself" })
  providerId!: string;

  @Field(() => String, {
    nullable: true,
    description: "The provider's own id for the outage. In upsertOutages an item with a known externalId updates that outage",
  })
  externalId?: string | null;

  @Field(() => ServiceKind, { nullable: true, description: "Defaults to the provider's kind" })
  kind?: ServiceKind | null;

  @Field(() => Boolean, { description: "Planned works (true) or an unplanned failure (false)" })
  planned!: boolean;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Must be after startsAt" })
  expectedEndAt?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "The actual end, for a resolved outage; not before startsAt" })
  endedAt?: Date | null;

  @Field(() => OutageStatus, { nullable: true, description: "ANNOUNCED unless given; a new outage starts ANNOUNCED or ACTIVE" })
  status?: OutageStatus | null;

  @Field(() => OutageAreaInput)
  affectedArea!: OutageAreaInput;

  @Field(() => [String], { nullable: true })
  streets?: string[] | null;

  @Field(() => String)
  description!: string;

  @Field(() => String, { nullable: true, description: "A note for the timeline entry this write adds" })
  note?: string | null;
}

@InputType({ description: "Changes to an outage; fields left out stay as they are" })
export class OutageUpdateInput {
  @Field(() => OutageStatus, {
    nullable: true,
    description: "ANNOUNCED → ACTIVE → RESOLVED; ANNOUNCED or ACTIVE → CANCELLED; resolved and cancelled outages are final",
  })
  status?: OutageStatus | null;

  @Field(() => String, { nullable: true, description: "Kept in the timeline with the (possibly unchanged) status" })
  note?: string | null;

  @Field(() => Boolean, { nullable: true })
  planned?: boolean | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  startsAt?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  expectedEndAt?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "Defaults to now when the outage is resolved" })
  endedAt?: Date | null;

  @Field(() => OutageAreaInput, { nullable: true })
  affectedArea?: OutageAreaInput | null;

  @Field(() => [String], { nullable: true })
  streets?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@ObjectType("OutageFieldError", { description: "Why one input field of a batch item was rejected" })
export class FieldProblem {
  @Field(() => String)
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: "What became of one item of a batch" })
export class OutageBatchItemResult {
  @Field(() => Int, { description: "The item's position in the batch, from 0" })
  index!: number;

  @Field(() => ID, { nullable: true, description: "The outage written, when accepted" })
  id!: string | null;

  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => [FieldProblem], { description: "Empty when accepted" })
  errors!: FieldProblem[];
}

@ObjectType({ description: "The outcome of a batch: accepted items are written, rejected ones are not" })
export class OutageBatchResult {
  @Field(() => Int)
  acceptedCount!: number;

  @Field(() => Int)
  rejectedCount!: number;

  @Field(() => [OutageBatchItemResult], { description: "One per item, in the order given" })
  items!: OutageBatchItemResult[];
}

@InputType({ description: "A circle around a point" })
export class NearPointInput {
  @Field(() => Float)
  longitude!: number;

  @Field(() => Float)
  latitude!: number;

  @Field(() => Float, { description: "At most 50,000" })
  radiusMeters!: number;
}

@InputType({ description: "Narrows active outages; every condition given must hold" })
export class ActiveOutagesFilter {
  @Field(() => ID, { nullable: true, description: "Outages whose estimate found people affected in this district" })
  districtId?: string | null;

  @Field(() => OutageAreaInput, { nullable: true, description: "Outages whose area intersects this one" })
  area?: OutageAreaInput | null;

  @Field(() => NearPointInput, { nullable: true, description: "Outages whose area comes within the radius of the point" })
  near?: NearPointInput | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: "With `to`, a time window: outages (not cancelled) whose span overlaps it, instead of those active now",
  })
  from?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  to?: Date | null;

  @Field(() => ServiceKind, { nullable: true })
  kind?: ServiceKind | null;

  @Field(() => ID, { nullable: true })
  providerId?: string | null;
}
