/**
 * Operation limits: depth, aliases, root fields, repeated fields and estimated cost, checked on the
 * parsed operation before the gateway plans it, so an abusive query costs a walk of its syntax tree
 * and never reaches a subgraph. The token limit (GATEWAY_MAX_TOKENS) is the parser's own.
 *
 * The checks run in two places, neither of them a validation rule: a rule's errors are re-coded
 * GRAPHQL_VALIDATION_FAILED by Apollo Server, where a caller should see BAD_USER_INPUT naming the
 * limit, and the cost of a list depends on `first: $n`, whose value only the request's variables know.
 * - `createOperationPrecheck`, called by the HTTP layer on the query text before Apollo sees it:
 *   the shape limits (depth, aliases, root fields, repeated fields), which need no schema. They must
 *   come before graphql-js validation, whose check that same-named fields can merge compares them
 *   pairwise: a few kilobytes of `next { name }` repeated cost it hundreds of milliseconds of CPU.
 *   Apollo offers no hook before validation whose error it answers as such (a throw there becomes a
 *   500), hence the HTTP layer. Texts that passed are remembered, so a client repeating its
 *   operations pays for one extra parse per distinct text.
 * - `operationLimitsPlugin`, in `didResolveOperation`, on the operation about to run, with the schema
 *   and the variables: every limit again, the cost included. It also covers what the pre-check cannot
 *   see: operations sent by persisted-query hash or trusted-document id.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode } from "@situation/platform";
import {
  getNamedType,
  parse,
  GraphQLError,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { GatewayContext } from "../context.js";

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxCost: number;
  /**
   * How often one response name may occur in one selection set, counting the fields that fragments
   * spread there; bounds validation's pairwise comparison. Overlapping fragments repeat `id` a few
   * times; nothing legitimate needs dozens.
   */
  maxRepeatedFields?: number;
}

export const DEFAULT_MAX_REPEATED_FIELDS = 20;

export interface CostModel {
  /** Cost of one `Type.field`, overriding the default (1 for an object, 0 for a scalar or enum). */
  fieldCosts?: Readonly<Record<string, number>>;
  /** Arguments whose value is the length of the list a field returns, first found wins. */
  listSizeArguments?: readonly string[];
  /** The assumed length of a list with no such argument (or one left to its unset default). */
  defaultListSize?: number;
}

export const DEFAULT_LIST_SIZE_ARGUMENTS: readonly string[] = ["first", "last", "limit"];
export const DEFAULT_LIST_SIZE = 10;

export type LimitName = "depth" | "aliases" | "rootFields" | "repeatedFields" | "cost";

/** What one operation measures against its limits. */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  /** The most times one response name occurs in one selection set. */
  repeatedFields: number;
  cost: number;
}

/** An operation over one of the limits: BAD_USER_INPUT (HTTP 400) naming the limit, its maximum and the measure. */
export class OperationLimitError extends GraphQLError {
  readonly limit: LimitName;
  readonly maximum: number;
  readonly actual: number;

  constructor(limit: LimitName, maximum: number, actual: number) {
    super(`the operation exceeds the ${LIMIT_WORDS[limit]} limit: ${actual} > ${maximum}`, {
      extensions: { ...limitExtensions(limit, maximum, actual), http: { status: 400 } },
    });
    this.name = "OperationLimitError";
    this.limit = limit;
    this.maximum = maximum;
    this.actual = actual;
  }
}

/** What a client sees in `extensions` for an operation over a limit. */
export function limitExtensions(limit: LimitName, maximum: number, actual: number) {
  return { code: ErrorCode.BAD_USER_INPUT, field: "query", limit, maximum, actual };
}

const LIMIT_WORDS: Record<LimitName, string> = {
  depth: "depth",
  aliases: "alias",
  rootFields: "root field",
  repeatedFields: "repeated field",
  cost: "estimated cost",
};

export interface OperationLimitsPluginOptions {
  limits: OperationLimits;
  cost?: CostModel;
}

