/**
 * Creating and changing stations. A provider's key writes only its own provider's stations;
 * operators and admins write any, and only they register stations that belong to no provider
 * (community sensors). Every field is checked before anything is written.
 */
import { randomUUID } from "node:crypto";
import { ConflictError, ForbiddenError, hasRole, NotFoundError, UserInputError, type Identity } from "@situation/platform";
import type { CityArea } from "../outage/city-area.js";
import { mayActFor } from "../provider/provider-scope.js";
import type { ProviderRepository } from "../provider/provider.repository.js";
import { ENVIRONMENT_PARAMETERS, type EnvironmentParameter } from "./environment-parameter.js";
import type { AlertRepository } from "./alert.repository.js";
import type { LatestReadingRepository } from "./latest-reading.repository.js";
import type { PointInput, StationInput, StationUpdateInput } from "./station.input.js";
import { toStation, type EnvironmentStation, type PointGeometry, type StationDocument } from "./station.model.js";
import type { StationRepository } from "./station.repository.js";

const MAX_NAME = 200;
const MAX_EXTERNAL_ID = 200;

export interface Problem {
  field: string;
  message: string;
}

export interface StationWriteDependencies {
  identity: Identity;
  providers: ProviderRepository;
  stations: StationRepository;
  latestReadings: LatestReadingRepository;
  alerts: AlertRepository;
  city: CityArea;
}

/** Whether the caller may write a station (or push its readings): a provider's only for that provider. */
export function mayWriteStation(identity: Identity, providerId: string | null): boolean {
  if (providerId === null) return hasRole(identity, "operator", "admin");
  return mayActFor(identity, providerId);
}

export async function createStation(deps: StationWriteDependencies, input: StationInput): Promise<EnvironmentStation> {
  const providerId = cleanOptional(input.providerId);
  if (!mayWriteStation(deps.identity, providerId)) throw forbidden(providerId);
  const problems: Problem[] = [];
  if (input.providerId != null && providerId === null) problems.push({ field: "providerId", message: "must not be empty" });
  else if (providerId !== null && !(await deps.providers.findById(providerId))) {
    problems.push({ field: "providerId", message: `unknown provider ${JSON.stringify(providerId)}` });
  }
  const name = checkName(input.name, problems);
  const located = checkLocation(input.location, "location", deps.city, problems);
  const parameters = checkParameters(input.parameters, problems);
  const externalId = checkExternalId(input.externalId, problems);
  throwFirst(problems);
  if (externalId !== null && (await deps.stations.findByExternalId(providerId, externalId))) {
    throw new UserInputError(`externalId: ${ownerName(providerId)} already has a station ${JSON.stringify(externalId)}`, { field: "externalId" });
  }
  const now = deps.stations.now();
  const document: StationDocument = {
    _id: randomUUID(),
    providerId,
    name: name!,
    location: located!.point,
    districtId: located!.districtId,
    parameters: parameters!,
    active: input.active ?? true,
    externalId,
    createdAt: now,
    updatedAt: now,
  };
  try {
    return await deps.stations.insert(document);
  } catch (error) {
    if (isDuplicateKey(error)) throw new ConflictError(`externalId: station ${JSON.stringify(externalId)} was created concurrently`, { cause: error });
    throw error;
  }
}

export async function updateStation(deps: StationWriteDependencies, id: string, input: StationUpdateInput): Promise<EnvironmentStation> {
  const existing = await deps.stations.findDocument(id);
  if (!existing) throw new NotFoundError(`no station ${JSON.stringify(id)}`);
  if (!mayWriteStation(deps.identity, existing.providerId)) throw forbidden(existing.providerId);
  const problems: Problem[] = [];
  const set: Partial<StationDocument> = {};
  if (input.name != null) set.name = checkName(input.name, problems);
  if (input.location != null) {
    const located = checkLocation(input.location, "location", deps.city, problems);
    if (located) {
      set.location = located.point;
      set.districtId = located.districtId;
    }
  }
  if (input.parameters != null) set.parameters = checkParameters(input.parameters, problems);
  if (input.active != null) set.active = input.active;
  if (input.externalId !== undefined) set.externalId = checkExternalId(input.externalId, problems);
  throwFirst(problems);
  if (set.externalId && set.externalId !== existing.externalId) {
    const holder = await deps.stations.findByExternalId(existing.providerId, set.externalId);
    if (holder && holder._id !== existing._id) {
      throw new UserInputError(`externalId: ${ownerName(existing.providerId)} already has a station ${JSON.stringify(set.externalId)}`, {
        field: "externalId",
      });
    }
  }
  let updated: StationDocument | null;
  try {
    updated = await deps.stations.applyChange(existing, set);
  } catch (error) {
    if (isDuplicateKey(error)) throw new ConflictError(`externalId: station ${JSON.stringify(set.externalId)} was written concurrently`, { cause: error });
    throw error;
  }
  if (!updated) throw new ConflictError(`station ${JSON.stringify(id)} changed meanwhile; read it again and retry`);
  if (set.districtId !== undefined && set.districtId !== existing.districtId) {
    // The district view reads these by district; a moved station's values and alerts move with it.
    await Promise.all([deps.latestReadings.moveStation(id, set.districtId), deps.alerts.moveStation(id, set.districtId)]);
  }
  return toStation(updated);
}

