/**
 * How the gateway survives a subgraph that is down, slow or answering garbage: each call has its own
 * timeout (headers and body), the answer's size is capped, its shape is checked before Apollo merges it,
 * and any failure becomes one UPSTREAM_FAILURE error per field the call was to supply. Apollo's executor
 * already keeps the other fetches' data when one throws, but its error has no path and a raw message
 * ("fetch failed", "Expected JSON response body, but received: <html>…"); returned as the subgraph's own
 * errors instead, Apollo places them on the affected fields and the rest of the answer is untouched.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { UpstreamError } from "@situation/platform";
import { Kind, parse, type DocumentNode, type GraphQLFormattedError, type SelectionSetNode } from "graphql";
import type { GatewayContext } from "../context.js";
import type { SubgraphFetcher } from "../keep-alive-fetcher.js";

export interface ResilientDataSourceOptions {
  /** The subgraph's name in the supergraph, for errors and logs. */
  name: string;
  url: string;
  fetcher: SubgraphFetcher;
  /** Longest wait for one call, from sending it to the end of the answer's body. */
  timeoutMs: number;
  /** Largest answer read; a longer one fails the call. */
  maxResponseBytes: number;
}

/** Why a subgraph call failed, in `extensions.details.reason`. */
export type SubgraphFailureReason = "unreachable" | "interrupted" | "timeout" | "http-status" | "too-large" | "invalid-response";

type FetcherResponse = Awaited<ReturnType<SubgraphFetcher>>;
type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type DataSourceResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>["process"]>>;
type DidEncounterErrorArguments = Parameters<RemoteGraphQLDataSource<GatewayContext>["didEncounterError"]>;

/** One failed subgraph call: the client sees the message; the cause is logged. */
export class SubgraphFailure extends UpstreamError {
  readonly subgraph: string;
  readonly reason: SubgraphFailureReason;

  constructor(subgraph: string, reason: SubgraphFailureReason, message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, details: { subgraph, reason } });
    this.name = "SubgraphFailure";
    this.subgraph = subgraph;
    this.reason = reason;
  }
}

/** Thrown while reading an answer; turned into a SubgraphFailure once the response's status is known. */
class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the answer exceeded ${limit} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = "CallTimeoutError";
  }
}

class InvalidResponseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InvalidResponseError";
  }
}

/** A call in flight: its timer runs until the body has been read (or the call failed). */
interface PendingCall {
  timer: NodeJS.Timeout;
  /** Rejects with a CallTimeoutError when the call's time is up. */
  expired: Promise<never>;
}

