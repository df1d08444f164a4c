/**
 * Live events (DESIGN.md §6, docs/live-events.md) through the real stack: writes made through the
 * gateway's GraphQL are published by the subgraphs on Redis, and the gateway's `/events` relays them
 * to the callers allowed to see them; a client that reconnects with Last-Event-ID gets what it
 * missed, once and in order, then the live events.
 */
import { KRUSEVAC_DISTRICTS } from "@situation/city-subgraph/seed-data";
import { createApiKey, issueAccessToken, PLATFORM_DATABASE } from "@situation/platform";
import { hexagon, KRUSEVAC_CENTRE } from "@situation/services-subgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueRedisPrefix } from "../support/redis.js";
import { startStack, type Stack } from "../support/stack.js";

const HOUR = 3_600_000;
const WATER = "jkp-vodovod-krusevac";
const ELECTRICITY = "elektrodistribucija-krusevac";
const RUN = `e2e-${process.pid}-${Date.now().toString(36)}`;

let stack: Stack;
let eventsUrl: string;
const headers: Record<"operator" | "water" | "electricity", Record<string, string>> = { operator: {}, water: {}, electricity: {} };
const streams: EventStream[] = [];

beforeAll(async () => {
  stack = await startStack({ name: "live-events", changeEventsRedisPrefix: uniqueRedisPrefix("live-events") });
  eventsUrl = stack.gatewayUrl.replace(/\/graphql$/, "/events");
  const platform = stack.mongo.db(PLATFORM_DATABASE);
  headers.operator = { authorization: `Bearer ${await issueAccessToken({ subject: "e2e-operator-ana", roles: ["operator"] }, stack.config.jwtSecret)}` };
  headers.water = { "x-api-key": (await createApiKey(platform, { roles: ["provider"], providerId: WATER, label: `${RUN} water` })).key };
  headers.electricity = {
    "x-api-key": (await createApiKey(platform, { roles: ["provider"], providerId: ELECTRICITY, label: `${RUN} electricity` })).key,
  };
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await stack?.close();
});

interface ReceivedEvent {
  id: string | undefined;
  event: string;
  data: { type: string; id: string; districtIds: string[]; providerId?: string; departmentId?: string };
}

