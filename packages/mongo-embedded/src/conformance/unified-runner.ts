/**
 * Runs unified-format test files through the official driver against a server, and reports each
 * test as passed, failed or skipped (with the reason). A test is skipped, never passed, when its
 * requirements are not those of the server or it needs something the server or runner lacks.
 *
 * Per test: initialData is written, entities created, operations run and checked (expectResult,
 * expectError, saveResultAsEntity), then the outcome collections compared. expectEvents is not
 * checked: it asserts the commands the driver sends, which say nothing about the server.
 */
import { basename } from "node:path";
import { MongoClient, MongoServerError, type Document } from "mongodb";
import { EntityMap, SkipTest } from "./entities.js";
import { matchExpectedError } from "./expected-error.js";
import { describe, matchExactly, matchResult, type Mismatch } from "./match.js";
import { AssertionFailed, executeOperation } from "./operations.js";
import { topologyFromHello, unmetRequirements, type ServerFacts } from "./requirements.js";
import {
  SUPPORTED_SCHEMA_MAJOR_VERSION,
  loadUnifiedTestFile,
  type CollectionData,
  type Operation,
  type UnifiedTest,
  type UnifiedTestFile,
} from "./unified-format.js";

export type TestStatus = "passed" | "failed" | "skipped";

export interface TestOutcome {
  /** The file name, without its directory. */
  file: string;
  description: string;
  status: TestStatus;
  /** Why the test failed or was skipped. */
  reason?: string;
}

export interface RunFileOptions {
  /** Run only tests whose description contains this text. */
  descriptionFilter?: string;
}

/** The error code of NamespaceNotFound, which dropping a missing collection may report. */
const NAMESPACE_NOT_FOUND = 26;

export class UnifiedRunner {
  private constructor(
    private readonly uri: string,
    private readonly setupClient: MongoClient,
    readonly facts: ServerFacts,
  ) {}

  /** Connects the runner's own client and asks the server what it is. */
  static async connect(uri: string): Promise<UnifiedRunner> {
    const setupClient = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
    try {
      await setupClient.connect();
      return new UnifiedRunner(uri, setupClient, await gatherServerFacts(setupClient));
    } catch (error) {
      await setupClient.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.setupClient.close();
  }

  async runFile(path: string, options: RunFileOptions = {}): Promise<TestOutcome[]> {
    const file = basename(path);
    let testFile: UnifiedTestFile;
    try {
      testFile = await loadUnifiedTestFile(path);
    } catch (error) {
      return [{ file, description: "(loading the file)", status: "failed", reason: errorMessage(error) }];
    }
    const tests = testFile.tests.filter(
      (test) => options.descriptionFilter === undefined || test.description.includes(options.descriptionFilter),
    );
    const fileSkipReason = this.fileSkipReason(testFile);
    if (fileSkipReason !== undefined) {
      return tests.map((test) => ({ file, description: test.description, status: "skipped", reason: fileSkipReason }));
    }
    const outcomes: TestOutcome[] = [];
    for (const test of tests) {
      outcomes.push({ file, description: test.description, ...(await this.runTest(testFile, test)) });
    }
    return outcomes;
  }

  private fileSkipReason(testFile: UnifiedTestFile): string | undefined {
    const major = Number(testFile.schemaVersion.split(".")[0]);
    if (major !== SUPPORTED_SCHEMA_MAJOR_VERSION) return `schema version ${testFile.schemaVersion} is not supported`;
    return unmetRequirements(testFile.runOnRequirements, this.facts);
  }

  private async runTest(testFile: UnifiedTestFile, test: UnifiedTest): Promise<Pick<TestOutcome, "status" | "reason">> {
    const unmet = unmetRequirements(test.runOnRequirements, this.facts);
    if (unmet !== undefined) return { status: "skipped", reason: unmet };
    if (test.skipReason !== undefined) return { status: "skipped", reason: test.skipReason };

    const entities = new EntityMap(this.uri, this.facts, this.setupClient);
    try {
      await this.writeInitialData(testFile.initialData ?? []);
      await entities.create(testFile.createEntities ?? []);
      for (const [index, operation] of test.operations.entries()) {
        const failure = await runOperation(operation, entities).catch((error: unknown) => {
          if (error instanceof SkipTest) throw error;
          // An assert* operation that failed, or a test file the matcher cannot evaluate.
          return errorMessage(error);
        });
        if (failure !== undefined) return { status: "failed", reason: `operation ${index + 1} (${operation.name}): ${failure}` };
      }
      const outcomeFailure = await this.checkOutcome(test.outcome ?? []);
      if (outcomeFailure !== undefined) return { status: "failed", reason: `outcome: ${outcomeFailure}` };
      return { status: "passed" };
    } catch (error) {
      if (error instanceof SkipTest) return { status: "skipped", reason: error.message };
      return { status: "failed", reason: errorMessage(error) };
    } finally {
      await entities.close();
    }
  }

  /** Drops each collection and writes its documents, through the runner's own client. */
  private async writeInitialData(collections: CollectionData[]): Promise<void> {
    for (const { databaseName, collectionName, createOptions, documents } of collections) {
      const database = this.setupClient.db(databaseName);
      try {
        await database.dropCollection(collectionName);
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND)) throw error;
      }
      // The spec asks for majority write concern here; on a standalone the default is as durable.
      if (createOptions !== undefined || documents.length === 0) {
        await database.createCollection(collectionName, createOptions);
      }
      if (documents.length > 0) await database.collection(collectionName).insertMany(documents);
    }
  }

  private async checkOutcome(collections: CollectionData[]): Promise<Mismatch> {
    for (const { databaseName, collectionName, documents } of collections) {
      const actual = await this.setupClient
        .db(databaseName)
        .collection(collectionName)
        .find({}, { sort: { _id: 1 } })
        .toArray();
      const mismatch = matchExactly(documents, actual);
      if (mismatch !== undefined) return `${databaseName}.${collectionName}${mismatch.startsWith("[") ? "" : " "}${mismatch}`;
    }
    return undefined;
  }
}

