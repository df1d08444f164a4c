/**
 * A minimal GraphQL-over-HTTP server for one fixture subgraph. The published benchmark serves its
 * subgraphs from Rust so that they are never the bottleneck; here they must be as cheap as Node allows,
 * so there is no framework: `node:http`, a cache of parsed and validated documents (gateways send the
 * same few subgraph operations over and over), and graphql-js `execute`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from "graphql";
import { buildBenchSubgraphSchema, type SubgraphName } from "./subgraphs.js";

export const SUBGRAPH_PATH = "/graphql";
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CACHED_DOCUMENTS = 1000;

export const STATS_PATH = "/stats";

/** What the subgraph has served since it started, at GET /stats: how much work a gateway's plan asks for. */
export interface SubgraphStats {
  requests: number;
  /** `_entities` representations received (duplicates included). */
  representations: number;
  bytesIn: number;
  bytesOut: number;
}

export interface BenchSubgraph {
  name: SubgraphName;
  url: string;
  stats: Readonly<SubgraphStats>;
  close(): Promise<void>;
}

interface GraphQLRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

type CachedDocument = { document: DocumentNode } | { errors: readonly GraphQLError[] };

export async function startBenchSubgraph(name: SubgraphName, options: { host?: string; port?: number } = {}): Promise<BenchSubgraph> {
  const schema = buildBenchSubgraphSchema(name);
  const documents = new Map<string, CachedDocument>();
  const stats: SubgraphStats = { requests: 0, representations: 0, bytesIn: 0, bytesOut: 0 };
  const server = createServer((request, response) => {
    handle(schema, documents, stats, request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { errors: [{ message: error instanceof Error ? error.message : String(error) }] });
      else response.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    name,
    url: `http://${host}:${port}${SUBGRAPH_PATH}`,
    stats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function handle(
  schema: GraphQLSchema,
  documents: Map<string, CachedDocument>,
  stats: SubgraphStats,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? "/").split("?", 1)[0];
  if (path === "/health") {
    send(response, 200, { status: "ok" });
    return;
  }
  if (path === STATS_PATH) {
    send(response, 200, stats);
    return;
  }
  if (path !== SUBGRAPH_PATH) {
    send(response, 404, { errors: [{ message: `no route for ${path}; GraphQL is at ${SUBGRAPH_PATH}` }] });
    return;
  }
  if (request.method !== "POST") {
    response.setHeader("allow", "POST");
    send(response, 405, { errors: [{ message: "send GraphQL operations with POST" }] });
    return;
  }
  const text = await readBody(request);
  stats.requests += 1;
  stats.bytesIn += Buffer.byteLength(text);
  let body: GraphQLRequestBody;
  try {
    body = JSON.parse(text) as GraphQLRequestBody;
  } catch {
    send(response, 400, { errors: [{ message: "the request body is not valid JSON" }] });
    return;
  }
  if (typeof body !== "object" || body === null || typeof body.query !== "string") {
    send(response, 400, { errors: [{ message: "the request body must be a JSON object with a `query` string" }] });
    return;
  }
  if (body.variables !== undefined && body.variables !== null && (typeof body.variables !== "object" || Array.isArray(body.variables))) {
    send(response, 400, { errors: [{ message: "`variables` must be an object" }] });
    return;
  }
  const representations = (body.variables as { representations?: unknown } | null | undefined)?.representations;
  if (Array.isArray(representations)) stats.representations += representations.length;
  const prepared = prepare(schema, documents, body.query);
  if ("errors" in prepared) {
    send(response, 400, { errors: prepared.errors.map((error) => error.toJSON()) });
    return;
  }
  const result = await execute({
    schema,
    document: prepared.document,
    variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof body.operationName === "string" ? body.operationName : undefined,
  });
  stats.bytesOut += send(response, 200, result.errors ? { data: result.data, errors: result.errors.map((error) => error.toJSON()) } : { data: result.data });
}

function prepare(schema: GraphQLSchema, documents: Map<string, CachedDocument>, query: string): CachedDocument {
  const cached = documents.get(query);
  if (cached !== undefined) return cached;
  let entry: CachedDocument;
  try {
    const document = parse(query);
    const errors = validate(schema, document);
    entry = errors.length > 0 ? { errors } : { document };
  } catch (error) {
    entry = { errors: [error as GraphQLError] };
  }
  // Gateways send a handful of distinct operations; a full cache means something unexpected, so start over.
  if (documents.size >= MAX_CACHED_DOCUMENTS) documents.clear();
  documents.set(query, entry);
  return entry;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the request body exceeds ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Returns the bytes sent. */
function send(response: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": length });
  response.end(text);
  return length;
}
