import { describe, expect, it } from "vitest";
import { checkConnectorOptions } from "./sync-connectors.js";

describe("the options of the open311, business-registry-csv and gtfs-realtime connectors", () => {
  it("fills the defaults of a valid configuration", () => {
    expect(checkConnectorOptions("open311", { serviceCodes: { POTHOLE: "roads" } })).toEqual({
      ok: true,
      options: { serviceCodes: { POTHOLE: "roads" }, closedStatus: "closed", lookbackHours: 48, timeoutMs: 15_000, maxBytes: 5 * 1024 * 1024 },
    });
    expect(checkConnectorOptions("business-registry-csv", { newBusinessLocation: [21.3336, 43.5801] })).toMatchObject({
      ok: true,
      options: { columns: {}, delimiter: "auto", timeoutMs: 1_800_000, maxBytes: 256 * 1024 * 1024 },
    });
    expect(checkConnectorOptions("gtfs-realtime", { providerId: "gradski-prevoz-krusevac" })).toMatchObject({
      ok: true,
      options: { routeAreas: {}, language: "sr", fullSnapshot: true },
    });
  });

  it("names the option at fault", () => {
    expect(checkConnectorOptions("open311", {})).toMatchObject({ ok: false, field: "options.serviceCodes" });
    expect(checkConnectorOptions("open311", { serviceCodes: {} })).toMatchObject({ ok: false, field: "options.serviceCodes", message: "must map at least one service_code to a category code" });
    expect(checkConnectorOptions("open311", { serviceCodes: { A: "roads" }, closedStatus: "done" })).toMatchObject({ ok: false, field: "options.closedStatus" });
    expect(checkConnectorOptions("business-registry-csv", { newBusinessLocation: [221, 43] })).toMatchObject({ ok: false, field: "options.newBusinessLocation.0" });
    expect(checkConnectorOptions("business-registry-csv", { newBusinessLocation: [21, 43], columns: { nickname: "X" } })).toMatchObject({ ok: false, field: "options.columns.nickname" });
    expect(checkConnectorOptions("business-registry-csv", { newBusinessLocation: [21, 43], delimiter: "|" })).toMatchObject({ ok: false, field: "options.delimiter" });
    expect(checkConnectorOptions("gtfs-realtime", {})).toMatchObject({ ok: false, field: "options.providerId" });
    expect(checkConnectorOptions("gtfs-realtime", { providerId: "p", routeAreas: { "7": { type: "Point", coordinates: [21, 43] } } })).toMatchObject({ ok: false, field: "options.routeAreas.7" });
    expect(checkConnectorOptions("gtfs-realtime", { providerId: "p", vehicles: true })).toMatchObject({ ok: false, field: "options.vehicles", message: "is not an option of this connector" });
  });
});
