/**
 * The runner end to end: unified test files through the driver against the embedded server.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo } from "../index.js";
import { defaultTestDirectory } from "./test-directory.js";
import { UnifiedRunner } from "./unified-runner.js";

const testDirectory = defaultTestDirectory(process.cwd());

let server: Awaited<ReturnType<typeof startEmbeddedMongo>>;
let runner: UnifiedRunner;
let scratchDirectory: string;

beforeAll(async () => {
  server = await startEmbeddedMongo();
  runner = await UnifiedRunner.connect(server.uri);
  scratchDirectory = await mkdtemp(join(tmpdir(), "unified-runner-"));
});

afterAll(async () => {
  await runner?.close();
  await server?.close();
  if (scratchDirectory !== undefined) await rm(scratchDirectory, { recursive: true, force: true });
});

describe("the embedded server's facts", () => {
  it("are those of a MongoDB 7.0 standalone", () => {
    expect(runner.facts.version).toMatch(/^7\.0\./);
    expect(runner.facts.topology).toBe("single");
  });
});

describe.skipIf(!existsSync(testDirectory))("the CRUD conformance files", () => {
  it("pass insertOne.json and find.json", async () => {
    const outcomes = [
      ...(await runner.runFile(join(testDirectory, "insertOne.json"))),
      ...(await runner.runFile(join(testDirectory, "find.json"))),
    ];
    expect(outcomes.filter((outcome) => outcome.status === "failed")).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status === "passed").length).toBeGreaterThan(5);
  });

  it("skips, with the reason, tests written for older servers", async () => {
    const outcomes = await runner.runFile(join(testDirectory, "insertOne-dots_and_dollars.json"), {
      descriptionFilter: "pre-5.0 server",
    });
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "skipped", reason: expect.stringMatching(/needs server <= 4\.99/) });
    }
  });
});

describe("a wrong expectation", () => {
  it("fails the test with the mismatch", async () => {
    const path = join(scratchDirectory, "wrong-expectation.json");
    const wrongFile = {
      description: "wrong expectation",
      schemaVersion: "1.0",
      createEntities: [
        { client: { id: "client0" } },
        { database: { id: "database0", client: "client0", databaseName: "runner-tests" } },
        { collection: { id: "collection0", database: "database0", collectionName: "coll0" } },
      ],
      initialData: [{ collectionName: "coll0", databaseName: "runner-tests", documents: [{ _id: 1, x: 11 }] }],
      tests: [
        {
          description: "counts one document as two",
          operations: [{ name: "countDocuments", object: "collection0", arguments: { filter: {} }, expectResult: 2 }],
        },
        {
          description: "expects a document the collection does not hold",
          operations: [{ name: "insertOne", object: "collection0", arguments: { document: { _id: 2, x: 22 } } }],
          outcome: [{ collectionName: "coll0", databaseName: "runner-tests", documents: [{ _id: 1, x: 11 }, { _id: 2, x: 23 }] }],
        },
      ],
    };
    await writeFile(path, JSON.stringify(wrongFile));
    const [countOutcome, outcomeOutcome] = await runner.runFile(path);
    expect(countOutcome).toMatchObject({ status: "failed", reason: "operation 1 (countDocuments): result expected 2, got 1" });
    expect(outcomeOutcome).toMatchObject({ status: "failed", reason: expect.stringMatching(/^outcome: runner-tests\.coll0\[1\]\.x: expected 23, got 22/) });
  });
});
