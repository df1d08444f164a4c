// Decorators below read metadata through the Reflect API, whoever imports this module first (the repositories do, without a schema).
import "reflect-metadata";
import { GeoJSONCoordinatesScalar } from "@situation/subgraph-kit";
import { Field, ID, InputType } from "type-graphql";
import { EnvironmentParameter } from "./environment-parameter.js";

@InputType({ description: "A GeoJSON Point inside the city" })
export class PointInput {
  @Field(() => String, { description: '"Point"' })
  type!: string;

  @Field(() => GeoJSONCoordinatesScalar, { description: "[longitude, latitude]" })
  coordinates!: unknown;
}

@InputType({ description: "A new station" })
export class StationInput {
  @Field(() => ID, {
    nullable: true,
    description: "The provider that runs it; a provider may name only itself. Null (operators and admins only): no provider",
  })
  providerId?: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => PointInput)
  location!: PointInput;

  @Field(() => [EnvironmentParameter])
  parameters!: EnvironmentParameter[];

  @Field(() => Boolean, { nullable: true, description: "True unless given" })
  active?: boolean | null;

  @Field(() => String, { nullable: true, description: "The station's id in its owner's feed; unique per provider" })
  externalId?: string | null;
}

@InputType({ description: "Changes to a station; fields left out stay as they are. Its provider never changes" })
export class StationUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => PointInput, { nullable: true, description: "Moving a station moves its latest readings and open alerts to its new district" })
  location?: PointInput | null;

  @Field(() => [EnvironmentParameter], { nullable: true })
  parameters?: EnvironmentParameter[] | null;

  @Field(() => Boolean, { nullable: true })
  active?: boolean | null;

  @Field(() => String, { nullable: true, description: "An empty string removes it" })
  externalId?: string | null;
}
