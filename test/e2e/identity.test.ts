/**
 * Who may see what, end to end: subgraphs refuse anyone but the gateway; the gateway turns bearer
 * tokens and API keys into the identity it signs for the subgraphs, which check roles themselves;
 * bad credentials and bad input get their documented codes, and the stack keeps answering.
 */
import {
  ANONYMOUS,
  createApiKey,
  IDENTITY_HEADER,
  issueAccessToken,
  PLATFORM_DATABASE,
  signIdentity,
} from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodesOf, postGraphQL, type GraphQLAnswer } from "../support/graphql.js";
import { startStack, type Stack, type SubgraphUrls } from "../support/stack.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ name: "identity" });
});

afterAll(async () => {
  await stack?.close();
});

const SUBGRAPHS: readonly (keyof SubgraphUrls)[] = ["city", "services", "business"];
// A question every subgraph can answer, whatever its own types.
const TYPENAME_QUERY = { query: "{ __typename }" };
const A_SECRET_NOBODY_SHARES = "e2e-a-secret-that-only-an-attacker-knows-0123456789";

// Outage provenance (`source`) is restricted to operators, city staff and admins in the services subgraph.
const OUTAGES_WITH_SOURCE = "{ outages(first: 3) { nodes { id kind source } } }";

interface OutagesWithSource {
  outages: { nodes: { id: string; kind: string; source: string | null }[] };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe("a subgraph called directly, not through the gateway", () => {
  it.each(SUBGRAPHS)("%s refuses a request without the signed identity header with 401", async (subgraph) => {
    const response = await fetch(stack.subgraphUrls[subgraph], {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(TYPENAME_QUERY),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as GraphQLAnswer;
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(body.data ?? undefined).toBeUndefined();
  });

  it.each(SUBGRAPHS)("%s refuses an identity signed with another secret with 401", async (subgraph) => {
    const forged = await signIdentity({ subject: "mallory", roles: ["admin"] }, A_SECRET_NOBODY_SHARES);
    const answer = await postGraphQL(stack.subgraphUrls[subgraph], TYPENAME_QUERY, { [IDENTITY_HEADER]: forged });
    expect(answer.status).toBe(401);
    expect(errorCodesOf(answer)).toEqual(["UNAUTHENTICATED"]);
  });

  it.each(SUBGRAPHS)("%s answers when the identity is signed with the shared secret", async (subgraph) => {
    // The control for the two refusals above: the same request, correctly signed, goes through.
    const signed = await signIdentity(ANONYMOUS, stack.config.identitySecret);
    const answer = await postGraphQL(stack.subgraphUrls[subgraph], TYPENAME_QUERY, { [IDENTITY_HEADER]: signed });
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ __typename: "Query" });
  });
});

describe("through the gateway", () => {
  it("gives anonymous callers public data, and refuses them an operator-only field with UNAUTHENTICATED", async () => {
    const answer = await stack.query<OutagesWithSource>(OUTAGES_WITH_SOURCE);
    expect(answer.status).toBe(200);
    const nodes = answer.data?.outages.nodes ?? [];
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((outage) => typeof outage.kind === "string" && outage.source === null)).toBe(true);
    expect(answer.errors?.length).toBe(nodes.length);
    expect(new Set(errorCodesOf(answer))).toEqual(new Set(["UNAUTHENTICATED"]));
    expect(answer.errors?.[0]?.path).toEqual(["outages", "nodes", 0, "source"]);
  });

  it("gives an operator's bearer token the operator-only field", async () => {
    const token = await issueAccessToken({ subject: "e2e-operator-ana", roles: ["operator"] }, stack.config.jwtSecret);
    const answer = await stack.query<OutagesWithSource>(OUTAGES_WITH_SOURCE, undefined, bearer(token));
    expect(answer.errors).toBeUndefined();
    const stored = await stack.mongo
      .db("services")
      .collection<{ _id: string; source?: string }>("outages")
      .find({ _id: { $in: answer.data?.outages.nodes.map((outage) => outage.id) ?? [] } })
      .toArray();
    const sourceById = new Map(stored.map((outage) => [outage._id, outage.source ?? null]));
    expect(answer.data?.outages.nodes.length).toBeGreaterThan(0);
    for (const outage of answer.data?.outages.nodes ?? []) {
      expect(outage.source).not.toBeNull();
      expect(outage.source).toBe(sourceById.get(outage.id));
    }
  });

  it("accepts a provider's API key: public data, and FORBIDDEN (not UNAUTHENTICATED) for the operator-only field", async () => {
    const { key } = await createApiKey(stack.mongo.db(PLATFORM_DATABASE), {
      roles: ["provider"],
      providerId: "jkp-vodovod-krusevac",
      label: "e2e identity test: JKP Vodovod Kruševac",
    });
    const answer = await stack.query<OutagesWithSource>(OUTAGES_WITH_SOURCE, undefined, { "x-api-key": key });
    expect(answer.status).toBe(200);
    expect(answer.data?.outages.nodes.length).toBeGreaterThan(0);
    // The subgraph knew who called: a provider lacks the role, which is a different answer from "nobody".
    expect(new Set(errorCodesOf(answer))).toEqual(new Set(["FORBIDDEN"]));
  });

  it("refuses a bearer token signed with another secret with 401 UNAUTHENTICATED", async () => {
    const forged = await issueAccessToken({ subject: "e2e-mallory", roles: ["admin"] }, A_SECRET_NOBODY_SHARES);
    const answer = await stack.query("{ districts { id } }", undefined, bearer(forged));
    expect(answer.status).toBe(401);
    expect(answer.data ?? undefined).toBeUndefined();
    expect(answer.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED" });
  });

  it("refuses an API key nobody was given with 401 UNAUTHENTICATED", async () => {
    const answer = await stack.query("{ districts { id } }", undefined, { "x-api-key": "shk_e2e_no_such_key_was_ever_issued" });
    expect(answer.status).toBe(401);
    expect(answer.data ?? undefined).toBeUndefined();
    expect(answer.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED" });
  });
});

describe("bad input", () => {
  it("answers businesses(first: -1) with BAD_USER_INPUT naming the argument", async () => {
    const answer = await stack.query("{ businesses(first: -1) { totalCount } }");
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  });

  it("answers a cursor the API never gave with BAD_USER_INPUT naming the argument, also inside the join", async () => {
    const answer = await stack.query('{ district(id: "centar") { nameLatin businesses(after: "not-a-cursor") { totalCount } } }');
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect(answer.errors?.[0]?.path).toEqual(["district", "businesses"]);
  });

  it("keeps answering afterwards", async () => {
    const answer = await stack.query<{ district: { nameLatin: string; businesses: { totalCount: number } } }>(
      '{ district(id: "centar") { nameLatin businesses(first: 1) { totalCount } } }',
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.district.nameLatin).toBe("Centar");
    expect(answer.data?.district.businesses.totalCount).toBeGreaterThan(0);
    const health = await fetch(new URL("/health", stack.gatewayUrl));
    expect(health.status).toBe(200);
  });
});
