/**
 * Providers pushing their own outages: `createOutage`, `updateOutage` and the batch `upsertOutages`.
 * Every item is checked completely before anything is written, and each outage is one document, so
 * a rejected item (or a rejected single write) leaves nothing behind.
 */
import { randomUUID } from "node:crypto";
import { ConflictError, ForbiddenError, NotFoundError, UserInputError, type Identity } from "@situation/platform";
import { kinks } from "@turf/kinks";
import { mayActFor } from "../provider/provider-scope.js";
import type { ProviderRepository } from "../provider/provider.repository.js";
import type { Provider, ServiceKind } from "../provider/provider.model.js";
import { toMultiPolygon } from "./affected-area.js";
import { storedEstimate, type CityArea } from "./city-area.js";
import type { OutageAreaInput, OutageInput, OutageUpdateInput } from "./outage.input.js";
import { OutageStatus, type MultiPolygonGeometry, type Outage, type OutageDocument, type OutageTimelineEntry } from "./outage.model.js";
import type { BatchWrite, BatchWriteFailure, OutageRepository } from "./outage.repository.js";

export const MAX_BATCH_ITEMS = 1_000;
const MAX_TEXT = 2_000;
const MAX_STREETS = 200;

export interface Problem {
  field: string;
  message: string;
}

export interface PushDependencies {
  identity: Identity;
  providers: ProviderRepository;
  outages: OutageRepository;
  city: CityArea;
}

/** The transitions an outage's status may take; resolved and cancelled are final. */
const NEXT_STATUSES: Record<OutageStatus, readonly OutageStatus[]> = {
  [OutageStatus.ANNOUNCED]: [OutageStatus.ACTIVE, OutageStatus.CANCELLED],
  [OutageStatus.ACTIVE]: [OutageStatus.RESOLVED, OutageStatus.CANCELLED],
  [OutageStatus.RESOLVED]: [],
  [OutageStatus.CANCELLED]: [],
};

/** The source of pushed outages that carry the provider's own id, so (source, externalId) stays unique per provider. */
export function pushSource(providerId: string): string {
  return `push:${providerId}`;
}

export async function createOutage(deps: PushDependencies, input: OutageInput): Promise<Outage> {
  const providerId = input.providerId.trim();
  if (!mayActFor(deps.identity, providerId)) throw forbidden(providerId);
  const provider = await deps.providers.findById(providerId);
  const externalId = cleanExternalId(input.externalId);
  const checked = checkNewOutage(input, provider, deps.city, deps.outages.now());
  throwFirst(checked.problems);
  if (externalId !== null && (await deps.outages.findByExternalId(pushSource(providerId), externalId))) {
    throw new UserInputError(`externalId: provider ${providerId} already has an outage ${JSON.stringify(externalId)}`, {
      field: "externalId",
    });
  }
  try {
    return await deps.outages.insertPushed(checked.document!);
  } catch (error) {
    if (isDuplicateKey(error)) {
      throw new ConflictError(`externalId: outage ${JSON.stringify(externalId)} was created concurrently`, { cause: error });
    }
    throw error;
  }
}

export async function updateOutage(deps: PushDependencies, id: string, input: OutageUpdateInput): Promise<Outage> {
  const existing = await deps.outages.findDocument(id);
  if (!existing) throw new NotFoundError(`no outage ${JSON.stringify(id)}`);
  if (!mayActFor(deps.identity, existing.providerId)) throw forbidden(existing.providerId);
  const change = checkChange(existing, input, deps.city, deps.outages.now());
  throwFirst(change.problems);
  const updated = await deps.outages.applyChange(existing, change.set, change.entry);
  if (!updated) throw new ConflictError(`outage ${JSON.stringify(id)} changed meanwhile; read it again and retry`);
  return updated;
}

const FAILURE_PROBLEMS: Record<BatchWriteFailure["reason"], Problem> = {
  duplicate: { field: "externalId", message: "an outage with this externalId was written concurrently; send the item again" },
  changed: { field: "status", message: "the outage changed meanwhile; send the item again" },
  failed: { field: "item", message: "could not be written; send the item again" },
};

