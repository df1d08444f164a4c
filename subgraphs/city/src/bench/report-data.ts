/**
 * The benchmark's data: a year of service requests and logged contacts from a deterministic generator
 * (the same arguments always give the same documents), shaped as docs/contact-center.md says.
 */
import { KRUSEVAC_DISTRICTS } from "../district/district.seed-data.js";

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** The year the data covers: [YEAR_START, YEAR_END). */
export const YEAR_END = new Date("2026-11-01T00:00:00Z");
export const YEAR_START = new Date(YEAR_END.getTime() - 365 * DAY);

/** xorshift32: the same seed always gives the same data. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const weighted = <T>(choices: readonly (readonly [T, number])[]): T => {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices.at(-1)![0];
  };
  /** Log-normal around `median` (hours): most requests quick, a long tail. */
  const logNormal = (median: number, spread: number) => {
    const gaussian = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    return median * Math.exp(spread * gaussian);
  };
  return { next, weighted, logNormal };
}

// category, share, assignee, SLA hours (first response, resolution), heating peaks in winter
const CATEGORIES = [
  ["water", 18, { kind: "provider", id: "jkp-vodovod-krusevac" }, 4, 48],
  ["heating", 12, { kind: "provider", id: "jkp-gradska-toplana" }, 4, 24],
  ["waste", 14, { kind: "provider", id: "jkp-komunalac" }, 8, 72],
  ["roads", 14, { kind: "department", id: "roads" }, 24, 240],
  ["public-lighting", 9, { kind: "department", id: "public-lighting" }, 24, 120],
  ["public-transport", 6, { kind: "provider", id: "jkp-gradski-prevoz" }, 24, 120],
  ["parking", 7, { kind: "provider", id: "jkp-parking-servis" }, 8, 72],
  ["green-areas", 6, { kind: "department", id: "green-areas" }, 48, 240],
  ["stray-animals", 5, { kind: "department", id: "communal-inspection" }, 8, 72],
  ["noise", 5, { kind: "department", id: "communal-inspection" }, 8, 72],
  ["administrative-information", 4, { kind: "department", id: "citizens-service" }, 8, 48],
] as const;
const CHANNELS = [["phone", 38], ["web", 24], ["email", 10], ["walk-in", 10], ["api", 8], ["open311", 10]] as const;
const DISTRICTS = KRUSEVAC_DISTRICTS.map((district) => [district.id, district.population] as const);

export interface GeneratedRequest {
  _id: string;
  receivedAt: Date;
  channel: string;
}

export function generateRequests(count: number): { documents: Record<string, unknown>[]; index: GeneratedRequest[] } {
  const random = generator(4242);
  const documents: Record<string, unknown>[] = [];
  const index: GeneratedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const [code, , assignee, firstSla, resolutionSla] = random.weighted(CATEGORIES.map((c) => [c, c[1]] as const));
    // Heating requests crowd into the heating season (October to April); the rest spread over the year.
    let receivedAt: Date;
    do {
      receivedAt = new Date(YEAR_START.getTime() + Math.floor(random.next() * 365 * DAY));
    } while (code === "heating" && [4, 5, 6, 7, 8].includes(receivedAt.getUTCMonth()) && random.next() < 0.85);
    const firstResponseHours = random.logNormal(firstSla * 0.6, 0.8);
    const resolutionHours = firstResponseHours + random.logNormal(resolutionSla * 0.5, 0.9);
    const age = YEAR_END.getTime() - receivedAt.getTime();
    const firstRespondedAt = firstResponseHours * HOUR < age ? new Date(receivedAt.getTime() + firstResponseHours * HOUR) : undefined;
    const resolvedAt = resolutionHours * HOUR < age ? new Date(receivedAt.getTime() + resolutionHours * HOUR) : undefined;
    const rejected = random.next() < 0.03;
    let status: string;
    if (rejected) status = "rejected";
    else if (resolvedAt) status = age - resolutionHours * HOUR > 7 * DAY && random.next() < 0.8 ? "closed" : "resolved";
    else if (firstRespondedAt) status = random.weighted([["in-progress", 6], ["waiting-for-citizen", 2], ["assigned", 2]] as const);
    else status = random.next() < 0.5 ? "received" : "assigned";
    const channel = random.weighted(CHANNELS);
    const hasLocation = random.next() < 0.9;
    const _id = randomUUIDFrom(random.next);
    const rejectedAt = new Date(receivedAt.getTime() + Math.min(age - 1, random.logNormal(12, 0.8) * HOUR));
    documents.push({
      _id,
      trackingCode: `KS-${String(i).padStart(8, "0")}`,
      categoryCode: code,
      description: "Benchmark request: a citizen reports a problem that the responsible service must look at.",
      ...(hasLocation ? { districtId: random.weighted(DISTRICTS), address: "Видовданска 1" } : {}),
      attachments: [],
      channel,
      status,
      ...(rejected ? { rejectionReason: "not within the city's competence" } : {}),
      assignee,
      receivedAt,
      firstResponseDueAt: new Date(receivedAt.getTime() + firstSla * HOUR),
      resolutionDueAt: new Date(receivedAt.getTime() + resolutionSla * HOUR),
      ...(firstRespondedAt && !rejected ? { firstRespondedAt } : {}),
      ...(resolvedAt && !rejected ? { resolvedAt } : {}),
      ...(status === "closed" ? { closedAt: new Date(resolvedAt!.getTime() + 7 * DAY) } : {}),
      escalationLevel: 0,
      overdue: false,
      submittedBy: { subject: channel === "phone" ? "agent-7" : "anonymous", roles: channel === "phone" ? ["city-staff"] : [] },
      updatedAt: rejected ? rejectedAt : (resolvedAt ?? firstRespondedAt ?? receivedAt),
    });
    index.push({ _id, receivedAt, channel });
  }
  return { documents, index };
}

/** Three in four contacts concern a request (the first near its receipt); the rest are questions answered. */
export function* generateContacts(count: number, requests: GeneratedRequest[]): Generator<Record<string, unknown>> {
  const random = generator(1717);
  const agents = Array.from({ length: 40 }, (_, n) => `agent-${n + 1}`);
  for (let i = 0; i < count; i++) {
    const concernsRequest = random.next() < 0.75;
    const request = concernsRequest ? requests[Math.floor(random.next() * requests.length)]! : undefined;
    const at = request
      ? new Date(Math.min(YEAR_END.getTime() - 1, request.receivedAt.getTime() + random.logNormal(6, 1.5) * HOUR * (random.next() < 0.4 ? 0 : 1)))
      : new Date(YEAR_START.getTime() + Math.floor(random.next() * 365 * DAY));
    const outcome = request
      ? random.weighted([["resolved", 30], ["request-created", 25], ["forwarded", 20], ["information-given", 20], ["no-answer", 5]] as const)
      : random.weighted([["information-given", 70], ["resolved", 20], ["no-answer", 10]] as const);
    const channel = random.weighted([["phone", 60], ["email", 20], ["walk-in", 15], ["web", 5]] as const);
    yield {
      _id: randomUUIDFrom(random.next),
      agent: agents[Math.floor(random.next() * agents.length)],
      at,
      durationSeconds: channel === "email" ? 0 : Math.round(random.logNormal(180, 0.7)),
      channel,
      outcome,
      ...(request ? { requestId: request._id } : {}),
    };
  }
}

/** A UUID-shaped id from the generator, so reruns produce the same ids. */
function randomUUIDFrom(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

