/**
 * Two tiny subgraphs for the gateway's tests, composed like the real ones: `city` owns `District`
 * (with a field only operators may read, one that fails unexpectedly, and paginated lists of
 * districts that nest, for the operation limits), `services` extends it (with nullable fields too,
 * so that a failing services subgraph leaves partial data).
 * Every `@Field`/`@Arg` names its type: vitest's esbuild transform emits no decorator metadata.
 */
import "reflect-metadata";
import { composeServices } from "@apollo/composition";
import type { Tracer } from "@opentelemetry/api";
import { buildFederatedSchema, printSubgraphSdl, startSubgraphServer, type SubgraphContext, type SubgraphServer } from "@situation/subgraph-kit";
import type { Logger } from "@situation/platform";
import { parse } from "graphql";
import { Arg, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from "type-graphql";

@Directive('@key(fields: "id")')
@ObjectType("District")
class CityDistrict {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Authorized("operator")
  @Field(() => String, { nullable: true })
  staffNote!: string;

  static resolveReference(reference: { id: string }): CityDistrict | undefined {
    return cityDistricts().get(reference.id);
  }
}

function cityDistricts(): Map<string, CityDistrict> {
  const districts = [
    Object.assign(new CityDistrict(), { id: "rasina", name: "Расина", staffNote: "pump station 3 under repair" }),
    Object.assign(new CityDistrict(), { id: "pepeljevac", name: "Пепељевац", staffNote: "new well in service" }),
  ];
  return new Map(districts.map((district) => [district.id, district]));
}

@ObjectType()
class Caller {
  @Field(() => String)
  subject!: string;

  @Field(() => [String])
  roles!: string[];

  @Field(() => String, { nullable: true })
  providerId?: string;

  @Field(() => String)
  requestId!: string;
}

@Resolver(() => CityDistrict)
class CityResolver {
  @Query(() => CityDistrict, { nullable: true })
  district(@Arg("id", () => ID) id: string): CityDistrict | undefined {
    return cityDistricts().get(id);
  }

  @Query(() => Caller)
  whoAmI(@Ctx() context: SubgraphContext): Caller {
    return Object.assign(new Caller(), {
      subject: context.identity.subject,
      roles: context.identity.roles,
      providerId: context.identity.providerId,
      requestId: context.requestId,
    });
  }

  @Query(() => [CityDistrict])
  districts(@Arg("first", () => Int, { defaultValue: 10 }) first: number): CityDistrict[] {
    return [...cityDistricts().values()].slice(0, first);
  }

  /** Every district neighbours the others; enough to nest lists as deep as a test needs. */
  @FieldResolver(() => [CityDistrict])
  neighbours(@Root() district: CityDistrict, @Arg("first", () => Int, { defaultValue: 5 }) first: number): CityDistrict[] {
    return [...cityDistricts().values()].filter((other) => other.id !== district.id).slice(0, first);
  }

  @Query(() => String, { nullable: true })
  brokenQuery(): string {
    throw new Error("connection string mongodb://admin:hunter2@db");
  }
}

@Directive('@key(fields: "id")')
@ObjectType("District")
class ServicesDistrict {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  activeOutages!: number;

  /** Nullable, unlike activeOutages: when services fails, the district itself survives. */
  @Field(() => String, { nullable: true })
  outageNote!: string | null;

  static resolveReference(reference: { id: string }): ServicesDistrict {
    const rasina = reference.id === "rasina";
    return Object.assign(new ServicesDistrict(), {
      id: reference.id,
      activeOutages: rasina ? 2 : 0,
      outageNote: rasina ? "water off until 18:00" : null,
    });
  }
}

@Resolver(() => ServicesDistrict)
class ServicesResolver {
  @Query(() => Int)
  outageCount(): number {
    return 2;
  }

  /** A nullable root field: when services fails, the rest of the answer's data survives. */
  @Query(() => String, { nullable: true })
  outageSummary(): string {
    return "2 active outages";
  }
}

export interface TestSubgraphs {
  city: SubgraphServer;
  services: SubgraphServer;
  /** The supergraph composed with the running subgraphs' URLs. */
  supergraphSdl: string;
  /** Each subgraph's own SDL, for tests that compose variants of the supergraph. */
  subgraphSdl: { city: string; services: string };
  close(): Promise<void>;
}

export async function startTestSubgraphs(options: { identitySecret: string; logger: Logger; tracer?: Tracer }): Promise<TestSubgraphs> {
  const common = {
    host: "127.0.0.1",
    port: 0,
    identitySecret: options.identitySecret,
    logger: options.logger,
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
  };
  const citySchema = await buildFederatedSchema({ resolvers: [CityResolver] });
  const servicesSchema = await buildFederatedSchema({ resolvers: [ServicesResolver], orphanedTypes: [ServicesDistrict] });
  const city = await startSubgraphServer({ ...common, name: "city", schema: citySchema });
  const services = await startSubgraphServer({ ...common, name: "services", schema: servicesSchema });
  const subgraphSdl = { city: printSubgraphSdl(citySchema), services: printSubgraphSdl(servicesSchema) };
  const composition = composeServices([
    { name: "city", url: city.url, typeDefs: parse(subgraphSdl.city) },
    { name: "services", url: services.url, typeDefs: parse(subgraphSdl.services) },
  ]);
  if (composition.errors !== undefined) {
    await Promise.all([city.close(), services.close()]);
    throw new Error(`test subgraphs do not compose: ${composition.errors.map((error) => error.message).join("; ")}`);
  }
  return {
    city,
    services,
    supergraphSdl: composition.supergraphSdl,
    subgraphSdl,
    close: async () => {
      await Promise.allSettled([city.close(), services.close()]);
    },
  };
}