export interface BatchItemOutcome {
  index: number;
  id: string | null;
  accepted: boolean;
  errors: Problem[];
}

/**
 * Checks every item, then writes the accepted ones in one unordered bulk write. An item with an
 * `externalId` the provider already used updates that outage (its status change checked like
 * `updateOutage`); any other item creates one. An item fails alone: another provider's item, bad
 * input, or a write error (reported against `externalId` for a duplicate).
 */
export async function upsertOutages(deps: PushDependencies, items: readonly OutageInput[]): Promise<BatchItemOutcome[]> {
  if (items.length > MAX_BATCH_ITEMS) {
    throw new UserInputError(`items: at most ${MAX_BATCH_ITEMS} per batch, got ${items.length}`, { field: "items" });
  }
  const now = deps.outages.now();
  const providerIds = [...new Set(items.map((item) => item.providerId.trim()))];
  const providers = await deps.providers.findByIds(providerIds);
  const keys = items.flatMap((item) => {
    const externalId = cleanExternalId(item.externalId);
    return externalId === null ? [] : [{ source: pushSource(item.providerId.trim()), externalId }];
  });
  const existing = await deps.outages.findByExternalIds(keys);

  const outcomes: BatchItemOutcome[] = [];
  const writes: BatchWrite[] = [];
  const seenKeys = new Set<string>();
  for (const [index, item] of items.entries()) {
    const providerId = item.providerId.trim();
    if (!mayActFor(deps.identity, providerId)) {
      outcomes.push(rejected(index, [{ field: "providerId", message: `not allowed to write outages of provider ${providerId}` }]));
      continue;
    }
    const externalId = cleanExternalId(item.externalId);
    const key = externalId === null ? null : `${pushSource(providerId)}\u0000${externalId}`;
    if (key !== null && seenKeys.has(key)) {
      outcomes.push(rejected(index, [{ field: "externalId", message: "appears earlier in this batch" }]));
      continue;
    }
    if (key !== null) seenKeys.add(key);
    const stored = key === null ? undefined : existing.get(key);
    if (stored) {
      const change = checkChange(stored, fullUpdate(item), deps.city, now, item.kind ?? undefined);
      if (change.problems.length > 0) {
        outcomes.push(rejected(index, change.problems));
        continue;
      }
      outcomes.push({ index, id: stored._id, accepted: true, errors: [] });
      writes.push({ index, kind: "update", existing: stored, set: change.set, entry: change.entry });
    } else {
      const checked = checkNewOutage(item, providers.get(providerId) ?? null, deps.city, now);
      if (checked.problems.length > 0) {
        outcomes.push(rejected(index, checked.problems));
        continue;
      }
      const document = checked.document!;
      outcomes.push({ index, id: document._id, accepted: true, errors: [] });
      writes.push({ index, kind: "insert", document });
    }
  }
  const failures = await deps.outages.writeBatch(writes);
  for (const failure of failures) {
    const outcome = outcomes.find((candidate) => candidate.index === failure.index);
    if (!outcome) continue;
    outcome.accepted = false;
    outcome.id = null;
    outcome.errors = [FAILURE_PROBLEMS[failure.reason]];
  }
  return outcomes;
}

