import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ServiceStatusLevel {
  OPERATIONAL = "operational",
  DEGRADED = "degraded",
  DOWN = "down",
}

registerEnumType(ServiceStatusLevel, {
  name: "ServiceStatusLevel",
  description: "How a provider's service runs: operational, degraded, or down",
});

/** One change of a service's status, or a note on it. */
export interface ServiceStatusChangeDocument {
  at: Date;
  status: ServiceStatusLevel;
  note: string | null;
  /** The identity's subject that set it. */
  by: string;
}

/**
 * A provider's service on the board, as stored in the `serviceStatuses` collection: its current
 * status and its history, newest last, in one document so that a change and its history entry are
 * written together (the history keeps the last MAX_HISTORY entries).
 */
export interface ServiceStatusDocument {
  _id: string;
  providerId: string;
  service: string;
  status: ServiceStatusLevel;
  note: string | null;
  /** When the status last changed (a note alone does not move it). */
  since: Date;
  updatedAt: Date;
  history: ServiceStatusChangeDocument[];
}

@ObjectType({ description: "A change of a service's status, or a note on it" })
export class ServiceStatusChange {
  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => ServiceStatusLevel)
  status!: ServiceStatusLevel;

  @Field(() => String, { nullable: true })
  note!: string | null;
}

@ObjectType({ description: "One service of a provider on the status board" })
export class ServiceStatus {
  /** Resolved to `provider` by the resolver. */
  providerId!: string;

  @Field(() => String, { description: "The provider's name for the service, e.g. a network or a line" })
  service!: string;

  @Field(() => ServiceStatusLevel)
  status!: ServiceStatusLevel;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => GraphQLISODateTime, { description: "Since when the service has had this status" })
  since!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;

  /** All kept history, oldest first; the `history` field resolver returns the newest part of it. */
  changes!: ServiceStatusChangeDocument[];
}

@ObjectType()
export class ServiceStatusEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ServiceStatus)
  node!: ServiceStatus;
}

@ObjectType()
export class ServiceStatusPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of the status board, by provider and service" })
export class ServiceStatusConnection {
  @Field(() => [ServiceStatusEdge])
  edges!: ServiceStatusEdge[];

  @Field(() => [ServiceStatus])
  nodes!: ServiceStatus[];

  @Field(() => ServiceStatusPageInfo)
  pageInfo!: ServiceStatusPageInfo;

  @Field(() => Int)
  totalCount!: number;
}

export function toServiceStatus(document: ServiceStatusDocument): ServiceStatus {
  return {
    providerId: document.providerId,
    service: document.service,
    status: document.status,
    note: document.note,
    since: document.since,
    updatedAt: document.updatedAt,
    changes: document.history,
  };
}
