/**
 * Batches the lookups one request makes in the same tick into one query: the gateway asks for many
 * districts (or stations) in one `_entities` call, whose fields all resolve in the same tick. One
 * loader per request (made in the server's context), so nothing is cached across requests.
 */
export class BatchLoader<K, V> {
  private pending: { keys: Set<K>; result: Promise<Map<K, V>> } | undefined;

  constructor(
    private readonly loadMany: (keys: readonly K[]) => Promise<Map<K, V>>,
    private readonly missing: () => V,
  ) {}

  async load(key: K): Promise<V> {
    if (!this.pending) {
      const keys = new Set<K>();
      const result = new Promise<Map<K, V>>((resolve, reject) => {
        // Runs after the resolvers of this tick have all asked.
        setImmediate(() => {
          this.pending = undefined;
          this.loadMany([...keys]).then(resolve, reject);
        });
      });
      this.pending = { keys, result };
    }
    this.pending.keys.add(key);
    const values = await this.pending.result;
    return values.get(key) ?? this.missing();
  }
}
