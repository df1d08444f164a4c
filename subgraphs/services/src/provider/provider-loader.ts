import type { ServicesContext } from "../context.js";
import type { Provider } from "./provider.model.js";
import type { ProviderRepository } from "./provider.repository.js";

/**
 * Batches `Outage.provider` within one request: a district view lists hundreds of outages of a few
 * providers, whose `provider` fields resolve in the same tick; they share one `$in` read instead of
 * one lookup each. Kept per request context, so nothing is cached across requests.
 */
export class ProviderLoader {
  private pending: { ids: Set<string>; result: Promise<Map<string, Provider>> } | undefined;

  constructor(private readonly providers: Pick<ProviderRepository, "findByIds">) {}

  async load(id: string): Promise<Provider | null> {
    if (!this.pending) {
      const ids = new Set<string>();
      const result = new Promise<Map<string, Provider>>((resolve, reject) => {
        setImmediate(() => {
          this.pending = undefined;
          this.providers.findByIds([...ids]).then(resolve, reject);
        });
      });
      this.pending = { ids, result };
    }
    this.pending.ids.add(id);
    return (await this.pending.result).get(id) ?? null;
  }
}

const loaders = new WeakMap<ServicesContext, ProviderLoader>();

/** The request's provider loader, made on first use. */
export function providerLoader(context: ServicesContext): ProviderLoader {
  let loader = loaders.get(context);
  if (!loader) {
    loader = new ProviderLoader(context.providers);
    loaders.set(context, loader);
  }
  return loader;
}