/** Every problem of a new outage, and the document to insert when there are none. */
export function checkNewOutage(
  input: OutageInput,
  provider: Provider | null,
  city: CityArea,
  now: Date,
): { problems: Problem[]; document?: OutageDocument } {
  const problems: Problem[] = [];
  const providerId = input.providerId.trim();
  if (providerId === "") problems.push({ field: "providerId", message: "must not be empty" });
  else if (!provider) problems.push({ field: "providerId", message: `unknown provider ${JSON.stringify(providerId)}` });
  const externalId = cleanExternalId(input.externalId);
  if (input.externalId != null && (externalId === null || externalId.length > 200)) {
    problems.push({ field: "externalId", message: "must be a non-empty id of at most 200 characters" });
  }
  const status = input.status ?? OutageStatus.ANNOUNCED;
  if (status !== OutageStatus.ANNOUNCED && status !== OutageStatus.ACTIVE) {
    problems.push({ field: "status", message: "a new outage is ANNOUNCED or ACTIVE" });
  }
  if (input.endedAt != null) problems.push({ field: "endedAt", message: "only a resolved outage has an actual end" });
  const description = checkText(input.description, "description", problems, { required: true });
  const note = checkText(input.note, "note", problems, { required: false });
  const streets = checkStreets(input.streets, problems);
  checkDate(input.startsAt, "startsAt", problems);
  const expectedEndAt = input.expectedEndAt ?? null;
  if (expectedEndAt && checkDate(expectedEndAt, "expectedEndAt", problems) && !(expectedEndAt > input.startsAt)) {
    problems.push({ field: "expectedEndAt", message: "must be after startsAt" });
  }
  const area = checkArea(input.affectedArea, "affectedArea", city, problems);
  if (problems.length > 0 || !area || !provider) return { problems };
  return {
    problems,
    document: {
      _id: randomUUID(),
      providerId,
      kind: input.kind ?? provider.kind,
      planned: input.planned,
      startsAt: input.startsAt,
      expectedEndAt,
      endedAt: null,
      affectedArea: area,
      status,
      description: description ?? "",
      streets,
      updates: [{ at: now, status, note: note || null }],
      ...storedEstimate(city, area),
      ...(externalId === null ? {} : { source: pushSource(providerId), externalId }),
      createdAt: now,
      updatedAt: now,
    },
  };
}

/** Every problem of a change to a stored outage, and what to `$set` and the timeline entry to add. */
export function checkChange(
  existing: OutageDocument,
  input: OutageUpdateInput,
  city: CityArea,
  now: Date,
  kind?: ServiceKind,
): { problems: Problem[]; set: Partial<OutageDocument>; entry: OutageTimelineEntry } {
  const problems: Problem[] = [];
  const set: Partial<OutageDocument> = {};
  const status = input.status ?? existing.status;
  if (NEXT_STATUSES[existing.status].length === 0) {
    problems.push({ field: "status", message: `the outage is ${existing.status} and can no longer change` });
  } else if (status !== existing.status && !NEXT_STATUSES[existing.status].includes(status)) {
    problems.push({
      field: "status",
      message: `cannot go from ${existing.status.toUpperCase()} to ${status.toUpperCase()}; allowed: ${NEXT_STATUSES[existing.status]
        .map((next) => next.toUpperCase())
        .join(", ")}`,
    });
  }
  if (status !== existing.status) set.status = status;
  if (kind !== undefined) set.kind = kind;
  if (input.planned != null) set.planned = input.planned;
  const description = checkText(input.description, "description", problems, { required: false });
  if (description !== undefined) set.description = description;
  const note = checkText(input.note, "note", problems, { required: false });
  if (input.streets != null) set.streets = checkStreets(input.streets, problems);
  if (input.startsAt != null && checkDate(input.startsAt, "startsAt", problems)) set.startsAt = input.startsAt;
  if (input.expectedEndAt !== undefined) {
    if (input.expectedEndAt === null) set.expectedEndAt = null;
    else if (checkDate(input.expectedEndAt, "expectedEndAt", problems)) set.expectedEndAt = input.expectedEndAt;
  }
  const startsAt = set.startsAt ?? existing.startsAt;
  const expectedEndAt = set.expectedEndAt === undefined ? existing.expectedEndAt : set.expectedEndAt;
  if (expectedEndAt && !(expectedEndAt > startsAt)) {
    problems.push({ field: "expectedEndAt", message: "must be after startsAt" });
  }
  if (status === OutageStatus.RESOLVED) {
    const endedAt = input.endedAt ?? existing.endedAt ?? now;
    if (checkDate(endedAt, "endedAt", problems)) {
      if (endedAt < startsAt) problems.push({ field: "endedAt", message: "must not be before startsAt" });
      else set.endedAt = endedAt;
    }
  } else if (input.endedAt != null) {
    problems.push({ field: "endedAt", message: "only a resolved outage has an actual end" });
  }
  if (input.affectedArea != null) {
    const area = checkArea(input.affectedArea, "affectedArea", city, problems);
    if (area) Object.assign(set, { affectedArea: area, ...storedEstimate(city, area) });
  }
  return { problems, set, entry: { at: now, status, note: note || null } };
}

