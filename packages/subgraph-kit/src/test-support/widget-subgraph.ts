/**
 * A tiny subgraph for the kit's own tests: an entity with a key and a reference resolver, a field
 * only operators may read, and resolvers that fail in the ways the edge must handle.
 */
import "reflect-metadata";
import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, Directive, Field, ID, ObjectType, Query, Resolver } from "type-graphql";
import type { SubgraphContext } from "../context.js";
import { GeoPoint } from "../geo-types.js";

export interface WidgetContext extends SubgraphContext {
  widgets: Map<string, Widget>;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class Widget {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => GeoPoint)
  location!: GeoPoint;

  @Authorized("operator")
  @Field(() => String)
  secretNote!: string;

  static resolveReference(reference: { id: string }, context: WidgetContext): Widget | undefined {
    return context.widgets.get(reference.id);
  }
}

@Resolver(() => Widget)
export class WidgetResolver {
  @Query(() => Widget, { nullable: true })
  widget(@Arg("id", () => ID) id: string, @Ctx() context: WidgetContext): Widget | undefined {
    return context.widgets.get(id);
  }

  @Query(() => String)
  whoAmI(@Ctx() context: WidgetContext): string {
    return `${context.identity.subject} ${context.requestId}`;
  }

  @Query(() => String)
  brokenWidget(): string {
    throw new Error("database password is hunter2");
  }

  @Query(() => String)
  renameWidget(@Arg("name", () => String) name: string): string {
    throw new UserInputError(`name ${JSON.stringify(name)} is too short`, { field: "name" });
  }
}

export function sampleWidgets(): Map<string, Widget> {
  const widget = Object.assign(new Widget(), {
    id: "w1",
    name: "Pump",
    location: Object.assign(new GeoPoint(), { type: "Point" as const, coordinates: [21.33, 43.58] }),
    secretNote: "valve 3 leaks",
  });
  return new Map([[widget.id, widget]]);
}
