/**
 * Two tiny subgraphs for the gateway's tests, composed like the real ones: `city` owns `District`
 * (with a field only operators may read, and one that fails unexpectedly), `services` extends it.
 * Every `@Field`/`@Arg` names its type: vitest's esbuild transform emits no decorator metadata.
 */
import "reflect-metadata";
import { composeServices } from "@apollo/composition";
import { buildFederatedSchema, printSubgraphSdl, startSubgraphServer, type SubgraphContext, type SubgraphServer } from "@situation/subgraph-kit";
import type { Logger } from "@situation/platform";
import { parse } from "graphql";
import { Arg, Authorized, Ctx, Directive, Field, ID, Int, ObjectType, Query, Resolver } from "type-graphql";

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
  const district = Object.assign(new CityDistrict(), { id: "rasina", name: "Расина", staffNote: "pump station 3 under repair" });
  return new Map([[district.id, district]]);
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

  static resolveReference(reference: { id: string }): ServicesDistrict {
    return Object.assign(new ServicesDistrict(), { id: reference.id, activeOutages: reference.id === "rasina" ? 2 : 0 });
  }
}

@Resolver(() => ServicesDistrict)
class ServicesResolver {
  @Query(() => Int)
  outageCount(): number {
    return 2;
  }
}

export interface TestSubgraphs {
  city: SubgraphServer;
  services: SubgraphServer;
  /** The supergraph composed with the running subgraphs' URLs. */
  supergraphSdl: string;
  close(): Promise<void>;
}

export async function startTestSubgraphs(options: { identitySecret: string; logger: Logger }): Promise<TestSubgraphs> {
  const common = { host: "127.0.0.1", port: 0, identitySecret: options.identitySecret, logger: options.logger };
  const citySchema = await buildFederatedSchema({ resolvers: [CityResolver] });
  const servicesSchema = await buildFederatedSchema({ resolvers: [ServicesResolver], orphanedTypes: [ServicesDistrict] });
  const city = await startSubgraphServer({ ...common, name: "city", schema: citySchema });
  const services = await startSubgraphServer({ ...common, name: "services", schema: servicesSchema });
  const composition = composeServices([
    { name: "city", url: city.url, typeDefs: parse(printSubgraphSdl(citySchema)) },
    { name: "services", url: services.url, typeDefs: parse(printSubgraphSdl(servicesSchema)) },
  ]);
  if (composition.errors !== undefined) {
    await Promise.all([city.close(), services.close()]);
    throw new Error(`test subgraphs do not compose: ${composition.errors.map((error) => error.message).join("; ")}`);
  }
  return {
    city,
    services,
    supergraphSdl: composition.supergraphSdl,
    close: async () => {
      await Promise.allSettled([city.close(), services.close()]);
    },
  };
}