/** Apollo Server plugin refusing operations over any limit before they are planned. */
export function operationLimitsPlugin(options: OperationLimitsPluginOptions): ApolloServerPlugin<GatewayContext> {
  const limits = { maxRepeatedFields: DEFAULT_MAX_REPEATED_FIELDS, ...options.limits };
  const cost = options.cost ?? {};
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          // Apollo has already refused a document without the requested operation.
          if (operation === undefined) return;
          const measure = measureOperation(operation, { schema, fragments: fragmentsOf(document), variables: request.variables ?? {}, cost });
          enforce(measure, limits);
        },
      };
    },
  };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function enforce(measure: OperationMeasure, limits: Required<OperationLimits>): void {
  const exceeded = shapeLimitExceeded(measure, limits);
  if (exceeded !== undefined) throw exceeded;
  if (measure.cost > limits.maxCost) throw new OperationLimitError("cost", limits.maxCost, measure.cost);
}

function shapeLimitExceeded(measure: OperationMeasure, limits: Required<OperationLimits>): OperationLimitError | undefined {
  if (measure.depth > limits.maxDepth) return new OperationLimitError("depth", limits.maxDepth, measure.depth);
  if (measure.aliases > limits.maxAliases) return new OperationLimitError("aliases", limits.maxAliases, measure.aliases);
  if (measure.rootFields > limits.maxRootFields) return new OperationLimitError("rootFields", limits.maxRootFields, measure.rootFields);
  if (measure.repeatedFields > limits.maxRepeatedFields) {
    return new OperationLimitError("repeatedFields", limits.maxRepeatedFields, measure.repeatedFields);
  }
  return undefined;
}

export interface OperationPrecheckOptions {
  limits: OperationLimits;
  /** The parser's token limit; a text over it is left to Apollo, whose parser refuses it the same way. */
  maxTokens: number;
  /** How many distinct texts that passed are remembered. */
  cacheSize?: number;
}

export const DEFAULT_PRECHECK_CACHE_SIZE = 1_000;

/**
 * The shape limits on a query text, before Apollo parses and validates it. Returns the error for the
 * first limit exceeded, or undefined (also for a text that does not parse: Apollo answers that).
 */
export function createOperationPrecheck(options: OperationPrecheckOptions): (query: string) => OperationLimitError | undefined {
  const limits = { maxRepeatedFields: DEFAULT_MAX_REPEATED_FIELDS, ...options.limits };
  const cacheSize = options.cacheSize ?? DEFAULT_PRECHECK_CACHE_SIZE;
  // Insertion order makes a Map a cheap LRU: a hit is moved to the end, the oldest is evicted.
  const passed = new Map<string, true>();
  return (query) => {
    if (passed.delete(query)) {
      passed.set(query, true);
      return undefined;
    }
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: options.maxTokens, noLocation: true });
    } catch {
      return undefined;
    }
    const fragments = fragmentsOf(document);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const exceeded = shapeLimitExceeded(measureOperation(definition, { fragments, variables: {}, cost: {} }), limits);
      if (exceeded !== undefined) return exceeded;
    }
    passed.set(query, true);
    if (passed.size > cacheSize) passed.delete(passed.keys().next().value!);
    return undefined;
  };
}

interface MeasureContext {
  /** Without one, only the shape is measured: every field with a selection costs 1, lists are not multiplied. */
  schema?: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  cost: CostModel;
}

/**
 * Measures one operation. Fragments are measured once each and reused wherever they are spread:
 * expanding them at every spread would let a few lines of nested spreads cost exponential time.
 */
export function measureOperation(operation: OperationDefinitionNode, context: MeasureContext): OperationMeasure {
  const rootType = context.schema?.getRootType(operation.operation) ?? undefined;
  const walker = new SelectionWalker(context);
  const measured = walker.selectionSet(operation.selectionSet, rootType);
  return {
    depth: measured.depth,
    aliases: measured.aliases,
    rootFields: measured.fields,
    repeatedFields: measured.repeated,
    cost: measured.cost,
  };
}

interface SelectionMeasure {
  /** Deepest field nesting below (and including) this selection set. */
  depth: number;
  aliases: number;
  /** Fields directly in this selection set (through fragments), `__typename` excepted. */
  fields: number;
  cost: number;
  /** How often each response name occurs directly in this selection set (through fragments). */
  names: ReadonlyMap<string, number>;
  /** The highest such count in this selection set or any below it. */
  repeated: number;
}

const EMPTY: SelectionMeasure = { depth: 0, aliases: 0, fields: 0, cost: 0, names: new Map(), repeated: 0 };

class SelectionWalker {
  readonly #context: MeasureContext;
  readonly #fragmentMeasures = new Map<string, SelectionMeasure>();
  readonly #listSizeArguments: readonly string[];
  readonly #defaultListSize: number;

