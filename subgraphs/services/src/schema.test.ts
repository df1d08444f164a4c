import { printSubgraphSdl } from "@situation/subgraph-kit";
import { describe, expect, it } from "vitest";
import { buildServicesSchema } from "./schema.js";

describe("the services subgraph schema", () => {
  it("declares its entities and extends District with active outages found by the district's id alone", async () => {
    const sdl = printSubgraphSdl(await buildServicesSchema());
    expect(sdl).toMatch(/type Provider\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Outage\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type District\s+@key\(fields: "id"\)/);
    // Outages store the districts they affect: the gateway need not fetch the boundary from city first.
    expect(sdl).not.toMatch(/boundary: GeoMultiPolygon! @external/);
    expect(sdl).toMatch(/activeOutages: \[Outage!\]!\n/);
    expect(sdl).toMatch(/enum ServiceKind \{\s+WATER\s+HEATING\s+ELECTRICITY\s+WASTE\s+TRANSPORT\s+\}/);
    expect(sdl).toMatch(/enum OutageStatus \{\s+ANNOUNCED\s+ACTIVE\s+RESOLVED\s+CANCELLED\s+\}/);
    expect(sdl).toMatch(/outages\(after: String, first: Int = 20, status: OutageStatus\): OutageConnection!/);
    expect(sdl).toMatch(/peopleAffectedNow: Int!/);
    expect(sdl).toMatch(/type Business\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/location: GeoPoint! @external/);
    expect(sdl).toMatch(/affectingOutages: \[Outage!\]! @requires\(fields: "location \{ type coordinates \}"\)/);
  });

  it("offers providers' mutations and operators' queries", async () => {
    const sdl = printSubgraphSdl(await buildServicesSchema());
    expect(sdl).toMatch(/createOutage\(input: OutageInput!\): Outage!/);
    expect(sdl).toMatch(/updateOutage\(input: OutageUpdateInput!, id: ID!\): Outage!/);
    expect(sdl).toMatch(/upsertOutages\(items: \[OutageInput!\]!\): OutageBatchResult!/);
    expect(sdl).toMatch(/setServiceStatus\([^)]*status: ServiceStatusLevel![^)]*providerId: ID!\s*\): ServiceStatus!/);
    expect(sdl).toMatch(/serviceStatusBoard\(/);
    expect(sdl).toMatch(/createProvider\(input: ProviderCreateInput!\): Provider!/);
    expect(sdl).toMatch(/updateProvider\(input: ProviderUpdateInput!, id: ID!\): Provider!/);
    expect(sdl).toMatch(/providersServing\([^)]*latitude: Float![^)]*\): \[Provider!\]!/);
    expect(sdl).toMatch(/activeOutages\(after: String, first: Int = 20, filter: ActiveOutagesFilter\): OutageConnection!/);
  });
});
