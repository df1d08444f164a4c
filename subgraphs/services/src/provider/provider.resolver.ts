import { UserInputError } from "@situation/platform";
import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Provider } from "./provider.model.js";

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
}

/** Ids are opaque, but an empty or absurdly long one is the caller's mistake, not a lookup. */
export function requireId(id: string, field: string): string {
  const trimmed = id.trim();
  if (trimmed === "" || trimmed.length > 200) {
    throw new UserInputError(`${field} must be a non-empty id of at most 200 characters`, { field });
  }
  return trimmed;
}
