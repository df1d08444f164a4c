/**
 * The query that joins all three subgraphs on a district, and what it must answer, computed from
 * the store itself rather than written down: the district as the city stores it, the outages the
 * services repository finds intersecting its boundary, the businesses located within it.
 */
import { openServicesRepositories } from "@situation/services-subgraph";
import type { Db } from "mongodb";

/** city: names, population, boundary; services: active outages and their providers; business: businesses. */
export const DISTRICT_VIEW_QUERY = /* GraphQL */ `
  query DistrictView($id: ID!) {
    district(id: $id) {
      nameCyrillic
      nameLatin
      population
      boundary { type }
      activeOutages { id kind status provider { name } }
      businesses(first: 5) { totalCount edges { node { name registryNumber } } }
    }
  }
`;

export interface DistrictView {
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  boundary: { type: string };
  activeOutages: { id: string; kind: string; status: string; provider: { name: string } }[];
  businesses: { totalCount: number; edges: { node: { name: string; registryNumber: string } }[] };
}

interface StoredDistrict {
  _id: string;
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  boundary: { type: "MultiPolygon"; coordinates: number[][][][] };
}

interface StoredBusiness {
  _id: string;
  name: string;
  registryNumber: string;
}

interface StoredProvider {
  _id: string;
  name: string;
}

/** Databases by name: a `MongoConnection` or a plain `MongoClient` both fit. */
export interface Store {
  db(name: string): Db;
}

/**
 * What `DISTRICT_VIEW_QUERY` must answer for `districtId`, read straight from the store. Outages use
 * the services repository's own "active now" rule; everything else is plain MongoDB queries.
 */
export async function expectedDistrictView(store: Store, districtId: string): Promise<DistrictView | null> {
  const district = await store.db("city").collection<StoredDistrict>("districts").findOne({ _id: districtId });
  if (district === null) return null;

  const outages = await openServicesRepositories(store).outages.findActiveIntersecting(district.boundary);
  const providerIds = [...new Set(outages.map((outage) => outage.providerId))];
  const providers = await store
    .db("services")
    .collection<StoredProvider>("providers")
    .find({ _id: { $in: providerIds } })
    .toArray();
  const providerName = new Map(providers.map((provider) => [provider._id, provider.name]));

  const within = { location: { $geoWithin: { $geometry: district.boundary } } };
  const businesses = store.db("business").collection<StoredBusiness>("businesses");
  const [totalCount, firstPage] = await Promise.all([
    businesses.countDocuments(within),
    // The subgraph pages businesses by id.
    businesses.find(within).sort({ _id: 1 }).limit(5).toArray(),
  ]);

  return {
    nameCyrillic: district.nameCyrillic,
    nameLatin: district.nameLatin,
    population: district.population,
    boundary: { type: district.boundary.type },
    activeOutages: outages.map((outage) => ({
      id: outage.id,
      // GraphQL enum values are the upper-case names of the stored values (WATER for "water").
      kind: outage.kind.toUpperCase(),
      status: outage.status.toUpperCase(),
      provider: { name: providerName.get(outage.providerId) ?? `(no provider ${outage.providerId})` },
    })),
    businesses: {
      totalCount,
      edges: firstPage.map((business) => ({ node: { name: business.name, registryNumber: business.registryNumber } })),
    },
  };
}
