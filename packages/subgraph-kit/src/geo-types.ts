/**
 * GeoJSON geometry as GraphQL value types shared by every subgraph (`@shareable`), stored in MongoDB
 * exactly as GeoJSON so that 2dsphere indexes and `$geoWithin`/`$geoIntersects` work on them directly.
 */
// Decorators below read metadata through the Reflect API, whoever imports this module first.
import "reflect-metadata";
import type { ValueNode } from "graphql";
import { graphql } from "./graphql-runtime.js";
import { Directive, Field, ObjectType } from "type-graphql";

const { GraphQLError, GraphQLScalarType, Kind } = graphql;

/** Nested arrays of numbers: `[lng, lat]`, rings of positions, polygons of rings, … */
export type GeoJSONCoordinates = number | GeoJSONCoordinates[];

function assertCoordinates(value: unknown, path = "coordinates"): asserts value is GeoJSONCoordinates[] {
  if (!Array.isArray(value)) throw new GraphQLError(`GeoJSONCoordinates: ${path} must be an array`);
  for (const [index, item] of value.entries()) {
    if (Array.isArray(item)) assertCoordinates(item, `${path}[${index}]`);
    else if (typeof item !== "number" || !Number.isFinite(item))
      throw new GraphQLError(`GeoJSONCoordinates: ${path}[${index}] must be a finite number or an array`);
  }
}

function literalToCoordinates(node: ValueNode): GeoJSONCoordinates {
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.LIST) return node.values.map(literalToCoordinates);
  throw new GraphQLError("GeoJSONCoordinates: expected nested lists of numbers", { nodes: node });
}

export const GeoJSONCoordinatesScalar = new GraphQLScalarType<GeoJSONCoordinates[], GeoJSONCoordinates[]>({
  name: "GeoJSONCoordinates",
  description: "GeoJSON coordinates: nested arrays of numbers ([longitude, latitude] for a position).",
  serialize(value) {
    assertCoordinates(value);
    return value;
  },
  parseValue(value) {
    assertCoordinates(value);
    return value;
  },
  parseLiteral(node) {
    const value = literalToCoordinates(node);
    assertCoordinates(value);
    return value;
  },
});

@Directive("@shareable")
@ObjectType({ description: "A GeoJSON Point." })
export class GeoPoint {
  @Field(() => String, { description: 'Always "Point".' })
  type!: "Point";

  @Field(() => GeoJSONCoordinatesScalar, { description: "[longitude, latitude]" })
  coordinates!: number[];
}

@Directive("@shareable")
@ObjectType({ description: "A GeoJSON Polygon." })
export class GeoPolygon {
  @Field(() => String, { description: 'Always "Polygon".' })
  type!: "Polygon";

  @Field(() => GeoJSONCoordinatesScalar, { description: "Rings of [longitude, latitude] positions; the first is the outer ring." })
  coordinates!: number[][][];
}

@Directive("@shareable")
@ObjectType({ description: "A GeoJSON MultiPolygon." })
export class GeoMultiPolygon {
  @Field(() => String, { description: 'Always "MultiPolygon".' })
  type!: "MultiPolygon";

  @Field(() => GeoJSONCoordinatesScalar, { description: "Polygons, each a list of rings of [longitude, latitude] positions." })
  coordinates!: number[][][][];
}