/**
 * Checks an area: valid GeoJSON, no self-intersection, and (unless `city` is null, as for a query's
 * area) inside the city. Returns it as a MultiPolygon.
 */
export function checkArea(
  value: OutageAreaInput,
  field: string,
  city: CityArea | null,
  problems: Problem[],
): MultiPolygonGeometry | undefined {
  const area = toMultiPolygon(value);
  if (typeof area === "string") {
    problems.push({ field, message: `not valid GeoJSON: ${area}` });
    return undefined;
  }
  const crossings = kinks(area).features;
  if (crossings.length > 0) {
    const at = crossings[0]?.geometry.coordinates.map((number) => Number(number.toFixed(6)));
    problems.push({ field, message: `intersects itself (at ${JSON.stringify(at)})` });
    return undefined;
  }
  if (city && !city.contains(area)) {
    const { west, south, east, north } = city.box;
    problems.push({ field, message: `lies (partly) outside the city, whose districts span ${west}…${east} E, ${south}…${north} N` });
    return undefined;
  }
  return area;
}

/**
 * A batch item naming an outage the provider already sent (by externalId) is that outage's whole new
 * state: optional fields left out are cleared, except `kind` and `status`, which stay as they are.
 */
function fullUpdate(item: OutageInput): OutageUpdateInput {
  return {
    status: item.status ?? null,
    note: item.note ?? null,
    planned: item.planned,
    startsAt: item.startsAt,
    expectedEndAt: item.expectedEndAt ?? null,
    endedAt: item.endedAt ?? null,
    affectedArea: item.affectedArea,
    streets: item.streets ?? [],
    description: item.description,
  };
}

function checkText(value: string | null | undefined, field: string, problems: Problem[], options: { required: boolean }): string | undefined {
  if (value == null) {
    if (options.required) problems.push({ field, message: "is required" });
    return undefined;
  }
  const text = value.trim().replace(/\s+/g, " ");
  if (options.required && text === "") problems.push({ field, message: "must not be empty" });
  if (text.length > MAX_TEXT) problems.push({ field, message: `must be at most ${MAX_TEXT} characters` });
  return text;
}

function checkStreets(value: readonly string[] | null | undefined, problems: Problem[]): string[] {
  const streets = (value ?? []).map((street) => street.trim().replace(/\s+/g, " "));
  if (streets.length > MAX_STREETS) problems.push({ field: "streets", message: `at most ${MAX_STREETS} streets` });
  if (streets.some((street) => street === "" || street.length > 200)) {
    problems.push({ field: "streets", message: "each street must be a non-empty name of at most 200 characters" });
  }
  return streets;
}

function checkDate(value: Date, field: string, problems: Problem[]): boolean {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    problems.push({ field, message: "is not a date" });
    return false;
  }
  return true;
}

function cleanExternalId(value: string | null | undefined): string | null {
  if (value == null) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function rejected(index: number, errors: Problem[]): BatchItemOutcome {
  return { index, id: null, accepted: false, errors };
}

function throwFirst(problems: readonly Problem[]): void {
  const first = problems[0];
  if (first) throw new UserInputError(`${first.field}: ${first.message}`, { field: first.field });
}

function forbidden(providerId: string): ForbiddenError {
  return new ForbiddenError(`not allowed to write outages of provider ${providerId}`);
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}
