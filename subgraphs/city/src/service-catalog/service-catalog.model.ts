import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";

/** Who answers a request: a provider of the services subgraph or a city department. */
export const AssigneeKind = { PROVIDER: "provider", DEPARTMENT: "department" } as const;
export type AssigneeKind = (typeof AssigneeKind)[keyof typeof AssigneeKind];
export const ASSIGNEE_KINDS: readonly AssigneeKind[] = Object.freeze(Object.values(AssigneeKind));

registerEnumType(AssigneeKind, {
  name: "AssigneeKind",
  description: "A provider (utility, public enterprise) of the services subgraph, or a city department",
});

export interface Assignee {
  kind: AssigneeKind;
  /** A provider id of the services subgraph (e.g. `jkp-vodovod-krusevac`) or a department id (e.g. `roads`). */
  id: string;
}

export interface RoutingRule {
  districtId: string;
  responsible: Assignee;
}

/**
 * The fields a category may require of a request, as named in `requiredFields` and in the errors
 * that name a missing one.
 */
export const REQUEST_FIELDS = ["location", "address", "contact.name", "contact.email", "contact.phone", "attachments"] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

/** A category as stored in the `serviceCategories` collection; `_id` is its code. */
export interface ServiceCategoryDocument {
  _id: string;
  nameCyrillic: string;
  nameLatin: string;
  responsible: Assignee;
  slaFirstResponseHours: number;
  slaResolutionHours: number;
  requiredFields: RequestField[];
  routingRules: RoutingRule[];
  active: boolean;
  updatedAt: Date;
}

@ObjectType("Assignee", { description: "Who a request is routed to" })
export class AssigneeType {
  @Field(() => AssigneeKind)
  kind!: AssigneeKind;

  @Field(() => ID, { description: "Provider id (services subgraph) or city department id" })
  id!: string;
}

@InputType("AssigneeInput")
export class AssigneeInput {
  @Field(() => AssigneeKind)
  kind!: AssigneeKind;

  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: "Requests of this category in this district go to another assignee than the category's" })
export class RoutingRuleType {
  @Field(() => ID)
  districtId!: string;

  @Field(() => AssigneeType)
  responsible!: Assignee;
}

@InputType()
export class RoutingRuleInput {
  @Field(() => ID)
  districtId!: string;

  @Field(() => AssigneeInput)
  responsible!: AssigneeInput;
}

@ObjectType({ description: "A kind of request the city takes, who answers it and how fast" })
export class ServiceCategory {
  @Field(() => ID, { description: 'Stable code, e.g. "water"' })
  code!: string;

  @Field(() => String)
  nameCyrillic!: string;

  @Field(() => String)
  nameLatin!: string;

  @Field(() => AssigneeType, { description: "Who requests of this category go to, unless a routing rule says otherwise" })
  responsible!: Assignee;

  @Field(() => Int, { description: "Hours from intake to the first response" })
  slaFirstResponseHours!: number;

  @Field(() => Int, { description: "Hours from intake to resolution" })
  slaResolutionHours!: number;

  @Field(() => [String], { description: `Fields a request must carry, of: ${REQUEST_FIELDS.join(", ")}` })
  requiredFields!: string[];

  @Field(() => [RoutingRuleType], { description: "Routing by district; the first rule for the request's district wins" })
  routingRules!: RoutingRule[];

  @Field(() => Boolean, { description: "Inactive categories take no new requests" })
  active!: boolean;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@InputType({ description: "A category to create, or to replace by code" })
export class ServiceCategoryInput {
  @Field(() => ID)
  code!: string;

  @Field(() => String)
  nameCyrillic!: string;

  @Field(() => String)
  nameLatin!: string;

  @Field(() => AssigneeInput)
  responsible!: AssigneeInput;

  @Field(() => Int)
  slaFirstResponseHours!: number;

  @Field(() => Int)
  slaResolutionHours!: number;

  @Field(() => [String], { nullable: true, defaultValue: [] })
  requiredFields?: string[] | null;

  @Field(() => [RoutingRuleInput], { nullable: true, defaultValue: [] })
  routingRules?: RoutingRuleInput[] | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  active?: boolean | null;
}

export function toServiceCategory(document: ServiceCategoryDocument): ServiceCategory {
  return {
    code: document._id,
    nameCyrillic: document.nameCyrillic,
    nameLatin: document.nameLatin,
    responsible: document.responsible,
    slaFirstResponseHours: document.slaFirstResponseHours,
    slaResolutionHours: document.slaResolutionHours,
    requiredFields: document.requiredFields,
    routingRules: document.routingRules,
    active: document.active,
    updatedAt: document.updatedAt,
  };
}

/** The assignee a request of this category in this district is routed to. */
export function route(category: Pick<ServiceCategoryDocument, "responsible" | "routingRules">, districtId: string | undefined): Assignee {
  const rule = districtId === undefined ? undefined : category.routingRules.find((candidate) => candidate.districtId === districtId);
  const chosen = rule?.responsible ?? category.responsible;
  return { kind: chosen.kind, id: chosen.id };
}
