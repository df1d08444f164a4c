import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, Float, ID, Mutation, Query, Resolver } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { ProviderCreateInput, ProviderUpdateInput } from "./provider.input.js";
import { Provider, ServiceKind } from "./provider.model.js";
import { checkPoint, createProvider, updateProvider, type ProviderWriteDependencies } from "./provider-write.js";

@Resolver(() => Provider)
export class ProviderResolver {
  @Query(() => [Provider], { description: "Every utility and public enterprise, by name" })
  async providers(@Ctx() context: ServicesContext): Promise<Provider[]> {
    return context.providers.findAll();
  }

  @Query(() => Provider, { nullable: true })
  async provider(@Arg("id", () => ID) id: string, @Ctx() context: ServicesContext): Promise<Provider | null> {
    return context.providers.findById(requireId(id, "id"));
  }

  @Query(() => [Provider], { description: "Providers whose service area contains the point, by name; optionally of one kind" })
  async providersServing(
    @Arg("longitude", () => Float) longitude: number,
    @Arg("latitude", () => Float) latitude: number,
    @Arg("kind", () => ServiceKind, { nullable: true }) kind: ServiceKind | null | undefined,
    @Ctx() context: ServicesContext,
  ): Promise<Provider[]> {
    return context.providers.findServing(checkPoint(longitude, latitude), kind);
  }

  @Authorized("admin")
  @Mutation(() => Provider, { description: "Registers a provider (admins)" })
  async createProvider(@Arg("input", () => ProviderCreateInput) input: ProviderCreateInput, @Ctx() context: ServicesContext): Promise<Provider> {
    return createProvider(writeDependencies(context), input);
  }

  @Authorized("admin", "provider")
  @Mutation(() => Provider, {
    description: "Changes a provider: admins anything, a provider's own key its contacts and service area",
  })
  async updateProvider(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => ProviderUpdateInput) input: ProviderUpdateInput,
    @Ctx() context: ServicesContext,
  ): Promise<Provider> {
    return updateProvider(writeDependencies(context), requireId(id, "id"), input);
  }
}

function writeDependencies(context: ServicesContext): ProviderWriteDependencies {
  return { identity: context.identity, providers: context.providers, city: context.outages.city };
}

/** Ids are opaque, but an empty or absurdly long one is the caller's mistake, not a lookup. */
export function requireId(id: string, field: string): string {
  const trimmed = id.trim();
  if (trimmed === "" || trimmed.length > 200) {
    throw new UserInputError(`${field} must be a non-empty id of at most 200 characters`, { field });
  }
  return trimmed;
}