export class ResilientDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly subgraphName: string;
  readonly timeoutMs: number;
  readonly #maxResponseBytes: number;
  // Keyed by the response object, which Apollo hands back to parseBody: the data source is shared by
  // concurrent requests, so per-call state cannot live on `this`.
  readonly #pending = new WeakMap<FetcherResponse, PendingCall>();
  readonly #shapes = new FetchShapes();

  constructor(options: ResilientDataSourceOptions) {
    super({ url: options.url });
    this.subgraphName = options.name;
    this.timeoutMs = options.timeoutMs;
    this.#maxResponseBytes = options.maxResponseBytes;
    const inner = options.fetcher;
    this.fetcher = (url, init) => this.#timedFetch(inner, url, init);
  }

  override async process(options: ProcessOptions): Promise<DataSourceResponse> {
    let response: DataSourceResponse;
    try {
      response = await super.process(options);
      checkShape(response, options, this.#shapes.of(options.request.query));
    } catch (error) {
      // Health checks and schema loading have no fields to fail: their callers want the error. Only
      // incoming operations carry `incomingRequestContext` (Apollo does not export the kind enum).
      if (!("incomingRequestContext" in options)) throw error;
      const failure = this.#failureOf(error, undefined);
      if (failure === undefined) throw error;
      options.context.logger.warn({ err: failure, subgraph: this.subgraphName, reason: failure.reason }, failure.message);
      return { errors: fieldErrorsOf(failure, this.#shapes.of(options.request.query)) };
    }
    return response;
  }

  override didEncounterError(...[error, , response]: DidEncounterErrorArguments): void {
    throw this.#failureOf(error, response) ?? error;
  }

  override async parseBody(response: FetcherResponse): Promise<object | string> {
    const pending = this.#pending.get(response);
    try {
      const text = await readCapped(response, this.#maxResponseBytes, pending?.expired);
      const contentType = response.headers.get("content-type") ?? "";
      if (!contentType.startsWith("application/json") && !contentType.startsWith("application/graphql-response+json")) return text;
      try {
        return JSON.parse(text) as object;
      } catch (error) {
        throw new InvalidResponseError("the answer is not valid JSON", { cause: error });
      }
    } finally {
      if (pending !== undefined) {
        clearTimeout(pending.timer);
        this.#pending.delete(response);
      }
    }
  }

  /**
   * The timeout races the call instead of aborting it through an AbortSignal: undici's fetch registers
   * every signal it is given (listener and finalizer), which cost about a tenth of a subgraph call's
   * CPU when measured. A call left behind is cut off by the connection's own timeouts (the keep-alive
   * agent's, set from this subgraph's timeout), and its body, should it still come, is discarded.
   */
  async #timedFetch(inner: SubgraphFetcher, url: string, init: Parameters<SubgraphFetcher>[1]): Promise<FetcherResponse> {
    let timer!: NodeJS.Timeout;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallTimeoutError(this.timeoutMs)), this.timeoutMs);
    });
    // Nobody may be listening any more when it fires (the call finished or failed first).
    expired.catch(() => undefined);
    // A call whose body is never read (Apollo failed before parsing) must not keep the process alive.
    timer.unref();
    const fetching = inner(url, init);
    try {
      const response = await Promise.race([fetching, expired]);
      this.#pending.set(response, { timer, expired });
      return response;
    } catch (error) {
      clearTimeout(timer);
      if (error instanceof CallTimeoutError) void fetching.then(discardBody, () => undefined);
      throw error;
    }
  }

  /** The failure to report for an error of a call, or undefined for the gateway's own bugs. */
  #failureOf(error: unknown, response: FetcherResponse | undefined): SubgraphFailure | undefined {
    const name = this.subgraphName;
    if (error instanceof SubgraphFailure) return error;
    if (error instanceof CallTimeoutError) {
      return new SubgraphFailure(name, "timeout", `the ${name} subgraph did not answer within ${error.timeoutMs} ms`, { cause: error });
    }
    if (response !== undefined && !response.ok) {
      return new SubgraphFailure(name, "http-status", `the ${name} subgraph answered HTTP ${response.status}`, { cause: error });
    }
    if (error instanceof ResponseTooLargeError) {
      return new SubgraphFailure(name, "too-large", `the ${name} subgraph's answer exceeded ${error.limit} bytes`, { cause: error });
    }
    // Reading a body fails with fetch's TypeError ("terminated") when the connection drops mid-answer.
    if (response !== undefined && error instanceof TypeError) {
      return new SubgraphFailure(name, "interrupted", `the ${name} subgraph broke off its answer`, { cause: error });
    }
    if (response !== undefined || error instanceof InvalidResponseError) {
      return new SubgraphFailure(name, "invalid-response", `the ${name} subgraph's answer is not a GraphQL response`, { cause: error });
    }
    // No response: the request never got an answer (refused, reset, DNS), which fetch reports as a TypeError.
    if (error instanceof TypeError || (error instanceof Error && "code" in error)) {
      return new SubgraphFailure(name, "unreachable", `the ${name} subgraph is unreachable`, { cause: error });
    }
    return undefined;
  }
}

function bodyOf(response: FetcherResponse): ReadableStream<Uint8Array> | null | undefined {
  return (response as { body?: ReadableStream<Uint8Array> | null }).body;
}

/** Cancelling a body closes its connection instead of leaving it busy with an answer nobody reads. */
function discardBody(response: FetcherResponse): void {
  const body = bodyOf(response);
  if (body !== null && body !== undefined && !body.locked) void body.cancel().catch(() => undefined);
}

/**
 * Reads the body as text, refusing to hold more than `limit` bytes of it, and giving up (cancelling
 * the body) when `expired` rejects first.
 */
async function readCapped(response: FetcherResponse, limit: number, expired: Promise<never> | undefined): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const body = bodyOf(response);
  if (declared > limit) {
    discardBody(response);
    throw new ResponseTooLargeError(limit);
  }
  if (body === null || body === undefined) {
    const text = await (expired === undefined ? response.text() : Promise.race([response.text(), expired]));
    if (Buffer.byteLength(text) > limit) throw new ResponseTooLargeError(limit);
    return text;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await (expired === undefined ? reader.read() : Promise.race([reader.read(), expired]));
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw new ResponseTooLargeError(limit);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel(error).catch(() => undefined);
    throw error;
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, size).toString("utf8") : Buffer.concat(chunks, size).toString("utf8");
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What Apollo merges must be a GraphQL response: `data` an object (or null), `errors` a list of errors
 * with messages, an entity fetch's `_entities` one object (or null) per representation sent, and,
 * when the subgraph reports no error, every field asked for present. Apollo would otherwise fail later
 * without a path, merge a wrong-length list into the wrong entities, or turn a field the subgraph
 * silently left out into a null that no error explains.
 */
