import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { CityContext } from "../context.js";
import { ServiceCategory, ServiceCategoryInput, toServiceCategory } from "./service-catalog.model.js";

@Resolver(() => ServiceCategory)
export class ServiceCatalogResolver {
  // The catalog is public: citizens (and Open311 clients) choose a category before submitting.
  @Query(() => [ServiceCategory], { description: "The service catalog, by code; active categories unless includeInactive" })
  async serviceCategories(
    @Arg("includeInactive", () => Boolean, { nullable: true, defaultValue: false }) includeInactive: boolean | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceCategory[]> {
    const documents = await context.serviceCategories.findAll({ includeInactive: includeInactive === true });
    return documents.map(toServiceCategory);
  }

  @Query(() => ServiceCategory, { nullable: true, description: "One category by code (also an inactive one); null if there is none" })
  async serviceCategory(@Arg("code", () => ID) code: string, @Ctx() context: CityContext): Promise<ServiceCategory | null> {
    const document = await context.serviceCategories.findByCode(code.trim());
    return document ? toServiceCategory(document) : null;
  }

  @Authorized("admin", "city-staff")
  @Mutation(() => ServiceCategory, { description: "Creates a category or replaces it by code (staff edit the catalog)" })
  async upsertServiceCategory(
    @Arg("input", () => ServiceCategoryInput) input: ServiceCategoryInput,
    @Ctx() context: CityContext,
  ): Promise<ServiceCategory> {
    const document = await context.serviceCategories.upsert(input);
    context.logger.info({ category: document._id, by: context.identity.subject }, "service category saved");
    return toServiceCategory(document);
  }
}
