import type { DistrictSituation, OutageRepository } from "../outage/outage.repository.js";
import type { Outage } from "../outage/outage.model.js";

/**
 * Batches `District.activeOutages` and `District.peopleAffectedNow` within one request: the gateway
 * asks for every district of a query in one `_entities` call, whose fields resolve in the same tick,
 * so all of them share one query of the store instead of one (or two) each. People affected follow
 * from the same active outages, so asking for both costs one read. One loader per request (made in
 * the server's context), so nothing is cached across requests.
 */
export class DistrictSituationLoader {
  private pending:
    | { districtIds: Set<string>; outages: boolean; outageFields: Set<string> | undefined; result: Promise<Map<string, DistrictSituation>> }
    | undefined;

  constructor(private readonly outages: Pick<OutageRepository, "districtSituations">) {}

  /** `fields`: the GraphQL fields of Outage the caller will read; all of them when absent. */
  async activeOutages(districtId: string, fields?: Iterable<string>): Promise<Outage[]> {
    return (await this.load(districtId, fields ?? "all"))?.outages ?? [];
  }

  async peopleAffectedNow(districtId: string): Promise<number> {
    return (await this.load(districtId, "none"))?.peopleAffectedNow ?? 0;
  }

  private async load(districtId: string, fields: Iterable<string> | "all" | "none"): Promise<DistrictSituation | undefined> {
    if (!this.pending) {
      const batch = {
        districtIds: new Set<string>(),
        outages: false,
        outageFields: new Set<string>() as Set<string> | undefined,
        result: new Promise<Map<string, DistrictSituation>>((resolve, reject) => {
          // Runs after the resolvers of this tick have all asked, so it knows every district and
          // whether any of them wants the outages themselves.
          setImmediate(() => {
            this.pending = undefined;
            this.outages
              .districtSituations([...batch.districtIds], {
                outages: batch.outages,
                ...(batch.outages && batch.outageFields ? { outageFields: batch.outageFields } : {}),
              })
              .then(resolve, reject);
          });
        }),
      };
      this.pending = batch;
    }
    const pending = this.pending;
    pending.districtIds.add(districtId);
    if (fields !== "none") {
      pending.outages = true;
      // The union of what every caller of the tick reads; one caller wanting everything wins.
      if (fields === "all") pending.outageFields = undefined;
      else if (pending.outageFields) for (const field of fields) pending.outageFields.add(field);
    }
    return (await pending.result).get(districtId);
  }
}