function checkShape(response: DataSourceResponse, options: ProcessOptions, shape: FetchShape | undefined): void {
  const { data, errors } = response as { data?: unknown; errors?: unknown };
  if (data !== undefined && data !== null && !isPlainObject(data)) throw new InvalidResponseError("`data` is not an object");
  if (errors !== undefined) {
    if (!Array.isArray(errors)) throw new InvalidResponseError("`errors` is not a list");
    if (!errors.every((error) => isPlainObject(error) && typeof error.message === "string")) {
      throw new InvalidResponseError("an error has no message");
    }
  }
  if (data === undefined && errors === undefined) throw new InvalidResponseError("neither `data` nor `errors`");
  if (!isPlainObject(data)) return;
  const complete = errors === undefined || (errors as unknown[]).length === 0;
  const representations = options.request.variables?.representations;
  if (!Array.isArray(representations)) {
    if (complete && shape !== undefined) {
      const missing = shape.rootFields.find((name) => !(name in data));
      if (missing !== undefined) throw new InvalidResponseError(`\`${missing}\` is missing from \`data\``);
    }
    return;
  }
  const entities = data._entities;
  if (!Array.isArray(entities) || entities.length !== representations.length) {
    throw new InvalidResponseError(`\`_entities\` is not a list of ${representations.length}`);
  }
  for (const [index, entity] of entities.entries()) {
    if (entity === null) continue;
    if (!isPlainObject(entity)) throw new InvalidResponseError("an entity is not an object");
    if (!complete || shape === undefined) continue;
    const typename = (representations[index] as { __typename?: unknown } | null)?.__typename;
    const required = typeof typename === "string" ? shape.entityFields.get(typename) : undefined;
    const missing = required?.find((name) => !(name in entity));
    if (missing !== undefined) throw new InvalidResponseError(`\`${missing}\` is missing from an entity`);
  }
}

/** The fields a fetch asks for: all of them (for error paths), and those an answer must contain. */
interface FetchShape {
  /** Response names of the root fields, or of the entity fields of an `_entities` fetch. */
  fields: string[];
  /** Root fields without @skip/@include, which a complete answer has. */
  rootFields: string[];
  /** Entity fields without @skip/@include by `... on Type`, which a complete answer has for that type. */
  entityFields: Map<string, string[]>;
}

/**
 * Shapes by the fetch's query text. Apollo does not hand data sources the parsed fetch document unless
 * configured to, and the texts repeat (one per query plan node), so each is parsed once.
 */
class FetchShapes {
  static readonly MAX_CACHED = 2_000;
  readonly #byQuery = new Map<string, FetchShape | undefined>();

  of(query: string | undefined): FetchShape | undefined {
    if (query === undefined) return undefined;
    if (this.#byQuery.has(query)) return this.#byQuery.get(query);
    let shape: FetchShape | undefined;
    try {
      shape = buildShape(parse(query));
    } catch {
      shape = undefined;
    }
    // Plans are few; a flood of distinct texts (a schema reload, many operations) just starts over.
    if (this.#byQuery.size >= FetchShapes.MAX_CACHED) this.#byQuery.clear();
    this.#byQuery.set(query, shape);
    return shape;
  }
}

function buildShape(document: DocumentNode): FetchShape | undefined {
  const fragments = new Map<string, SelectionSetNode>();
  let operation: SelectionSetNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
    else if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition.selectionSet;
  }
  if (operation === undefined) return undefined;
  const shape: FetchShape = { fields: [], rootFields: [], entityFields: new Map() };
  const all = new Set<string>();
  const conditional = (node: { directives?: readonly { name: { value: string } }[] }) =>
    node.directives?.some((directive) => directive.name.value === "skip" || directive.name.value === "include") === true;
  // `required` is where unconditional fields go, or undefined once a condition or an unknown type applies.
  const collect = (selectionSet: SelectionSetNode, entities: boolean, required: string[] | undefined) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        let inner: string[] | undefined = conditional(selection) ? undefined : required;
        if (entities && selection.typeCondition !== undefined && !conditional(selection)) {
          const type = selection.typeCondition.name.value;
          inner = shape.entityFields.get(type) ?? [];
          shape.entityFields.set(type, inner);
        }
        collect(selection.selectionSet, entities, inner);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // A named fragment's type condition is not checked here: its fields are reported, not required.
        if (fragment !== undefined) collect(fragment, entities, undefined);
      } else if (!entities && selection.name.value === "_entities" && selection.selectionSet !== undefined) {
        collect(selection.selectionSet, true, undefined);
      } else if (selection.name.value !== "__typename") {
        const name = selection.alias?.value ?? selection.name.value;
        all.add(name);
        if (required !== undefined && !conditional(selection)) required.push(name);
      }
    }
  };
  collect(operation, false, shape.rootFields);
  shape.fields = [...all];
  return shape;
}

/**
 * One error per field the failed call was to supply, relative to where Apollo merges the call's
 * answer: the root fields of a root fetch, the entity's fields of an `_entities` fetch. Apollo prefixes
 * the fetch's own path, where a list's elements are written `@` (as Apollo Router does), so a failed
 * entity fetch for a list of 100 districts is one error per field, not one per district and field.
 */
function fieldErrorsOf(failure: SubgraphFailure, shape: FetchShape | undefined): GraphQLFormattedError[] {
  const extensions = failure.toExtensions();
  const names = shape?.fields ?? [];
  if (names.length === 0) return [{ message: failure.message, extensions }];
  return names.map((name) => ({ message: failure.message, path: [name], extensions }));
}
