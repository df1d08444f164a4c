import { describe, expect, it } from "vitest";
import { compareVersions, topologyFromHello, unmetRequirements, type ServerFacts } from "./requirements.js";

/** What a MongoDB 7.0 standalone without auth reports. */
const standalone70: ServerFacts = {
  version: "7.0.12",
  topology: "single",
  serverless: false,
  auth: false,
  csfle: false,
  serverParameters: { enableTestCommands: true, featureCompatibilityVersion: { version: "7.0" } },
  supportsSessions: true,
};

describe("compareVersions", () => {
  it("compares numerically, component by component", () => {
    expect(compareVersions("7.0.12", "4.2.99")).toBe(1);
    expect(compareVersions("4.2.99", "4.10")).toBe(-1);
    expect(compareVersions("7.0", "7.0.0")).toBe(0);
    expect(compareVersions("7.0.2-rc1", "7.0.2")).toBe(0);
  });
});

describe("unmetRequirements", () => {
  it("is met without requirements", () => {
    expect(unmetRequirements(undefined, standalone70)).toBeUndefined();
    expect(unmetRequirements([], standalone70)).toBeUndefined();
  });

  it("checks minServerVersion and maxServerVersion, both inclusive", () => {
    expect(unmetRequirements([{ minServerVersion: "4.3.4" }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ minServerVersion: "7.0.12" }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ minServerVersion: "7.1.0" }], standalone70)).toMatch(/needs server >= 7.1.0/);
    expect(unmetRequirements([{ maxServerVersion: "4.99" }], standalone70)).toMatch(/needs server <= 4.99/);
    expect(unmetRequirements([{ minServerVersion: "3.6.0", maxServerVersion: "4.2.99" }], standalone70)).toBeDefined();
  });

  it("checks topologies, serverless, auth and csfle", () => {
    expect(unmetRequirements([{ topologies: ["single", "replicaset"] }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ topologies: ["sharded"] }], standalone70)).toMatch(/needs topology sharded/);
    expect(unmetRequirements([{ serverless: "forbid" }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ serverless: "allow" }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ serverless: "require" }], standalone70)).toBeDefined();
    expect(unmetRequirements([{ auth: false }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ auth: true }], standalone70)).toBeDefined();
    expect(unmetRequirements([{ csfle: true }], standalone70)).toBeDefined();
  });

  it("is met when any one requirement is", () => {
    const shardedOr44 = [
      { minServerVersion: "4.2.0", topologies: ["sharded"] },
      { minServerVersion: "4.0.0", topologies: ["single", "replicaset"] },
    ];
    expect(unmetRequirements(shardedOr44, standalone70)).toBeUndefined();
    expect(unmetRequirements([{ topologies: ["sharded"] }, { maxServerVersion: "4.4" }], standalone70)).toMatch(/; or /);
  });

  it("compares serverParameters with the matching rules", () => {
    expect(unmetRequirements([{ serverParameters: { enableTestCommands: true } }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ serverParameters: { featureCompatibilityVersion: { version: "7.0" } } }], standalone70)).toBeUndefined();
    expect(unmetRequirements([{ serverParameters: { enableTestCommands: false } }], standalone70)).toBeDefined();
    expect(unmetRequirements([{ serverParameters: { unknownParameter: 1 } }], standalone70)).toMatch(/needs server parameter unknownParameter/);
  });
});

describe("topologyFromHello", () => {
  it("tells standalones, replica sets and mongos apart", () => {
    expect(topologyFromHello({ isWritablePrimary: true })).toBe("single");
    expect(topologyFromHello({ isWritablePrimary: true, setName: "rs0" })).toBe("replicaset");
    expect(topologyFromHello({ msg: "isdbgrid" })).toBe("sharded");
  });
});
