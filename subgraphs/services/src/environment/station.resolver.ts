import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Provider } from "../provider/provider.model.js";
import { requireId } from "../provider/provider.resolver.js";
import { checkPageSize, connectionOf, DEFAULT_PAGE_SIZE, loadPage } from "./environment-page.js";
import { EnvironmentReading } from "./reading.model.js";
import { StationInput, StationUpdateInput } from "./station.input.js";
import { EnvironmentStation, EnvironmentStationConnection, toStation } from "./station.model.js";
import { createStation, updateStation, type StationWriteDependencies } from "./station-write.js";

@Resolver(() => EnvironmentStation)
export class StationResolver {
  @Query(() => EnvironmentStationConnection, { description: "Air-quality and weather stations by name, by district, provider or active flag" })
  async environmentStations(
    @Arg("districtId", () => ID, { nullable: true }) districtId: string | null | undefined,
    @Arg("providerId", () => ID, { nullable: true }) providerId: string | null | undefined,
    @Arg("active", () => Boolean, { nullable: true }) active: boolean | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentStationConnection> {
    const size = checkPageSize(first);
    const query = {
      districtId: districtId == null ? null : requireId(districtId, "districtId"),
      providerId: providerId == null ? null : requireId(providerId, "providerId"),
      active: active ?? null,
    };
    return connectionOf(await loadPage(() => context.environment.stations.findPage(query, size, after ?? null)));
  }

  @Query(() => EnvironmentStation, { nullable: true })
  async environmentStation(@Arg("id", () => ID) id: string, @Ctx() context: ServicesContext): Promise<EnvironmentStation | null> {
    return context.environment.stations.findById(requireId(id, "id"));
  }

  @Authorized("provider", "operator")
  @Mutation(() => EnvironmentStation, {
    description: "Registers a station; a provider only its own, operators and admins any (also ones that belong to no provider)",
  })
  async createStation(@Arg("input", () => StationInput) input: StationInput, @Ctx() context: ServicesContext): Promise<EnvironmentStation> {
    return createStation(writeDependencies(context), input);
  }

  @Authorized("provider", "operator")
  @Mutation(() => EnvironmentStation, { description: "Changes a station; a provider only its own" })
  async updateStation(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => StationUpdateInput) input: StationUpdateInput,
    @Ctx() context: ServicesContext,
  ): Promise<EnvironmentStation> {
    return updateStation(writeDependencies(context), requireId(id, "id"), input);
  }

  @FieldResolver(() => Provider, { nullable: true, description: "Null for stations that belong to no provider" })
  async provider(@Root() station: EnvironmentStation, @Ctx() context: ServicesContext): Promise<Provider | null> {
    return station.providerId === null ? null : context.providers.findById(station.providerId);
  }

  @FieldResolver(() => [EnvironmentReading], { description: "The newest reading of each parameter it measures" })
  async latestReadings(@Root() station: EnvironmentStation, @Ctx() context: ServicesContext): Promise<EnvironmentReading[]> {
    return context.environmentLoaders.stationLatestReadings.load(station.id);
  }
}

@Resolver(() => EnvironmentReading)
export class EnvironmentReadingStationResolver {
  @FieldResolver(() => EnvironmentStation, { nullable: true })
  async station(@Root() reading: EnvironmentReading, @Ctx() context: ServicesContext): Promise<EnvironmentStation | null> {
    const document = await context.environmentLoaders.stations.load(reading.stationId);
    return document ? toStation(document) : null;
  }
}

function writeDependencies(context: ServicesContext): StationWriteDependencies {
  const { stations, latestReadings, alerts, city } = context.environment;
  return { identity: context.identity, providers: context.providers, stations, latestReadings, alerts, city };
}
