/**
 * The shapes of MongoDB's unified test format (source/unified-test-format/unified-test-format.md in
 * mongodb/specifications), as far as this runner reads them. Files are parsed from Extended JSON, so
 * values are BSON-typed where the file says so and plain JSON elsewhere.
 */
import { readFile } from "node:fs/promises";
// BSON comes from the driver so that values parsed here are the same classes the driver returns.
import { BSON, type Document } from "mongodb";

export interface RunOnRequirement {
  minServerVersion?: string;
  maxServerVersion?: string;
  topologies?: string[];
  serverless?: "require" | "forbid" | "allow";
  serverParameters?: Document;
  auth?: boolean;
  authMechanism?: string;
  csfle?: boolean;
}

export interface ClientEntity {
  id: string;
  uriOptions?: Document;
  useMultipleMongoses?: boolean;
  observeEvents?: string[];
  ignoreCommandMonitoringEvents?: string[];
  storeEventsAsEntities?: Document[];
  observeSensitiveCommands?: boolean;
  serverApi?: { version: string; strict?: boolean; deprecationErrors?: boolean };
}

export interface DatabaseEntity {
  id: string;
  client: string;
  databaseName: string;
  databaseOptions?: Document;
}

export interface CollectionEntity {
  id: string;
  database: string;
  collectionName: string;
  collectionOptions?: Document;
}

export interface SessionEntity {
  id: string;
  client: string;
  sessionOptions?: Document;
}

/** One `createEntities` item: an object with exactly one key naming the entity type. */
export type EntityDescription =
  | { client: ClientEntity }
  | { database: DatabaseEntity }
  | { collection: CollectionEntity }
  | { session: SessionEntity }
  | Record<string, { id: string }>;

export interface CollectionData {
  collectionName: string;
  databaseName: string;
  createOptions?: Document;
  documents: Document[];
}

export interface ExpectedError {
  isError?: true;
  isClientError?: boolean;
  isTimeoutError?: boolean;
  errorContains?: string;
  errorCode?: number;
  errorCodeName?: string;
  errorLabelsContain?: string[];
  errorLabelsOmit?: string[];
  errorResponse?: Document;
  expectResult?: unknown;
}

export interface Operation {
  name: string;
  object: string;
  arguments?: Document;
  expectError?: ExpectedError;
  expectResult?: unknown;
  saveResultAsEntity?: string;
  ignoreResultAndError?: boolean;
}

export interface UnifiedTest {
  description: string;
  runOnRequirements?: RunOnRequirement[];
  skipReason?: string;
  operations: Operation[];
  expectEvents?: Document[];
  outcome?: CollectionData[];
}

export interface UnifiedTestFile {
  description: string;
  schemaVersion: string;
  runOnRequirements?: RunOnRequirement[];
  createEntities?: EntityDescription[];
  initialData?: CollectionData[];
  tests: UnifiedTest[];
}

/** The schema versions this runner understands: every 1.x (the files here use 1.0 and 1.4). */
export const SUPPORTED_SCHEMA_MAJOR_VERSION = 1;

export function parseUnifiedTestFile(text: string, source: string): UnifiedTestFile {
  // Relaxed parsing keeps plain JSON numbers as JS numbers, which is what the driver sends for them.
  const parsed: unknown = BSON.EJSON.parse(text, { relaxed: true });
  if (!isDocument(parsed) || typeof parsed.description !== "string" || !Array.isArray(parsed.tests)) {
    throw new Error(`${source}: not a unified test file (needs "description" and "tests")`);
  }
  if (typeof parsed.schemaVersion !== "string") {
    throw new Error(`${source}: missing "schemaVersion"`);
  }
  return parsed as unknown as UnifiedTestFile;
}

export async function loadUnifiedTestFile(path: string): Promise<UnifiedTestFile> {
  return parseUnifiedTestFile(await readFile(path, "utf8"), path);
}

/** A plain document (object literal or result object), as opposed to an array or a BSON value. */
export function isDocument(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if ("_bsontype" in value) return false;
  return !(value instanceof Date || value instanceof RegExp || value instanceof Uint8Array || value instanceof Map);
}
