/**
 * The committed `schemas/*.graphql` must be exactly what the code produces, and the subgraphs must
 * compose: otherwise the gateway would serve a supergraph that no longer matches the subgraphs.
 */
import { readFile } from "node:fs/promises";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { produceSchemas, type ProducedSchemas } from "./produce-schemas.js";

const schemasDirectory = new URL("../", import.meta.url);

let produced: Promise<ProducedSchemas> | undefined;
const producedOnce = () => (produced ??= produceSchemas());

async function committed(fileName: string): Promise<string | undefined> {
  try {
    return await readFile(new URL(fileName, schemasDirectory), "utf8");
  } catch {
    return undefined;
  }
}

describe("schemas", () => {
  it("compose without errors", async () => {
    const result = await producedOnce();
    expect(result.composed ? [] : result.errors, "composition errors (run `npm run compose` to see them)").toEqual([]);
  });

  it.each(["city", "services", "business", "supergraph"])("committed %s.graphql is what the code produces", async (name) => {
    const result = await producedOnce();
    const file = result.files.find((candidate) => candidate.fileName === `${name}.graphql`);
    expect(file, `${name}.graphql was not produced (composition failed?)`).toBeDefined();
    const onDisk = await committed(file!.fileName);
    expect(onDisk, `schemas/${file!.fileName} is missing: run \`npm run compose\` and commit it`).toBeDefined();
    expect(onDisk, `schemas/${file!.fileName} differs from the code: run \`npm run compose\` and commit it`).toBe(file!.contents);
  });
});

describe("produceSchemas", () => {
  it("reports composition errors instead of a supergraph", async () => {
    // Two subgraphs resolving the same root field without @shareable cannot compose.
    const clashing = (name: string) => ({
      name,
      url: `http://127.0.0.1:1/${name}`,
      buildSchema: async () =>
        buildSubgraphSchema({
          typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Query { status: String }'),
        }),
    });
    const result = await produceSchemas([clashing("first"), clashing("second")]);
    expect(result.composed).toBe(false);
    expect(result.composed ? [] : result.errors.join("\n")).toMatch(/Query\.status/);
    expect(result.files.map((file) => file.fileName)).toEqual(["first.graphql", "second.graphql"]);
  });
});
