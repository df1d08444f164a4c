import type { OutageRepository } from "../outage/outage.repository.js";

/**
 * Batches `District.peopleAffectedNow` within one request: the gateway asks for many districts in one
 * `_entities` call, whose fields resolve in the same tick, so they share one query instead of one each.
 * One loader per request (made in the server's context), so nothing is cached across requests.
 */
export class PeopleAffectedLoader {
  private pending: { districtIds: Set<string>; result: Promise<Map<string, number>> } | undefined;

  constructor(private readonly outages: Pick<OutageRepository, "peopleAffectedNow">) {}

  async load(districtId: string): Promise<number> {
    if (!this.pending) {
      const districtIds = new Set<string>();
      const result = new Promise<Map<string, number>>((resolve, reject) => {
        // Runs after the resolvers of this tick have all asked.
        setImmediate(() => {
          this.pending = undefined;
          this.outages.peopleAffectedNow([...districtIds]).then(resolve, reject);
        });
      });
      this.pending = { districtIds, result };
    }
    this.pending.districtIds.add(districtId);
    const people = await this.pending.result;
    return people.get(districtId) ?? 0;
  }
}
