import type { GraphQLResolveInfo, SelectionSetNode } from "graphql";
import { Ctx, FieldResolver, Info, Int, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Outage } from "../outage/outage.model.js";
import { District } from "./district.model.js";

@Resolver(() => District)
export class DistrictOutagesResolver {
  @FieldResolver(() => [Outage], {
    description:
      "Announced outages that have not ended and active ones now whose area overlaps the district (its estimate found people affected here), oldest start first",
  })
  async activeOutages(@Root() district: District, @Ctx() context: ServicesContext, @Info() info: GraphQLResolveInfo): Promise<Outage[]> {
    return context.districtSituation.activeOutages(district.id, selectedFields(info));
  }

  @FieldResolver(() => Int, {
    description:
      "Estimated people affected now by active outages here: the sum of their estimates for this district, at most its population",
  })
  async peopleAffectedNow(@Root() district: District, @Ctx() context: ServicesContext): Promise<number> {
    return context.districtSituation.peopleAffectedNow(district.id);
  }
}

/** The names of the fields selected under this field, through inline fragments and named ones. */
export function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === "Field") names.add(selection.name.value);
      else if (selection.kind === "InlineFragment") visit(selection.selectionSet);
      else visit(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return names;
}
