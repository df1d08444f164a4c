import { UserInputError } from "@situation/platform";
import { Ctx, Directive, FieldResolver, Resolver, Root } from "type-graphql";
import type { ServicesContext } from "../context.js";
import { Outage } from "../outage/outage.model.js";
import { Business, type PointGeometry } from "./business.model.js";

@Resolver(() => Business)
export class BusinessOutagesResolver {
  @Directive('@requires(fields: "location { type coordinates }")')
  @FieldResolver(() => [Outage], {
    description: "Announced outages that have not ended and active ones now, whose area contains the business's location",
  })
  async affectingOutages(@Root() business: Business, @Ctx() context: ServicesContext): Promise<Outage[]> {
    // The representation comes from the gateway, or from anyone who calls `_entities` directly.
    const location = toPoint(business.location);
    if (!location) throw new UserInputError(`Business ${business.id}: location must be a GeoJSON Point`, { field: "location" });
    return context.outages.findActiveIntersecting(location);
  }
}

function toPoint(value: unknown): PointGeometry | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  if (type !== "Point" || !Array.isArray(coordinates) || coordinates.length < 2 || coordinates.length > 3) return undefined;
  const [longitude, latitude] = coordinates as unknown[];
  if (typeof longitude !== "number" || typeof latitude !== "number") return undefined;
  if (!(longitude >= -180 && longitude <= 180 && latitude >= -90 && latitude <= 90)) return undefined;
  return { type: "Point", coordinates: [longitude, latitude] };
}
