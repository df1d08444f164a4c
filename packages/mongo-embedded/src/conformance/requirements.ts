/**
 * `runOnRequirements`: whether the server under test is one a file or test was written for. A list of
 * requirements is met when any one of them is; a requirement is met when all of its fields are.
 */
import type { Document } from "mongodb";
import { matchResult } from "./match.js";
import type { RunOnRequirement } from "./unified-format.js";

export type Topology = "single" | "replicaset" | "sharded" | "load-balanced";

/** What the server reports about itself (hello, buildInfo, getParameter) and how we connect. */
export interface ServerFacts {
  version: string;
  topology: Topology;
  serverless: boolean;
  auth: boolean;
  authMechanism?: string;
  csfle: boolean;
  serverParameters: Document;
  supportsSessions: boolean;
}

/** Undefined when the requirements are met (or absent), else why not, for the skip message. */
export function unmetRequirements(requirements: RunOnRequirement[] | undefined, facts: ServerFacts): string | undefined {
  if (requirements === undefined || requirements.length === 0) return undefined;
  const reasons: string[] = [];
  for (const requirement of requirements) {
    const reason = unmetRequirement(requirement, facts);
    if (reason === undefined) return undefined;
    reasons.push(reason);
  }
  return reasons.join("; or ");
}

function unmetRequirement(requirement: RunOnRequirement, facts: ServerFacts): string | undefined {
  const { minServerVersion, maxServerVersion, topologies, serverless, serverParameters, auth, authMechanism, csfle } = requirement;
  if (minServerVersion !== undefined && compareVersions(facts.version, minServerVersion) < 0) {
    return `needs server >= ${minServerVersion} (server is ${facts.version})`;
  }
  if (maxServerVersion !== undefined && compareVersions(facts.version, maxServerVersion) > 0) {
    return `needs server <= ${maxServerVersion} (server is ${facts.version})`;
  }
  if (topologies !== undefined && !topologies.some((topology) => topologyMatches(topology, facts.topology))) {
    return `needs topology ${topologies.join("/")} (server is ${facts.topology})`;
  }
  if (serverless === "require" && !facts.serverless) return "needs a serverless deployment";
  if (serverless === "forbid" && facts.serverless) return "cannot run on a serverless deployment";
  if (auth !== undefined && auth !== facts.auth) return auth ? "needs authentication" : "needs authentication disabled";
  if (authMechanism !== undefined && authMechanism !== facts.authMechanism) return `needs auth mechanism ${authMechanism}`;
  if (csfle !== undefined && csfle !== facts.csfle) return csfle ? "needs client-side field level encryption" : "needs CSFLE unavailable";
  for (const [name, expected] of Object.entries(serverParameters ?? {})) {
    if (!(name in facts.serverParameters)) return `needs server parameter ${name}`;
    const mismatch = matchResult(expected, facts.serverParameters[name]);
    if (mismatch !== undefined) return `needs server parameter ${name}: ${mismatch}`;
  }
  return undefined;
}

function topologyMatches(required: string, actual: Topology): boolean {
  // "sharded-replicaset" is the deprecated name for a sharded cluster whose shards are replica sets.
  return required === actual || (required === "sharded-replicaset" && actual === "sharded");
}

/**
 * Compares dotted version strings numerically ("4.2.99" < "4.10"); missing components count as 0,
 * and anything after the numbers ("7.0.2-rc1") is ignored.
 */
export function compareVersions(left: string, right: string): number {
  const leftParts = versionParts(left);
  const rightParts = versionParts(right);
  for (let index = 0; index < Math.max(leftParts.length, rightParts.length); index++) {
    const difference = (leftParts[index] ?? 0) - (rightParts[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function versionParts(version: string): number[] {
  const numeric = /^\d+(\.\d+)*/.exec(version.trim());
  if (numeric === null) throw new Error(`not a version: ${version}`);
  return numeric[0].split(".").map(Number);
}

/** The topology a hello reply describes. */
export function topologyFromHello(hello: Document): Topology {
  if (hello.msg === "isdbgrid") return hello.serviceId !== undefined ? "load-balanced" : "sharded";
  if (typeof hello.setName === "string") return "replicaset";
  return "single";
}
