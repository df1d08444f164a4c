// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { EnvironmentPageInfo } from "./environment-page.js";
import { EnvironmentParameter } from "./environment-parameter.js";

/** One measurement as stored in `readings`: unique per (stationId, parameter, at), removed by TTL after the retention. */
export interface ReadingDocument {
  stationId: string;
  parameter: EnvironmentParameter;
  at: Date;
  value: number;
  unit: string;
  /** Who sent it: `push:<provider or subject>` for the GraphQL push, the feed's name for sync workers. */
  source: string;
  receivedAt: Date;
}

/** The newest reading per (station, parameter), in `latestReadings`, so that nothing that shows "now" scans the series. */
export interface LatestReadingDocument {
  /** `<stationId>|<parameter>` */
  _id: string;
  stationId: string;
  parameter: EnvironmentParameter;
  districtId: string;
  at: Date;
  value: number;
  unit: string;
  updatedAt: Date;
}

@ObjectType({ description: "A station's measurement of one parameter at one time" })
export class EnvironmentReading {
  @Field(() => ID)
  stationId!: string;

  @Field(() => EnvironmentParameter)
  parameter!: EnvironmentParameter;

  @Field(() => GraphQLISODateTime, { description: "When it was measured (the end of the sensor's averaging interval)" })
  at!: Date;

  @Field(() => Float)
  value!: number;

  @Field(() => String, { description: "Fixed per parameter: µg/m³, °C, mm, m/s or °" })
  unit!: string;

  /** The station's district, for latest readings; resolves the `station` field. */
  districtId?: string;
}

@ObjectType({ description: "A reading and the cursor that points at it" })
export class EnvironmentReadingEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => EnvironmentReading)
  node!: EnvironmentReading;
}

@ObjectType({ description: "A page of readings" })
export class EnvironmentReadingConnection {
  @Field(() => [EnvironmentReadingEdge])
  edges!: EnvironmentReadingEdge[];

  @Field(() => [EnvironmentReading])
  nodes!: EnvironmentReading[];

  @Field(() => EnvironmentPageInfo)
  pageInfo!: EnvironmentPageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@InputType({ description: "A reading as a provider pushes it" })
export class ReadingInput {
  @Field(() => ID)
  stationId!: string;

  @Field(() => EnvironmentParameter)
  parameter!: EnvironmentParameter;

  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => Float)
  value!: number;

  @Field(() => String, { nullable: true, description: "If given, must be the parameter's unit" })
  unit?: string | null;
}

export enum ReadingWrite {
  INSERTED = "inserted",
  UPDATED = "updated",
  UNCHANGED = "unchanged",
}

registerEnumType(ReadingWrite, {
  name: "ReadingWrite",
  description: "What an accepted reading did: stored anew, corrected a stored value, or matched it (nothing written)",
});

@ObjectType("EnvironmentFieldError", { description: "Why one input field of a batch item was rejected" })
export class EnvironmentFieldError {
  @Field(() => String)
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: "What became of one reading of a batch" })
export class ReadingItemResult {
  @Field(() => Int, { description: "The item's position in the batch, from 0" })
  index!: number;

  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => ReadingWrite, { nullable: true, description: "Null when rejected" })
  write!: ReadingWrite | null;

  @Field(() => [EnvironmentFieldError], { description: "Empty when accepted" })
  errors!: EnvironmentFieldError[];
}

export function toReading(document: ReadingDocument | LatestReadingDocument): EnvironmentReading {
  return {
    stationId: document.stationId,
    parameter: document.parameter,
    at: document.at,
    value: document.value,
    unit: document.unit,
    ...("districtId" in document ? { districtId: document.districtId } : {}),
  };
}

export function latestKey(stationId: string, parameter: EnvironmentParameter): string {
  return `${stationId}|${parameter}`;
}
