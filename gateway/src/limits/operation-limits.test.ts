import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { createOperationPrecheck, measureOperation, type CostModel } from "./operation-limits.js";

const schema = buildSchema(`
  type Query {
    district(id: ID!): District
    districts(first: Int = 10): [District!]!
    outages(limit: Int): [Outage!]!
    version: String
  }
  type Mutation { resolve(id: ID!): Outage }
  type District { id: ID! name: String! neighbours(first: Int = 5): [District!]! outages: [Outage!]! }
  type Outage { id: ID! district: District! }
`);

function measure(query: string, variables: Record<string, unknown> = {}, cost: CostModel = {}) {
  const document = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition;
  }
  return measureOperation(operation!, { schema, fragments, variables, cost });
}

describe("measureOperation", () => {
  it("measures depth, aliases and root fields, through fragments and inline fragments", () => {
    const measured = measure(`
      query { a: district(id: "x") { ...D } b: district(id: "y") { name } version __typename }
      fragment D on District { name ... on District { neighbours { n: name } } }
    `);
    expect(measured).toMatchObject({ depth: 3, aliases: 3, rootFields: 3 });
  });

  it("counts how often one response name repeats in a selection set, fragments included", () => {
    expect(measure('{ district(id: "x") { id name } }').repeatedFields).toBe(1);
    const measured = measure(`
      { district(id: "x") { id ...A ...B ... on District { id } neighbours { name name name name } } }
      fragment A on District { id name }
      fragment B on District { id ...A }
    `);
    // id: directly, in A, in B, in A through B, in the inline fragment
    expect(measured.repeatedFields).toBe(5);
    expect(measure('{ district(id: "x") { neighbours { n: id n: id n: id } } }').repeatedFields).toBe(3);
  });

  it("leaves introspection fields out of depth, root fields and cost", () => {
    const measured = measure("{ __schema { types { fields { type { ofType { ofType { name } } } } } } version }");
    expect(measured).toEqual({ depth: 1, aliases: 0, rootFields: 1, repeatedFields: 1, cost: 0 });
  });

  it("multiplies list costs by first/limit: literal, variable, schema default, then the default list size", () => {
    // 3 × (1 + 4 × 1) = 15
    expect(measure("{ districts(first: 3) { neighbours(first: 4) { id } } }").cost).toBe(15);
    // 7 × (1 + 5 × 1): the variable for `first`, the schema's default of 5 for `neighbours`
    expect(measure("query ($n: Int) { districts(first: $n) { neighbours { id } } }", { n: 7 }).cost).toBe(42);
    // An unset variable falls back to the argument's default (10)
    expect(measure("query ($n: Int) { districts(first: $n) { id } }").cost).toBe(10);
    // No size argument: the default list size (10), or the configured one
    expect(measure("{ outages { id } }").cost).toBe(10);
    expect(measure("{ outages { id } }", {}, { defaultListSize: 2 }).cost).toBe(2);
    expect(measure("{ outages(limit: 50) { id } }").cost).toBe(50);
  });

  it("applies configured field costs", () => {
    const cost: CostModel = { fieldCosts: { "Query.district": 10, "District.name": 2 } };
    expect(measure('{ district(id: "x") { name id } }', {}, cost).cost).toBe(12);
  });

  it("measures the mutation type for a mutation", () => {
    expect(measure('mutation { resolve(id: "x") { district { name } } }')).toMatchObject({ depth: 3, rootFields: 1, cost: 2 });
  });

  it("measures each fragment once, so nested spreads cannot cost exponential time", () => {
    // 30 levels of fragments spreading the next one twice: 2^30 fields if expanded at every spread.
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, level) =>
      level === levels - 1
        ? `fragment F${level} on District { x${level}: name }`
        : `fragment F${level} on District { ...F${level + 1} ...F${level + 1} }`,
    ).join("\n");
    const startedAt = performance.now();
    const measured = measure(`{ district(id: "x") { ...F0 } } ${fragments}`);
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(measured.aliases).toBe(2 ** (levels - 1));
    expect(measured.depth).toBe(2);
  });
});

describe("createOperationPrecheck", () => {
  const limits = { maxDepth: 3, maxAliases: 1, maxRootFields: 2, maxCost: 1, maxRepeatedFields: 2 };

  it("checks the shape of every operation in the text without a schema, and never the cost", () => {
    const precheck = createOperationPrecheck({ limits, maxTokens: 1_000 });
    expect(precheck("{ a { b { c } } }")).toBeUndefined();
    expect(precheck("query One { a } query Two { a { b { c { d } } } }")).toMatchObject({ limit: "depth", maximum: 3, actual: 4 });
    expect(precheck("{ x: a y: a }")).toMatchObject({ limit: "aliases", actual: 2 });
    expect(precheck("{ a b c }")).toMatchObject({ limit: "rootFields", actual: 3 });
    expect(precheck("{ a { b ...F ...F } } fragment F on T { b }")).toMatchObject({ limit: "repeatedFields", actual: 3 });
    // Lists and costs are the schema's business: left to the check at execution.
    expect(precheck("{ a(first: 1000) { b } }")).toBeUndefined();
  });

  it("leaves a text that does not parse, or has too many tokens, to Apollo's parser", () => {
    const precheck = createOperationPrecheck({ limits, maxTokens: 100 });
    expect(precheck("{ a { ")).toBeUndefined();
    expect(precheck(`{ ${"a ".repeat(200)} }`)).toBeUndefined();
  });
});
