import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { CityContext } from "../context.js";
import type { ServiceCategoryRepository } from "../service-catalog/service-catalog.repository.js";
import { ServiceCategory, toServiceCategory, type ServiceCategoryDocument } from "../service-catalog/service-catalog.model.js";
import { Provider } from "./provider.model.js";

/**
 * The catalog categories a provider answers for: those whose requests go to it, everywhere or (by a
 * routing rule) in some districts. The catalog is the one place that says so; the services subgraph
 * owns the provider but keeps no list of its categories.
 */
@Resolver(() => Provider)
export class ProviderCategoriesResolver {
  // Public, as the catalog itself is: citizens see which utility answers which kind of request.
  @FieldResolver(() => [ServiceCategory], {
    description: "Active catalog categories whose requests go to this provider (everywhere or, by a routing rule, in some districts), by code",
  })
  async serviceCategories(@Root() provider: Provider, @Ctx() context: CityContext): Promise<ServiceCategory[]> {
    return categoriesLoader(context).load(provider.id);
  }
}

/** Whether requests of the category are routed to the provider anywhere. */
export function answersFor(category: Pick<ServiceCategoryDocument, "responsible" | "routingRules">, providerId: string): boolean {
  const isProvider = (assignee: ServiceCategoryDocument["responsible"]) => assignee.kind === "provider" && assignee.id === providerId;
  return isProvider(category.responsible) || category.routingRules.some((rule) => isProvider(rule.responsible));
}

/**
 * Batches the providers of one request (the gateway resolves them in one `_entities` call, in one
 * tick) into one read of the catalog. Kept per request context, so nothing is cached across requests.
 */
export class ProviderCategoriesLoader {
  private pending: Promise<ServiceCategoryDocument[]> | undefined;

  constructor(private readonly catalog: Pick<ServiceCategoryRepository, "findAll">) {}

  async load(providerId: string): Promise<ServiceCategory[]> {
    if (!this.pending) {
      const pending = new Promise<ServiceCategoryDocument[]>((resolve, reject) => {
        setImmediate(() => {
          this.pending = undefined;
          this.catalog.findAll().then(resolve, reject);
        });
      });
      this.pending = pending;
    }
    const categories = await this.pending;
    return categories.filter((category) => answersFor(category, providerId)).map(toServiceCategory);
  }
}

const loaders = new WeakMap<CityContext, ProviderCategoriesLoader>();

function categoriesLoader(context: CityContext): ProviderCategoriesLoader {
  let loader = loaders.get(context);
  if (!loader) {
    loader = new ProviderCategoriesLoader(context.serviceCategories);
    loaders.set(context, loader);
  }
  return loader;
}
