import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { buildFederatedSchema, printSubgraphSdl } from "./federated-schema.js";
import { WidgetResolver } from "./test-support/widget-subgraph.js";

describe("buildFederatedSchema", () => {
  it("prints a federation 2 subgraph SDL with the entity key and shareable geometry", async () => {
    const schema = await buildFederatedSchema({ resolvers: [WidgetResolver] });
    const sdl = printSubgraphSdl(schema);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3"');
    expect(sdl).toMatch(/type Widget\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type GeoPoint\s+@shareable/);
    expect(sdl).toContain("scalar GeoJSONCoordinates");
    expect(sdl).toContain("coordinates: GeoJSONCoordinates!");
  });

  it("adds the service and entity fields of a federated subgraph", async () => {
    const schema = await buildFederatedSchema({ resolvers: [WidgetResolver] });
    const queryFields = Object.keys(schema.getQueryType()?.getFields() ?? {});
    expect(queryFields).toEqual(expect.arrayContaining(["_service", "_entities", "widget"]));
  });

  it("refuses a reference resolver for a type the schema does not have", async () => {
    await expect(
      buildFederatedSchema({ resolvers: [WidgetResolver], referenceResolvers: { Gadget: () => undefined } }),
    ).rejects.toThrow(/Gadget/);
  });
});
