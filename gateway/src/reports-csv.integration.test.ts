/**
 * The CSV export through the real gateway, in front of a stub city subgraph whose `requestReport` has
 * the real signature and access rule: formatting, parameters, and errors as HTTP statuses.
 */
import "reflect-metadata";
import { composeServices } from "@apollo/composition";
import { connectMongo, issueAccessToken, loadConfig, type MongoConnection, type PlatformConfig } from "@situation/platform";
import { buildFederatedSchema, printSubgraphSdl, startSubgraphServer, type SubgraphServer } from "@situation/subgraph-kit";
import { parse } from "graphql";
import { Arg, Authorized, Field, Float, GraphQLISODateTime, Int, ObjectType, Query, registerEnumType, Resolver } from "type-graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "./gateway.js";
import { requestReportCsv } from "./reports-csv.js";
import { createCapturingLogger } from "./test-support/capture-logger.js";

enum Dimension {
  CATEGORY = "category",
  PROVIDER = "provider",
  DISTRICT = "district",
  CHANNEL = "channel",
}
registerEnumType(Dimension, { name: "ReportDimension" });

@ObjectType("RequestReportRow")
class Row {
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => Int) volume!: number;
  @Field(() => Float, { nullable: true }) firstResponseMedianHours!: number | null;
  @Field(() => Float, { nullable: true }) firstResponseP90Hours!: number | null;
  @Field(() => Float, { nullable: true }) resolutionMedianHours!: number | null;
  @Field(() => Float, { nullable: true }) resolutionP90Hours!: number | null;
  @Field(() => Float, { nullable: true }) slaCompliance!: number | null;
  @Field(() => Int) backlog!: number;
  @Field(() => Float, { nullable: true }) backlogMedianAgeHours!: number | null;
  @Field(() => Float, { nullable: true }) firstContactResolution!: number | null;
  @Field(() => Int) firstContacts!: number;
}

const calls: { from: string; to: string; groupBy: string }[] = [];

@Resolver(() => Row)
class StubReportResolver {
  @Authorized("city-staff", "operator", "admin")
  @Query(() => [Row])
  requestReport(
    @Arg("from", () => GraphQLISODateTime) from: Date,
    @Arg("to", () => GraphQLISODateTime) to: Date,
    @Arg("groupBy", () => Dimension) groupBy: Dimension,
  ): Row[] {
    calls.push({ from: from.toISOString(), to: to.toISOString(), groupBy });
    const row = (key: string | null, volume: number, slaCompliance: number | null): Row =>
      Object.assign(new Row(), {
        key,
        volume,
        firstResponseMedianHours: 1.5,
        firstResponseP90Hours: 4,
        resolutionMedianHours: null,
        resolutionP90Hours: null,
        slaCompliance,
        backlog: 2,
        backlogMedianAgeHours: 690,
        firstContactResolution: 0.6667,
        firstContacts: 3,
      });
    return [row(null, 1, null), row('odd, "quoted" key', 5, 0.25)];
  }
}

const config: PlatformConfig = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0" }, { warn: () => {} });
const capture = createCapturingLogger("reports-csv-test");
let mongo: MongoConnection;
let city: SubgraphServer;
let gateway: RunningGateway;
let base: string;
let staffToken: string;
let providerToken: string;

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  const schema = await buildFederatedSchema({ resolvers: [StubReportResolver] });
  city = await startSubgraphServer({ host: "127.0.0.1", port: 0, identitySecret: config.identitySecret, logger: capture.logger, name: "city", schema });
  const composition = composeServices([{ name: "city", url: city.url, typeDefs: parse(printSubgraphSdl(schema)) }]);
  if (composition.errors !== undefined) throw new Error(composition.errors.map((error) => error.message).join("; "));
  gateway = await createGateway({ config, logger: capture.logger, mongo, supergraphSdl: composition.supergraphSdl, subgraphUrls: {} });
  base = gateway.url.replace(/\/graphql$/, "");
  staffToken = await issueAccessToken({ subject: "mira", roles: ["city-staff"] }, config.jwtSecret);
  providerToken = await issueAccessToken({ subject: "p", roles: ["provider"], providerId: "jkp-vodovod-krusevac" }, config.jwtSecret);
});

afterAll(async () => {
  await gateway?.close();
  await city?.close();
  await mongo?.close();
});

const get = (query: string, token?: string) =>
  fetch(`${base}/reports/requests.csv${query}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe("requestReportCsv", () => {
  it("writes RFC 4180: header, CRLF, quoting, empty fields for null", () => {
    expect(requestReportCsv([{ key: 'a,"b"', volume: 3, slaCompliance: null }, { key: "line\nbreak", volume: 0 }])).toBe(
      "key,volume,firstResponseMedianHours,firstResponseP90Hours,resolutionMedianHours,resolutionP90Hours,slaCompliance,backlog,backlogMedianAgeHours,firstContactResolution,firstContacts\r\n" +
        '"a,""b""",3,,,,,,,,,\r\n' +
        '"line\nbreak",0,,,,,,,,,\r\n',
    );
    expect(requestReportCsv([])).toMatch(/^key,volume,.*firstContacts\r\n$/);
  });
});

describe("GET /reports/requests.csv", () => {
  it("answers staff with the report as CSV, passing the period and grouping through", async () => {
    const response = await get("?from=2026-03-01&to=2026-03-31T00:00:00Z&groupBy=category", staffToken);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="requests-by-category-2026-03-01-2026-03-31.csv"');
    expect(await response.text()).toBe(
      "key,volume,firstResponseMedianHours,firstResponseP90Hours,resolutionMedianHours,resolutionP90Hours,slaCompliance,backlog,backlogMedianAgeHours,firstContactResolution,firstContacts\r\n" +
        ",1,1.5,4,,,,2,690,0.6667,3\r\n" +
        '"odd, ""quoted"" key",5,1.5,4,,,0.25,2,690,0.6667,3\r\n',
    );
    expect(calls.at(-1)).toEqual({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-31T00:00:00.000Z", groupBy: "category" });
  });

  it("refuses missing and bad parameters with 400 naming the parameter", async () => {
    const cases: [string, string][] = [
      ["?to=2026-03-31&groupBy=CATEGORY", "from"],
      ["?from=yesterday&to=2026-03-31&groupBy=CATEGORY", "from"],
      ["?from=2026-03-01&groupBy=CATEGORY", "to"],
      ["?from=2026-03-01&to=2026-03-31", "groupBy"],
      ["?from=2026-03-01&to=2026-03-31&groupBy=weather", "groupBy"],
    ];
    for (const [query, field] of cases) {
      const response = await get(query, staffToken);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions, query).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(body.errors[0]?.message, query).toContain(field);
    }
  });

  it("answers 401 without credentials or with a bad token, and 403 for a provider", async () => {
    const query = "?from=2026-03-01&to=2026-03-31&groupBy=CHANNEL";
    const anonymous = await get(query);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
    expect((await get(query, "not-a-token")).status).toBe(401);
    const provider = await get(query, providerToken);
    expect(provider.status).toBe(403);
    expect(((await provider.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("FORBIDDEN");
  });
});
