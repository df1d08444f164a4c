/**
 * Each representation sent once per entity fetch. Apollo's executor builds one representation per
 * entity found at the fetch's path, so a list that mentions the same few users and products over and
 * over sends each of them many times (the benchmark's query: 465 representations, 27 distinct), and
 * the subgraph resolves, the network carries and the gateway parses every copy. Here a fetch sends the
 * distinct representations only; the answer is expanded back to one entity per original position,
 * each position its own object (Apollo merges into and rewrites the entities it receives), and every
 * error about an entity is repeated at each position that entity stood at. Apollo then merges exactly
 * what the subgraph would have answered to the full list, given that a subgraph answers the same
 * representation the same way within one fetch, as resolving by key means.
 */
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GraphQLFormattedError } from "graphql";

type ProcessOptions<TContext extends Record<string, unknown>> = GraphQLDataSourceProcessOptions<TContext>;
type Request<TContext extends Record<string, unknown>> = ProcessOptions<TContext>["request"];

/** The parts of a subgraph's answer this touches; the rest (extensions, http) passes through. */
export interface EntityResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface DeduplicatedFetch<TRequest> {
  /** The request with each representation once, in the order of first appearance. */
  request: TRequest;
  /** For every original position, the index of its representation in `request`. */
  positions: readonly number[];
}

/** Apollo asks for federated traces with this header; a trace of the deduplicated call would not match the plan's. */
const TRACE_HEADER = "apollo-federation-include-trace";

/**
 * The fetch with duplicate representations removed, or undefined when there is nothing to remove (not
 * an entity fetch, every representation distinct, or a trace requested).
 */
export function deduplicateRepresentations<TRequest extends Pick<Request<Record<string, unknown>>, "variables" | "http">>(
  request: TRequest,
): DeduplicatedFetch<TRequest> | undefined {
  const representations = request.variables?.representations;
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  if (request.http?.headers.get(TRACE_HEADER) != null) return undefined;
  const indexByKey = new Map<string, number>();
  const distinct: unknown[] = [];
  const positions = new Array<number>(representations.length);
  for (let position = 0; position < representations.length; position++) {
    const representation: unknown = representations[position];
    // Apollo builds every representation of a fetch from one selection, so equal entities serialise
    // equally; two that differ only in key order would merely be sent twice.
    const key = JSON.stringify(representation);
    let index = indexByKey.get(key);
    if (index === undefined) {
      index = distinct.length;
      indexByKey.set(key, index);
      distinct.push(representation);
    }
    positions[position] = index;
  }
  if (distinct.length === representations.length) return undefined;
  return {
    request: { ...request, variables: { ...request.variables, representations: distinct } },
    positions,
  };
}

/**
 * The answer to the deduplicated fetch as the subgraph would have given it to the original one. An
 * answer whose `_entities` does not match the distinct representations is returned as it is, for
 * the caller's checks to reject. Errors without an entity path keep their order and come first;
 * errors about entities follow, ordered by position.
 */
export function expandEntities<TResponse extends EntityResponse>(response: TResponse, positions: readonly number[]): TResponse {
  const distinctCount = positions.reduce((count, index) => Math.max(count, index + 1), 0);
  const entities = response.data?._entities;
  let data = response.data;
  if (Array.isArray(entities) && entities.length === distinctCount) {
    const used = new Array<boolean>(distinctCount).fill(false);
    const expanded = positions.map((index) => {
      const entity: unknown = entities[index];
      if (!used[index]) {
        used[index] = true;
        return entity;
      }
      return cloneJson(entity);
    });
    data = { ...response.data, _entities: expanded };
  }
  const errors = response.errors === undefined ? undefined : expandErrors(response.errors, positions);
  return {
    ...response,
    ...(data === response.data ? {} : { data }),
    ...(errors === undefined ? {} : { errors }),
  };
}

function expandErrors(errors: readonly GraphQLFormattedError[], positions: readonly number[]): GraphQLFormattedError[] {
  let positionsByIndex: number[][] | undefined;
  const general: GraphQLFormattedError[] = [];
  const byPosition: { position: number; error: GraphQLFormattedError }[] = [];
  for (const error of errors) {
    const path = error.path;
    const index = path !== undefined && path[0] === "_entities" && typeof path[1] === "number" ? path[1] : undefined;
    if (index === undefined) {
      general.push(error);
      continue;
    }
    positionsByIndex ??= groupPositions(positions);
    const at = positionsByIndex[index];
    // An index the fetch never sent: left as the subgraph wrote it, as it would have been without this.
    if (at === undefined) {
      general.push(error);
      continue;
    }
    for (const position of at) byPosition.push({ position, error: { ...error, path: ["_entities", position, ...path!.slice(2)] } });
  }
  // Array.prototype.sort is stable: one position's errors keep the subgraph's order.
  byPosition.sort((a, b) => a.position - b.position);
  return [...general, ...byPosition.map((each) => each.error)];
}

function groupPositions(positions: readonly number[]): number[][] {
  const grouped: number[][] = [];
  positions.forEach((index, position) => (grouped[index] ??= []).push(position));
  return grouped;
}

/** A deep copy of a parsed JSON value (plain objects, arrays, primitives), faster than structuredClone. */
export function cloneJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = cloneJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an ordinary key; assigning it would replace the copy's prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
    else copy[key] = field;
  }
  return copy as T;
}

/**
 * Runs one subgraph fetch through `send`, deduplicated when it has repeated representations. The
 * data source calls this from `process`, around everything else it does to a call.
 */
export async function processDeduplicated<TContext extends Record<string, unknown>, TResponse extends EntityResponse>(
  options: ProcessOptions<TContext>,
  send: (options: ProcessOptions<TContext>) => Promise<TResponse>,
): Promise<TResponse> {
  const deduplicated = deduplicateRepresentations(options.request);
  if (deduplicated === undefined) return send(options);
  const response = await send({ ...options, request: deduplicated.request });
  return expandEntities(response, deduplicated.positions);
}