interface EventStream {
  status: number;
  received: ReceivedEvent[];
  waitFor(predicate: (received: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** A minimal EventSource over fetch: parses the events as they come and lets the test wait for some. */
async function openStream(query: string, requestHeaders: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${eventsUrl}${query}`, { headers: requestHeaders, signal: controller.signal });
  const received: ReceivedEvent[] = [];
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffered.indexOf("\n\n")) >= 0) {
            const fields = new Map<string, string>();
            for (const line of buffered.slice(0, end).split("\n")) {
              const colon = line.indexOf(": ");
              if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
            }
            buffered = buffered.slice(end + 2);
            const data = fields.get("data");
            if (data !== undefined) received.push({ id: fields.get("id"), event: fields.get("event") ?? "message", data: JSON.parse(data) });
          }
        }
      } catch {
        // Aborted by the test.
      }
    })();
  }
  const stream: EventStream = {
    status: response.status,
    received,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => controller.abort(),
  };
  streams.push(stream);
  // The gateway's reader starts a new client at the newest event: give it a moment to be in place.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return stream;
}

const CREATE_OUTAGE = `mutation ($input: OutageInput!) { createOutage(input: $input) { id status } }`;
const UPDATE_OUTAGE = `mutation ($id: ID!, $input: OutageUpdateInput!) { updateOutage(id: $id, input: $input) { id status } }`;
const SUBMIT = `mutation ($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { serviceRequest { id assignee { kind id } } } }`;

async function graphql<T>(who: keyof typeof headers, document: string, variables: Record<string, unknown>): Promise<T> {
  const answer = await stack.query<T>(document, variables, headers[who]);
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  return answer.data as T;
}

async function pushOutage(status: "ANNOUNCED" | "ACTIVE", startsAt = new Date(Date.now() + (status === "ACTIVE" ? -HOUR : HOUR))): Promise<string> {
  const data = await graphql<{ createOutage: { id: string } }>("water", CREATE_OUTAGE, {
    input: {
      providerId: WATER,
      planned: status === "ANNOUNCED",
      status,
      startsAt: startsAt.toISOString(),
      expectedEndAt: new Date(startsAt.getTime() + 4 * HOUR).toISOString(),
      affectedArea: hexagon(KRUSEVAC_CENTRE, 0.3),
      description: `Live events ${RUN}`,
    },
  });
  return data.createOutage.id;
}

const centar = KRUSEVAC_DISTRICTS.find((district) => district.id === "centar")!.centre;

async function submitRequest(categoryCode: string): Promise<string> {
  const data = await graphql<{ submitServiceRequest: { serviceRequest: { id: string } } }>("operator", SUBMIT, {
    input: { categoryCode, description: `Live events check ${RUN}`, location: centar, channel: "PHONE" },
  });
  return data.submitServiceRequest.serviceRequest.id;
}

describe("live events through the gateway", () => {
  it("an operator's stream receives outage.started after a provider pushes an active outage", async () => {
    const operator = await openStream("?type=outage", headers.operator);
    expect(operator.status).toBe(200);
    const id = await pushOutage("ACTIVE");
    await operator.waitFor((received) => received.some((event) => event.data.id === id));
    const event = operator.received.find((candidate) => candidate.data.id === id)!;
    expect(event.event).toBe("outage.started");
    expect(event.data).toMatchObject({ type: "outage.started", id, providerId: WATER });
    expect(event.data.districtIds).toContain("centar");
    expect(event.id).toMatch(/^\d+-\d+$/);
  });

  it("a provider receives the events of requests assigned to it, and not another provider's", async () => {
    const operator = await openStream("?type=request", headers.operator);
    const water = await openStream("?type=request", headers.water);
    const electricity = await openStream("?type=request", headers.electricity);

    const leak = await submitRequest("water");
    const lamp = await submitRequest("public-lighting");
    // Everything published is in the operator's stream; then the providers have had theirs.
    await operator.waitFor((received) => received.some((event) => event.data.id === lamp));
    await water.waitFor((received) => received.some((event) => event.data.id === leak));
    await electricity.waitFor((received) => received.some((event) => event.data.id === lamp));
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(operator.received.map((event) => [event.event, event.data.id])).toEqual([
      ["request.received", leak],
      ["request.received", lamp],
    ]);
    expect(water.received.map((event) => event.data.id)).toEqual([leak]);
    expect(water.received[0]!.data).toMatchObject({ providerId: WATER, districtIds: ["centar"] });
    expect(electricity.received.map((event) => event.data.id)).toEqual([lamp]);
  });

  it("a client that reconnects with Last-Event-ID gets what it missed, once and in order, then the live events", async () => {
    const first = await openStream("?type=outage", headers.operator);
    // Announced for a start that has already come, so that it can start and end right away.
    const id = await pushOutage("ANNOUNCED", new Date(Date.now() - HOUR));
    await first.waitFor((received) => received.some((event) => event.data.id === id));
    const lastSeen = first.received.at(-1)!;
    expect(lastSeen).toMatchObject({ event: "outage.announced", data: { id } });
    first.close();

    // While it is away the outage starts and ends.
    await graphql("water", UPDATE_OUTAGE, { id, input: { status: "ACTIVE" } });
    await graphql("water", UPDATE_OUTAGE, { id, input: { status: "RESOLVED" } });

    const resumed = await openStream("?type=outage", { ...headers.operator, "last-event-id": lastSeen.id! });
    await resumed.waitFor((received) => received.length >= 2);
    const next = await pushOutage("ANNOUNCED");
    await resumed.waitFor((received) => received.some((event) => event.data.id === next));
    expect(resumed.received.map((event) => [event.event, event.data.id])).toEqual([
      ["outage.started", id],
      ["outage.resolved", id],
      ["outage.announced", next],
    ]);
  });
});
