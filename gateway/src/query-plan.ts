/**
 * The query plan of an operation, on request, for operators: a request with
 * `x-situation-query-plan: true` from an operator or admin gets the plan the gateway executed in the
 * answer's `extensions.queryPlan` (which subgraph was asked what, in which order). Anyone else sending
 * the header gets the normal answer: the plan names subgraphs and internal fields.
 */
import type { Experimental_DidResolveQueryPlanCallback } from "@apollo/gateway";
import type { ApolloServerPlugin } from "@apollo/server";
import { hasRole } from "@situation/platform";
import type { GatewayContext } from "./context.js";

export const QUERY_PLAN_HEADER = "x-situation-query-plan";

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]["queryPlan"];
type PlanNode = NonNullable<QueryPlan["node"]>;

/** A plan step as operators read it: no syntax trees or rewrite internals, only who runs what. */
export type QueryPlanStep =
  | { kind: "Fetch"; subgraph: string; operation: string }
  | { kind: "Sequence" | "Parallel"; steps: QueryPlanStep[] }
  | { kind: "Flatten"; path: string; step: QueryPlanStep }
  | { kind: "Condition"; condition: string; then?: QueryPlanStep; else?: QueryPlanStep }
  | { kind: "Defer"; primary?: QueryPlanStep; deferred: QueryPlanStep[] }
  | { kind: "Subscription"; primary: QueryPlanStep; rest?: QueryPlanStep };

export interface QueryPlanExposure {
  /** For `ApolloGateway`'s `experimental_didResolveQueryPlan`. */
  didResolveQueryPlan: Experimental_DidResolveQueryPlanCallback;
  plugin(): ApolloServerPlugin<GatewayContext>;
}

export function createQueryPlanExposure(): QueryPlanExposure {
  // Keyed by the request's context object, which Apollo hands both to the gateway and to plugins.
  const plans = new WeakMap<object, QueryPlanStep | null>();
  return {
    didResolveQueryPlan({ queryPlan, requestContext }) {
      const context = requestContext.context as GatewayContext;
      if (requestContext.request.http?.headers.get(QUERY_PLAN_HEADER) !== "true") return;
      if (!hasRole(context.identity, "operator", "admin")) return;
      plans.set(context, queryPlan.node === undefined ? null : stepOf(queryPlan.node));
    },
    plugin: () => ({
      async requestDidStart() {
        return {
          async willSendResponse({ response, contextValue }) {
            if (!plans.has(contextValue) || response.body.kind !== "single") return;
            const result = response.body.singleResult;
            result.extensions = { ...result.extensions, queryPlan: plans.get(contextValue) };
          },
        };
      },
    }),
  };
}

export function stepOf(node: PlanNode): QueryPlanStep {
  switch (node.kind) {
    case "Fetch":
      return { kind: "Fetch", subgraph: node.serviceName, operation: node.operation };
    case "Sequence":
    case "Parallel":
      return { kind: node.kind, steps: node.nodes.map(stepOf) };
    case "Flatten":
      return { kind: "Flatten", path: node.path.join("."), step: stepOf(node.node) };
    case "Condition":
      return {
        kind: "Condition",
        condition: node.condition,
        ...(node.ifClause === undefined ? {} : { then: stepOf(node.ifClause) }),
        ...(node.elseClause === undefined ? {} : { else: stepOf(node.elseClause) }),
      };
    case "Defer":
      return {
        kind: "Defer",
        ...(node.primary.node === undefined ? {} : { primary: stepOf(node.primary.node) }),
        deferred: node.deferred.flatMap((deferred) => (deferred.node === undefined ? [] : [stepOf(deferred.node)])),
      };
    case "Subscription":
      return {
        kind: "Subscription",
        primary: stepOf(node.primary),
        ...(node.rest === undefined ? {} : { rest: stepOf(node.rest) }),
      };
    default:
      return unreachable(node);
  }
}

function unreachable(node: never): never {
  throw new Error(`unknown query plan node ${JSON.stringify(node)}`);
}
