import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { ForbiddenError, hasRole, UserInputError, type Identity } from "@situation/platform";
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Authorized, Ctx, Field, ID, Info, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { IssuedApiKey } from "../api-key/api-key.model.js";
import type { BusinessContext } from "../context.js";
import { selectsField, toBusinessConnection } from "./business-page.js";
import { BusinessSearchArgs, RegisterBusinessInput, UpdateBusinessInput, type LocationInput } from "./business.inputs.js";
import { Business, BusinessConnection, BusinessPageArgs } from "./business.model.js";
import type { BusinessPatch } from "./business.repository.js";

@ObjectType({ description: "A newly registered business and its API key, shown this once" })
export class RegisteredBusiness {
  @Field(() => Business)
  business!: Business;

  @Field(() => IssuedApiKey)
  apiKey!: IssuedApiKey;
}

/** Fields of UpdateBusinessInput that only city staff (and admins) may change. */
const REGISTRY_FIELDS = ["name", "taxId", "activity", "address", "location"] as const;

const toPoint = (location: LocationInput) => ({ type: "Point", coordinates: [location.longitude, location.latitude] });

/** Staff and admins act on any business; a business only on itself. */
export function assertMayActOn(identity: Identity, businessId: string): void {
  if (hasRole(identity, "admin", "city-staff")) return;
  if (hasRole(identity, "business") && identity.businessId === businessId) return;
  throw new ForbiddenError(`may not act on business ${businessId}`, { details: { businessId } });
}

// Reading the registry fields is public (see Business); writes say their roles with @Authorized and
// check ownership here.
@Resolver(() => Business)
export class BusinessResolver {
  @Query(() => Business, { nullable: true, description: "One business by id; null if there is none" })
  business(@Arg("id", () => ID) id: string, @Ctx() context: BusinessContext): Promise<Business | null> {
    return context.businesses.findById(id);
  }

  @Query(() => BusinessConnection, { description: "Every business, a page at a time, by id" })
  async businesses(
    @Args(() => BusinessPageArgs) { first, after }: BusinessPageArgs,
    @Ctx() context: BusinessContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<BusinessConnection> {
    return toBusinessConnection(await context.businesses.findPage({ first, after, count: selectsField(info, "totalCount") }));
  }

  @Query(() => BusinessConnection, {
    description: "Businesses by name (either script, diacritics optional), activity, district or distance; all given criteria apply; by id",
  })
  async searchBusinesses(
    @Args(() => BusinessSearchArgs) { first, after, query, activityCode, districtId, near }: BusinessSearchArgs,
    @Ctx() context: BusinessContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<BusinessConnection> {
    let within: unknown;
    if (districtId !== undefined && districtId !== null) {
      const district = KRUSEVAC_DISTRICTS.find((candidate) => candidate.id === districtId);
      if (district === undefined) throw new UserInputError(`districtId: no district ${JSON.stringify(districtId)}`, { field: "districtId" });
      within = district.boundary;
    }
    const page = await context.businesses.search(
      { text: query ?? null, activityCode: activityCode ?? null, within, near: near ?? null },
      { first, after, count: selectsField(info, "totalCount") },
    );
    return toBusinessConnection(page);
  }

  @Authorized("business")
  @Query(() => Business, { description: "The business the caller's API key belongs to" })
  async myBusiness(@Ctx() context: BusinessContext): Promise<Business> {
    const businessId = ownBusinessId(context.identity);
    const business = await context.businesses.findById(businessId);
    if (business === null) throw new ForbiddenError(`business ${businessId} is not registered`);
    return business;
  }

  @Authorized("city-staff")
  @Mutation(() => RegisteredBusiness, { description: "Registers a business and issues its API key (returned this once)" })
  async registerBusiness(
    @Arg("input", () => RegisterBusinessInput) input: RegisterBusinessInput,
    @Ctx() context: BusinessContext,
  ): Promise<RegisteredBusiness> {
    const business = await context.businesses.register({ ...input, location: toPoint(input.location) });
    const apiKey = await context.apiKeys.issue(business.id);
    context.logger.info({ businessId: business.id, keyId: apiKey.keyId }, "business registered");
    return { business, apiKey };
  }

  @Authorized("city-staff", "business")
  @Mutation(() => Business, { description: "Changes a business: staff any field, a business its own trading name, contacts and hours" })
  async updateBusiness(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateBusinessInput) input: UpdateBusinessInput,
    @Ctx() context: BusinessContext,
  ): Promise<Business> {
    assertMayActOn(context.identity, id);
    const given = Object.entries(input).filter(([, value]) => value !== undefined);
    if (!hasRole(context.identity, "admin", "city-staff")) {
      const registryField = given.map(([field]) => field).find((field) => (REGISTRY_FIELDS as readonly string[]).includes(field));
      if (registryField !== undefined) {
        throw new ForbiddenError(`only city staff may change ${registryField}`, { details: { field: registryField } });
      }
    }
    const patch: BusinessPatch = {};
    for (const [field, value] of given) {
      if ((REGISTRY_FIELDS as readonly string[]).includes(field) && value === null) {
        throw new UserInputError(`${field} is required and cannot be cleared`, { field });
      }
      (patch as Record<string, unknown>)[field] = field === "location" ? toPoint(value as LocationInput) : value;
    }
    return context.businesses.update(id, patch);
  }
}

/** The business a caller's identity is scoped to; `ForbiddenError` for callers that are not a business. */
export function ownBusinessId(identity: Identity): string {
  if (identity.businessId === undefined) throw new ForbiddenError("only a business's own API key may do this");
  return identity.businessId;
}