  constructor(context: MeasureContext) {
    this.#context = context;
    this.#listSizeArguments = context.cost.listSizeArguments ?? DEFAULT_LIST_SIZE_ARGUMENTS;
    this.#defaultListSize = context.cost.defaultListSize ?? DEFAULT_LIST_SIZE;
  }

  /** `parentType` is undefined without a schema, or below a field the schema does not know. */
  selectionSet(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined): SelectionMeasure {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    let cost = 0;
    let repeatedBelow = 0;
    const names = new Map<string, number>();
    const count = (responseName: string, times: number) => names.set(responseName, (names.get(responseName) ?? 0) + times);
    for (const selection of selectionSet.selections) {
      let measure: SelectionMeasure;
      if (selection.kind === Kind.FIELD) {
        if (selection.alias !== undefined) aliases += 1;
        const name = selection.name.value;
        count(selection.alias?.value ?? name, 1);
        // Introspection is off in production; where it is on, its deep `ofType` chains are not the
        // subgraphs' work and must not trip the limits meant for them.
        if (name.startsWith("__")) continue;
        fields += 1;
        const field = parentType === undefined ? undefined : fieldOf(parentType, name);
        const namedType = field === undefined ? undefined : getNamedType(field.type);
        const childType = namedType !== undefined && isCompositeType(namedType) ? namedType : undefined;
        const child = selection.selectionSet === undefined ? EMPTY : this.selectionSet(selection.selectionSet, childType);
        const composite = field === undefined ? selection.selectionSet !== undefined : childType !== undefined;
        const own =
          (parentType === undefined ? undefined : this.#context.cost.fieldCosts?.[`${parentType.name}.${name}`]) ?? (composite ? 1 : 0);
        const multiplier = field !== undefined && isList(field.type) ? this.#listSize(field, selection.arguments ?? []) : 1;
        depth = Math.max(depth, child.depth + 1);
        aliases += child.aliases;
        cost += multiplier * (own + child.cost);
        repeatedBelow = Math.max(repeatedBelow, child.repeated);
        continue;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName === undefined ? parentType : this.#context.schema?.getType(typeName);
        measure = this.selectionSet(selection.selectionSet, type !== undefined && type !== null && isCompositeType(type) ? type : undefined);
      } else {
        measure = this.#fragment(selection.name.value);
      }
      depth = Math.max(depth, measure.depth);
      aliases += measure.aliases;
      fields += measure.fields;
      cost += measure.cost;
      repeatedBelow = Math.max(repeatedBelow, measure.repeated);
      for (const [responseName, times] of measure.names) count(responseName, times);
    }
    return { depth, aliases, fields, cost, names, repeated: Math.max(repeatedBelow, ...names.values(), 0) };
  }

  #fragment(name: string): SelectionMeasure {
    const known = this.#fragmentMeasures.get(name);
    if (known !== undefined) return known;
    const fragment = this.#context.fragments.get(name);
    if (fragment === undefined) return EMPTY;
    // Validation refuses fragment cycles; the placeholder still stops one from recursing forever.
    this.#fragmentMeasures.set(name, EMPTY);
    const type = this.#context.schema?.getType(fragment.typeCondition.name.value);
    const measure = this.selectionSet(fragment.selectionSet, type !== undefined && type !== null && isCompositeType(type) ? type : undefined);
    this.#fragmentMeasures.set(name, measure);
    return measure;
  }

  /** The list's length from its size argument (literal, variable or schema default), else the default size. */
  #listSize(field: GraphQLField<unknown, unknown>, argumentNodes: readonly ArgumentNode[]): number {
    for (const name of this.#listSizeArguments) {
      const definition = field.args.find((argument) => argument.name === name);
      if (definition === undefined) continue;
      const node = argumentNodes.find((argument) => argument.name.value === name);
      const value =
        node === undefined
          ? definition.defaultValue
          : valueFromAST(node.value, definition.type, this.#context.variables as Record<string, unknown>);
      if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
      // A variable left unset falls back to the argument's default, as execution would.
      if (value === undefined && typeof definition.defaultValue === "number") return definition.defaultValue;
    }
    return this.#defaultListSize;
  }
}

function fieldOf(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  // Unions have no fields of their own; only `__typename`, skipped above, may be selected on one.
  if (isObjectType(type) || isInterfaceType(type)) return type.getFields()[name];
  return undefined;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}
