/**
 * The live event stream over real HTTP and real Redis: events published by the platform's publisher
 * reach the clients allowed to query them, filtered as asked, and a client that reconnects with
 * Last-Event-ID gets what it missed, once, in order.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import {
  changeStreamKey,
  connectMongo,
  createApiKey,
  createChangeEventPublisher,
  createRedisConnection,
  issueAccessToken,
  loadConfig,
  type ChangeEventPublisher,
  type MongoConnection,
  type PlatformConfig,
} from "@situation/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type RunningGateway } from "../gateway.js";
import { createCapturingLogger } from "../test-support/capture-logger.js";
import { startTestSubgraphs, type TestSubgraphs } from "../test-support/test-subgraphs.js";

const redisPrefix = `live-events-test-${randomUUID()}`;
const config: PlatformConfig = loadConfig(
  { NODE_ENV: "test", LOG_LEVEL: "silent", GATEWAY_PORT: "0", REDIS_PREFIX: redisPrefix },
  { warn: () => {} },
);
const capture = createCapturingLogger("live-events-test");

let mongo: MongoConnection;
let subgraphs: TestSubgraphs;
let gateway: RunningGateway;
let publisher: ChangeEventPublisher;
let eventsUrl: string;
const tokens: Record<string, string> = {};
const apiKeys: Record<string, string> = {};

beforeAll(async () => {
  mongo = await connectMongo(config, { logger: capture.logger });
  subgraphs = await startTestSubgraphs({ identitySecret: config.identitySecret, logger: capture.logger });
  gateway = await createGateway({
    config,
    logger: capture.logger,
    mongo,
    supergraphSdl: subgraphs.supergraphSdl,
    subgraphUrls: {},
    liveEvents: { heartbeatMs: 200, maxClients: 20 },
  });
  eventsUrl = gateway.url.replace(/\/graphql$/, "/events");
  publisher = createChangeEventPublisher({ config, logger: capture.logger });
  tokens.operator = await issueAccessToken({ subject: "ana", roles: ["operator"] }, config.jwtSecret);
  tokens.staff = await issueAccessToken({ subject: "mira", roles: ["city-staff"] }, config.jwtSecret);
  apiKeys.water = (await createApiKey(mongo.db("platform"), { roles: ["provider"], providerId: "vodovod", label: `water-${randomUUID()}` })).key;
  apiKeys.bakery = (await createApiKey(mongo.db("platform"), { roles: ["business"], businessId: "pekara", label: `bakery-${randomUUID()}` })).key;
});

afterAll(async () => {
  await publisher?.close();
  await gateway?.close();
  await subgraphs?.close();
  const redis = createRedisConnection(config, { name: "live-events-test-cleanup" });
  await redis.del(changeStreamKey(redisPrefix));
  redis.disconnect();
  await mongo?.close();
});

interface ReceivedEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** A minimal EventSource: reads the stream, parses events, and lets the test wait for some. */
async function openStream(query = "", headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${eventsUrl}${query}`, { headers, signal: controller.signal });
  const received: ReceivedEvent[] = [];
  let comments = 0;
  let ended = false;
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffered.indexOf("\n\n")) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const fields = new Map<string, string>();
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) comments += 1;
              const colon = line.indexOf(": ");
              if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
            }
            if (fields.has("data")) {
              received.push({ id: fields.get("id"), event: fields.get("event") ?? "message", data: JSON.parse(fields.get("data")!) });
            }
          }
          notify();
        }
      } catch {
        // Aborted by the test.
      }
      ended = true;
      notify();
    })();
  }
  const stream = {
    response,
    received,
    get comments() {
      return comments;
    },
    get ended() {
      return ended;
    },
    async waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => controller.abort(),
  };
  return stream;
}

const asOperator = () => ({ authorization: `Bearer ${tokens.operator}` });
/** Lets the gateway's reader pick up a stream that has just been opened. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe("GET /events", () => {
  it("refuses anonymous callers, unknown types and malformed resume ids before streaming", async () => {
    const anonymous = await fetch(eventsUrl);
    expect(anonymous.status).toBe(401);
    const unknownType = await fetch(`${eventsUrl}?type=outage,weather.sunny`, { headers: asOperator() });
    expect(unknownType.status).toBe(400);
    const body = (await unknownType.json()) as { errors: { message: string; extensions: { field: string } }[] };
    expect(body.errors[0]!.extensions.field).toBe("type");
    expect(body.errors[0]!.message).toContain("weather.sunny");
    const badResume = await fetch(eventsUrl, { headers: { ...asOperator(), "last-event-id": "yesterday" } });
    expect(badResume.status).toBe(400);
  });

  it("streams what the caller may see, filtered by district and type family, with heartbeats", async () => {
    const everything = await openStream("", asOperator());
    const outagesInCentar = await openStream("?type=outage&district=centar", asOperator());
    expect(everything.response.headers.get("content-type")).toContain("text/event-stream");
    await settle();

    await publisher.publish({ type: "outage.started", id: "o-1", districtIds: ["centar", "bagdala"], providerId: "vodovod" });
    await publisher.publish({ type: "outage.started", id: "o-2", districtIds: ["pepeljevac"], providerId: "vodovod" });
    await publisher.publish({ type: "request.received", id: "r-1", districtIds: ["centar"], departmentId: "roads" });

    await everything.waitFor(() => everything.received.length === 3);
    expect(everything.received.map((event) => [event.event, event.data.id])).toEqual([
      ["outage.started", "o-1"],
      ["outage.started", "o-2"],
      ["request.received", "r-1"],
    ]);
    expect(everything.received[0]!.data).toMatchObject({ type: "outage.started", districtIds: ["centar", "bagdala"] });
    await outagesInCentar.waitFor(() => outagesInCentar.received.length >= 1);
    await everything.waitFor(() => everything.comments >= 2);
    expect(outagesInCentar.received.map((event) => event.data.id)).toEqual(["o-1"]);
    everything.close();
    outagesInCentar.close();
  });

  it("gives each caller only the events it could query", async () => {
    const staff = await openStream("?type=request,business", { authorization: `Bearer ${tokens.staff}` });
    const water = await openStream("?type=request,business", { "x-api-key": apiKeys.water! });
    const bakery = await openStream("?type=request,business", { "x-api-key": apiKeys.bakery! });
    const operator = await openStream("?type=request,business", asOperator());
    await settle();

    await publisher.publish({ type: "request.status-changed", id: "r-water", districtIds: [], providerId: "vodovod" });
    await publisher.publish({ type: "request.status-changed", id: "r-heating", districtIds: [], providerId: "toplana" });
    await publisher.publish({ type: "request.received", id: "r-roads", districtIds: [], departmentId: "roads" });
    await publisher.publish({ type: "business.incident", id: "i-bakery", districtIds: [], businessId: "pekara" });
    await publisher.publish({ type: "business.incident", id: "i-other", districtIds: [], businessId: "apoteka" });

    await operator.waitFor(() => operator.received.length === 5);
    // Everything published is in the operator's stream, so the others have had theirs too.
    await settle();
    const ids = (stream: { received: ReceivedEvent[] }) => stream.received.map((event) => event.data.id);
    expect(ids(staff)).toEqual(["r-roads", "i-bakery", "i-other"]);
    expect(ids(water)).toEqual(["r-water"]);
    expect(ids(bakery)).toEqual(["i-bakery"]);
    for (const stream of [staff, water, bakery, operator]) stream.close();
  });

  it("replays what a reconnecting client missed, once and in order, then goes on live", async () => {
    const first = await openStream("?type=alert", asOperator());
    await settle();
    await publisher.publish({ type: "alert.raised", id: "a-1", districtIds: ["centar"] });
    await first.waitFor(() => first.received.length === 1);
    const lastSeen = first.received[0]!.id!;
    first.close();

    await publisher.publish({ type: "alert.raised", id: "a-2", districtIds: ["centar"] });
    await publisher.publish({ type: "outage.started", id: "o-not-an-alert", districtIds: ["centar"] });
    await publisher.publish({ type: "alert.cleared", id: "a-1", districtIds: ["centar"] });

    const resumed = await openStream("?type=alert", { ...asOperator(), "last-event-id": lastSeen });
    await resumed.waitFor(() => resumed.received.length === 2);
    await publisher.publish({ type: "alert.raised", id: "a-3", districtIds: ["bagdala"] });
    await resumed.waitFor(() => resumed.received.length === 3);
    expect(resumed.received.map((event) => [event.event, event.data.id])).toEqual([
      ["alert.raised", "a-2"],
      ["alert.cleared", "a-1"],
      ["alert.raised", "a-3"],
    ]);
    const streamIds = resumed.received.map((event) => event.id!);
    expect(new Set(streamIds).size).toBe(3);
    resumed.close();
  });

  it("tells a client resuming from before the kept history to re-read instead of trusting the replay", async () => {
    const redis = createRedisConnection(config, { name: "live-events-test-trim" });
    try {
      const key = changeStreamKey(redisPrefix);
      const oldest = await redis.xadd(key, "*", "event", JSON.stringify({ type: "alert.raised", id: "old", districtIds: [], at: new Date() }));
      await publisher.publish({ type: "alert.raised", id: "kept", districtIds: [] });
      // Exact trimming (no "~") so that the test controls what is gone.
      await redis.xtrim(key, "MAXLEN", 1);
      const resumed = await openStream("?type=alert", { ...asOperator(), "last-event-id": oldest! });
      await resumed.waitFor(() => resumed.received.length === 2);
      expect(resumed.received.map((event) => event.event)).toEqual(["reset", "alert.raised"]);
      expect(resumed.received[0]!.data).toEqual({ reason: "events-trimmed" });
      expect(resumed.received[1]!.data.id).toBe("kept");
      resumed.close();
    } finally {
      redis.disconnect();
    }
  });

  it("refuses clients beyond the per-process limit", async () => {
    const streams = [];
    for (let index = 0; index < 20; index += 1) streams.push(await openStream("", asOperator()));
    const refused = await fetch(eventsUrl, { headers: asOperator() });
    expect(refused.status).toBe(429);
    for (const stream of streams) stream.close();
  });
});

describe("shutdown", () => {
  it("ends open streams so that the gateway stops at once", async () => {
    const own = await createGateway({ config, logger: capture.logger, mongo, supergraphSdl: subgraphs.supergraphSdl, subgraphUrls: {} });
    const controller = new AbortController();
    const response = await fetch(own.url.replace(/\/graphql$/, "/events"), { headers: asOperator(), signal: controller.signal });
    expect(response.status).toBe(200);
    const reading = (async () => {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) void chunk;
      return "ended";
    })();
    const started = Date.now();
    await own.close();
    await expect(reading).resolves.toBe("ended");
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
