import { GeoMultiPolygon, GeoPoint } from "@situation/subgraph-kit";
import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import type { CityContext } from "../context.js";
import type { MultiPolygonGeometry, PointGeometry } from "../geo/geo-json.js";

/** A district as stored in the `districts` collection of the `city` database; `_id` is its slug. */
export interface DistrictDocument {
  _id: string;
  nameCyrillic: string;
  nameLatin: string;
  population: number;
  boundary: MultiPolygonGeometry;
  centre: PointGeometry;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType({ description: "A district (local community) of the city: the spine that the other subgraphs extend" })
@Directive('@key(fields: "id")')
export class District {
  @Field(() => ID, { description: 'Stable slug in Latin script without diacritics, e.g. "centar"' })
  id!: string;

  @Field(() => String, { description: 'Name in Serbian Cyrillic, e.g. "Центар"' })
  nameCyrillic!: string;

  @Field(() => String, { description: 'Name in Serbian Latin script, e.g. "Centar"' })
  nameLatin!: string;

  @Field(() => Int, { description: "Inhabitants (approximate in the demo data)" })
  population!: number;

  @Field(() => GeoMultiPolygon, { description: "The district's area; districts do not overlap" })
  boundary!: MultiPolygonGeometry;

  @Field(() => GeoPoint, { description: "A representative point inside the district, for labels and maps" })
  centre!: PointGeometry;

  /** How the gateway's `_entities` finds a district that another subgraph refers to by id. */
  static resolveReference(reference: { id?: unknown }, context: CityContext): Promise<District | null> {
    return typeof reference.id === "string" ? context.districts.findById(reference.id) : Promise.resolve(null);
  }
}

export function toDistrict(document: DistrictDocument): District {
  return {
    id: document._id,
    nameCyrillic: document.nameCyrillic,
    nameLatin: document.nameLatin,
    population: document.population,
    boundary: document.boundary,
    centre: document.centre,
  };
}
