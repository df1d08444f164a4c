import { Arg, Authorized, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from "type-graphql";
import type { CityContext } from "../context.js";
import { scopeOf } from "../service-request/access.js";
import { findConnection } from "../service-request/pagination.js";
import { ServiceRequestConnection } from "../service-request/service-request.model.js";
import { District } from "./district.model.js";

@ObjectType({ description: "How many requests have one value of a dimension" })
export class RequestCount {
  @Field(() => String, { description: "A status (e.g. in-progress) or a category code" })
  key!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: "A district's requests counted by status and by category" })
export class RequestCounts {
  @Field(() => [RequestCount])
  byStatus!: RequestCount[];

  @Field(() => [RequestCount])
  byCategory!: RequestCount[];
}

/** The contact center's side of the district view: its open requests and their counts. */
@Resolver(() => District)
export class DistrictRequestsResolver {
  @Authorized("operator", "city-staff", "provider")
  @FieldResolver(() => ServiceRequestConnection, { description: "Open requests located in the district, in the caller's scope, newest first" })
  async openRequests(
    @Root() district: District,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() context: CityContext,
  ): Promise<ServiceRequestConnection> {
    return findConnection(context.serviceRequests, { open: true, districtId: district.id }, first, after, scopeOf(context.identity));
  }

  // Public: counts carry nobody's data, and show citizens what the city is working on where they live.
  @FieldResolver(() => RequestCounts, { description: "Counts of the district's open requests (all, with includeClosed) by status and category" })
  async requestCounts(
    @Root() district: District,
    @Arg("includeClosed", () => Boolean, { nullable: true, defaultValue: false }) includeClosed: boolean | null,
    @Ctx() context: CityContext,
  ): Promise<RequestCounts> {
    return context.serviceRequests.countsForDistrict(district.id, { includeClosed: includeClosed === true });
  }
}
