import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, Field, GraphQLISODateTime, ID, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { requireId } from "../provider/provider.resolver.js";
import { EnvironmentAlert } from "./alert.model.js";
import { checkPageSize, connectionOf, DEFAULT_PAGE_SIZE, loadPage } from "./environment-page.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import { EnvironmentReading, EnvironmentReadingConnection, ReadingInput, ReadingItemResult } from "./reading.model.js";
import { mayWriteStation } from "./station-write.js";

/** The most one `pushReadings` call takes; larger feeds go through the sync workers' `ingestReadings`. */
export const MAX_PUSH_ITEMS = 1_000;

@ObjectType({ description: "The outcome of a batch of readings: accepted ones are stored, rejected ones are not" })
export class ReadingBatchResult {
  @Field(() => Int)
  acceptedCount!: number;

  @Field(() => Int)
  rejectedCount!: number;

  @Field(() => Int, { description: "Accepted readings stored anew" })
  inserted!: number;

  @Field(() => Int, { description: "Accepted readings that corrected a stored value" })
  updated!: number;

  @Field(() => Int, { description: "Accepted readings already stored with the same value: nothing written" })
  unchanged!: number;

  @Field(() => [ReadingItemResult], { description: "One per item, in the order given" })
  items!: ReadingItemResult[];

  @Field(() => [EnvironmentAlert], { description: "Alerts this batch raised" })
  alertsRaised!: EnvironmentAlert[];

  @Field(() => [EnvironmentAlert], { description: "Alerts this batch cleared" })
  alertsCleared!: EnvironmentAlert[];
}

@Resolver(() => EnvironmentReading)
export class ReadingResolver {
  @Authorized("provider", "operator")
  @Mutation(() => ReadingBatchResult, {
    description: `Stores up to ${MAX_PUSH_ITEMS} readings of the caller's stations (operators and admins: any); a reading already stored is corrected or left alone; reports per item`,
  })
  async pushReadings(@Arg("items", () => [ReadingInput]) items: ReadingInput[], @Ctx() context: ServicesContext): Promise<ReadingBatchResult> {
    if (items.length > MAX_PUSH_ITEMS) {
      throw new UserInputError(`items: at most ${MAX_PUSH_ITEMS} per batch, got ${items.length}`, { field: "items" });
    }
    const identity = context.identity;
    const result = await context.environment.readings.ingestReadings(items, {
      source: `push:${identity.providerId ?? identity.subject}`,
      mayWrite: (station) => mayWriteStation(identity, station.providerId),
    });
    return result;
  }

  @Query(() => EnvironmentReadingConnection, { description: "A station's readings, newest first, in a time window [from, to)" })
  async environmentReadings(
    @Arg("stationId", () => ID) stationId: string,
    @Arg("parameter", () => EnvironmentParameter, { nullable: true }) parameter: EnvironmentParameter | null | undefined,
    @Arg("from", () => GraphQLISODateTime, { nullable: true }) from: Date | null | undefined,
    @Arg("to", () => GraphQLISODateTime, { nullable: true }) to: Date | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentReadingConnection> {
    const size = checkPageSize(first);
    if (from && to && !(to > from)) throw new UserInputError("to must be after from", { field: "to" });
    const query = { stationId: requireId(stationId, "stationId"), parameter: parameter ?? null, from: from ?? null, to: to ?? null };
    return connectionOf(await loadPage(() => context.environment.readings.findPage(query, size, after ?? null)));
  }

  @Query(() => EnvironmentReadingConnection, {
    description: "The newest reading per station and parameter, by station, district or parameter; never reads the time series",
  })
  async latestEnvironmentReadings(
    @Arg("stationId", () => ID, { nullable: true }) stationId: string | null | undefined,
    @Arg("districtId", () => ID, { nullable: true }) districtId: string | null | undefined,
    @Arg("parameter", () => EnvironmentParameter, { nullable: true }) parameter: EnvironmentParameter | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentReadingConnection> {
    const size = checkPageSize(first);
    const query = {
      stationId: stationId == null ? null : requireId(stationId, "stationId"),
      districtId: districtId == null ? null : requireId(districtId, "districtId"),
      parameter: parameter ?? null,
    };
    return connectionOf(await loadPage(() => context.environment.latestReadings.findPage(query, size, after ?? null)));
  }
}
