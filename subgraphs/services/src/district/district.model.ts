import { Directive, Field, ID, ObjectType } from "type-graphql";

/**
 * The city subgraph's District, extended here with its outages. Only its id is needed: each outage
 * stores the districts its area affects (estimated when the area is written), so the district view
 * is an index lookup by id rather than a geometric test of the boundary against every outage.
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class District {
  @Field(() => ID)
  id!: string;
}