/** A GeoJSON Point inside one of the city's districts, and that district. */
export function checkLocation(
  value: PointInput,
  field: string,
  city: CityArea,
  problems: Problem[],
): { point: PointGeometry; districtId: string } | undefined {
  const coordinates = value.coordinates;
  if (value.type !== "Point") {
    problems.push({ field, message: `not valid GeoJSON: type must be "Point", got ${JSON.stringify(value.type)}` });
    return undefined;
  }
  if (!Array.isArray(coordinates) || coordinates.length !== 2 || !coordinates.every((number) => typeof number === "number" && Number.isFinite(number))) {
    problems.push({ field, message: "not valid GeoJSON: a Point's coordinates are [longitude, latitude]" });
    return undefined;
  }
  const [longitude, latitude] = coordinates as [number, number];
  if (longitude < -180 || longitude > 180 || latitude < -90 || latitude > 90) {
    problems.push({ field, message: "not valid GeoJSON: longitude must be within -180…180 and latitude within -90…90" });
    return undefined;
  }
  const districtId = districtAt(city, longitude, latitude);
  if (districtId === null) {
    const { west, south, east, north } = city.box;
    problems.push({ field, message: `lies outside the city, whose districts span ${west}…${east} E, ${south}…${north} N` });
    return undefined;
  }
  return { point: { type: "Point", coordinates: [longitude, latitude] }, districtId };
}

/** The district whose area holds the point; on a shared edge, the first in the city's order. */
export function districtAt(city: CityArea, longitude: number, latitude: number): string | null {
  const district = city.districts.find(
    ({ box }) => longitude >= box.west && longitude <= box.east && latitude >= box.south && latitude <= box.north,
  );
  return district?.id ?? null;
}

function checkName(value: string, problems: Problem[]): string | undefined {
  const name = value.trim().replace(/\s+/g, " ");
  if (name === "" || name.length > MAX_NAME) {
    problems.push({ field: "name", message: `must be a non-empty name of at most ${MAX_NAME} characters` });
    return undefined;
  }
  return name;
}

function checkParameters(value: readonly EnvironmentParameter[], problems: Problem[]): EnvironmentParameter[] | undefined {
  const parameters = [...new Set(value)];
  if (parameters.length === 0) {
    problems.push({ field: "parameters", message: "a station measures at least one parameter" });
    return undefined;
  }
  // Kept in the enum's order, so that equal sets are stored equally.
  return ENVIRONMENT_PARAMETERS.filter((parameter) => parameters.includes(parameter));
}

function checkExternalId(value: string | null | undefined, problems: Problem[]): string | null {
  const externalId = cleanOptional(value);
  if (externalId !== null && externalId.length > MAX_EXTERNAL_ID) {
    problems.push({ field: "externalId", message: `must be at most ${MAX_EXTERNAL_ID} characters` });
  }
  return externalId;
}

function cleanOptional(value: string | null | undefined): string | null {
  if (value == null) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function ownerName(providerId: string | null): string {
  return providerId === null ? "the city (no provider)" : `provider ${providerId}`;
}

function throwFirst(problems: readonly Problem[]): void {
  const first = problems[0];
  if (first) throw new UserInputError(`${first.field}: ${first.message}`, { field: first.field });
}

function forbidden(providerId: string | null): ForbiddenError {
  return new ForbiddenError(
    providerId === null ? "only operators and admins write stations that belong to no provider" : `not allowed to write stations of provider ${providerId}`,
  );
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}
