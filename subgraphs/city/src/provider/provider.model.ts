import { Directive, Field, Float, ID, Int, ObjectType } from "type-graphql";

/**
 * The services subgraph's Provider, extended here with the requests assigned to it. Services owns
 * its name and kind; this subgraph knows only the id it routes requests to.
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class Provider {
  @Field(() => ID)
  id!: string;

  /** Any provider id may be asked about: one with no requests simply has none. */
  static resolveReference(reference: { id?: unknown }): Provider | null {
    return typeof reference.id === "string" ? { id: reference.id } : null;
  }
}

@ObjectType({ description: "How a provider kept its service levels for requests received in a period" })
export class SlaFigures {
  @Field(() => Int, { description: "Requests received in the period and assigned to the provider" })
  total!: number;

  @Field(() => Int, { description: "Of those, resolved by their resolution due time" })
  resolvedWithinSla!: number;

  @Field(() => Float, { nullable: true, description: "resolvedWithinSla / total; null when there were none" })
  slaCompliance!: number | null;

  @Field(() => Int, { description: "Of those, still open and past their resolution due time now" })
  overdueOpen!: number;
}