/** Runs one operation and checks it; returns why it failed the test, if it did. */
async function runOperation(operation: Operation, entities: EntityMap): Promise<Mismatch> {
  let result: unknown;
  try {
    result = await executeOperation(operation, entities);
  } catch (error) {
    if (error instanceof SkipTest || error instanceof AssertionFailed) throw error;
    if (operation.expectError !== undefined) return matchExpectedError(error, operation.expectError, entities.lookup);
    if (operation.ignoreResultAndError) return undefined;
    return `unexpected error ${errorMessage(error)}`;
  }
  if (operation.ignoreResultAndError) return undefined;
  if (operation.expectError !== undefined) return `expected an error, but it succeeded with ${describe(result)}`;
  if (operation.expectResult !== undefined) {
    const mismatch = matchResult(operation.expectResult, result, entities.lookup);
    if (mismatch !== undefined) return `result ${mismatch}`;
  }
  if (operation.saveResultAsEntity !== undefined) entities.set(operation.saveResultAsEntity, result);
  return undefined;
}

/** What runOnRequirements are evaluated against: the server's own reports, and how we connect. */
export async function gatherServerFacts(client: MongoClient): Promise<ServerFacts> {
  const admin = client.db("admin");
  const hello = await admin.command({ hello: 1 });
  const buildInfo = await admin.command({ buildInfo: 1 });
  return {
    version: String(buildInfo.version),
    topology: topologyFromHello(hello),
    // Serverless (Atlas) deployments cannot be detected from hello; this runner targets local servers.
    serverless: false,
    auth: client.options.credentials !== undefined,
    authMechanism: client.options.credentials?.mechanism,
    // CSFLE needs the mongodb-client-encryption package, which is not installed.
    csfle: false,
    serverParameters: await serverParameters(client),
    supportsSessions: hello.logicalSessionTimeoutMinutes != null,
  };
}

async function serverParameters(client: MongoClient): Promise<Document> {
  try {
    const { ok: _ok, ...parameters } = await client.db("admin").command({ getParameter: "*" });
    return parameters;
  } catch {
    // A server without getParameter has no parameters a requirement could name.
    return {};
  }
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.constructor.name}: ${error.message}`;
}
