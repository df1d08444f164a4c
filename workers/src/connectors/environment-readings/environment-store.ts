/**
 * Stores environment feed records (a station's measurements at one time) through the services
 * subgraph's environment repositories: stations found or created by the feed's external id, readings
 * through `ingestReadings`, which checks each, writes only new and changed ones and raises and clears
 * alerts through the thresholds. Shared by the sensor-community, open-meteo, ngsi-ld and generic
 * connectors, so that every feed treats stations and readings alike.
 */
import { randomUUID } from "node:crypto";
import {
  ENVIRONMENT_PARAMETERS,
  MAX_INGEST_ITEMS,
  ReadingWrite,
  type EnvironmentParameter,
  type EnvironmentRepositories,
  type IngestReading,
  type StationDocument,
} from "@situation/services-subgraph";
import type { ParsedRecord, RecordReject, RunContext, StoreResult } from "../../sync/connector.js";

/** A station as a feed describes it; found again by (provider, external id). */
export interface FeedStation {
  externalId: string;
  name: string;
  longitude: number;
  latitude: number;
}

export interface FeedMeasurement {
  parameter: EnvironmentParameter;
  at: Date;
  value: number;
  /** The feed's field it was read from, named in quarantine. */
  field: string;
}

export interface EnvironmentFeedRecord {
  /** A station the feed describes, or an existing station by id (a source configured for one). */
  station: FeedStation | { stationId: string };
  measurements: FeedMeasurement[];
}

export type EnvironmentStoreRepositories = Pick<EnvironmentRepositories, "stations" | "readings" | "latestReadings" | "alerts" | "city">;

/** Coordinates further apart than this (about 1 m) are a station that moved. */
const MOVE_EPSILON_DEGREES = 1e-5;
const DUPLICATE_KEY = 11000;

/** The district whose box holds the point (the services subgraph's rule for stations); null outside the city. */
export function districtOf(city: EnvironmentRepositories["city"], longitude: number, latitude: number): string | null {
  const district = city.districts.find(({ box }) => longitude >= box.west && longitude <= box.east && latitude >= box.south && latitude <= box.north);
  return district?.id ?? null;
}

/** Coordinates no place on Earth has, or the (0, 0) of a sensor that never got a fix. */
export function absurdCoordinates(longitude: number, latitude: number): string | null {
  if (!Number.isFinite(longitude) || !Number.isFinite(latitude)) return "longitude and latitude must be finite numbers";
  if (longitude < -180 || longitude > 180 || latitude < -90 || latitude > 90) return `(${longitude}, ${latitude}) is not on Earth: longitude must be within -180…180, latitude within -90…90`;
  if (longitude === 0 && latitude === 0) return "(0, 0) is a sensor without a position fix";
  return null;
}

export async function storeEnvironmentRecords(
  environment: EnvironmentStoreRepositories,
  records: readonly ParsedRecord<EnvironmentFeedRecord>[],
  context: RunContext,
  providerId: string | null,
): Promise<StoreResult> {
  const rejects: RecordReject[] = [];
  const stationIds = await resolveStations(environment, records, providerId, context);
  const readings: IngestReading[] = [];
  const origins: { record: number; measurement: FeedMeasurement }[] = [];
  for (const [index, parsed] of records.entries()) {
    const resolved = stationIds.get(stationKey(parsed.record.station));
    if (typeof resolved !== "string") {
      rejects.push({ line: parsed.line, externalId: parsed.externalId, field: resolved?.field ?? "station", reason: resolved?.reason ?? "has no station", raw: parsed.raw });
      continue;
    }
    for (const measurement of parsed.record.measurements) {
      readings.push({ stationId: resolved, parameter: measurement.parameter, at: measurement.at, value: measurement.value });
      origins.push({ record: index, measurement });
    }
  }

  const writes = new Map<number, ReadingWrite[]>();
  let alertsRaised = 0;
  let alertsCleared = 0;
  for (let start = 0; start < readings.length; start += MAX_INGEST_ITEMS) {
    const result = await environment.readings.ingestReadings(readings.slice(start, start + MAX_INGEST_ITEMS), { source: context.provenance });
    alertsRaised += result.alertsRaised.length;
    alertsCleared += result.alertsCleared.length;
    for (const item of result.items) {
      const origin = origins[start + item.index]!;
      const parsed = records[origin.record]!;
      if (item.accepted && item.write) {
        writes.set(origin.record, [...(writes.get(origin.record) ?? []), item.write]);
        continue;
      }
      const problem = item.errors[0];
      rejects.push({
        line: parsed.line,
        externalId: parsed.externalId,
        field: origin.measurement.field,
        reason: `${origin.measurement.parameter} at ${origin.measurement.at.toISOString()}: ${problem ? `${problem.field} ${problem.message}` : "refused"}`,
        raw: parsed.raw,
      });
    }
  }
  if (alertsRaised + alertsCleared > 0) context.logger.info({ alertsRaised, alertsCleared }, "environment alerts changed by this run");

  // A record counts once: inserted if any of its readings was new, else updated if any changed.
  let inserted = 0;
  let updated = 0;
  let unchanged = 0;
  for (const recordWrites of writes.values()) {
    if (recordWrites.includes(ReadingWrite.INSERTED)) inserted += 1;
    else if (recordWrites.includes(ReadingWrite.UPDATED)) updated += 1;
    else unchanged += 1;
  }
  return { inserted, updated, unchanged, rejects };
}

function stationKey(station: EnvironmentFeedRecord["station"]): string {
  return "stationId" in station ? `id:${station.stationId}` : `ext:${station.externalId}`;
}

type Resolution = string | { field: string; reason: string };

/**
 * The stored station of each record: created when new, moved when the feed's position changed,
 * otherwise left untouched, so an unchanged feed writes nothing. Names set by an admin are kept.
 */
async function resolveStations(
  environment: EnvironmentStoreRepositories,
  records: readonly ParsedRecord<EnvironmentFeedRecord>[],
  providerId: string | null,
  context: RunContext,
): Promise<Map<string, Resolution>> {
  const wanted = new Map<string, { station: EnvironmentFeedRecord["station"]; parameters: Set<EnvironmentParameter>; newest: number }>();
  for (const { record } of records) {
    const key = stationKey(record.station);
    const newest = Math.max(...record.measurements.map(({ at }) => at.getTime()));
    const entry = wanted.get(key) ?? { station: record.station, parameters: new Set(), newest };
    // A sensor listed at two positions in one body stands where its newest measurement was taken.
    if (newest > entry.newest) Object.assign(entry, { station: record.station, newest });
    for (const measurement of record.measurements) entry.parameters.add(measurement.parameter);
    wanted.set(key, entry);
  }
  const resolved = new Map<string, Resolution>();
  const byId = [...wanted.values()].flatMap(({ station }) => ("stationId" in station ? [station.stationId] : []));
  const existingById = await environment.stations.findDocuments(byId);
  for (const [key, { station, parameters }] of wanted) {
    if ("stationId" in station) {
      const existing = existingById.get(station.stationId);
      if (!existing) resolved.set(key, { field: "stationId", reason: `no station has the id ${JSON.stringify(station.stationId)}` });
      else resolved.set(key, await widenParameters(environment, existing, parameters));
      continue;
    }
    resolved.set(key, await upsertFeedStation(environment, station, [...parameters], providerId, context));
  }
  return resolved;
}

async function upsertFeedStation(
  environment: EnvironmentStoreRepositories,
  station: FeedStation,
  parameters: EnvironmentParameter[],
  providerId: string | null,
  context: RunContext,
): Promise<Resolution> {
  const districtId = districtOf(environment.city, station.longitude, station.latitude);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await environment.stations.findByExternalId(providerId, station.externalId);
    if (!existing) {
      if (districtId === null) return { field: "location", reason: outsideCity(environment, station) };
      const now = environment.stations.now();
      const document: StationDocument = {
        _id: randomUUID(),
        providerId,
        name: station.name,
        location: { type: "Point", coordinates: [station.longitude, station.latitude] },
        districtId,
        parameters: sortParameters(parameters),
        active: true,
        externalId: station.externalId,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await environment.stations.insert(document);
        context.logger.info({ stationId: document._id, externalId: station.externalId }, "station created from the feed");
        return document._id;
      } catch (error) {
        // Another source of the same provider created it meanwhile: read it again.
        if ((error as { code?: unknown }).code === DUPLICATE_KEY) continue;
        throw error;
      }
    }
    const [longitude, latitude] = existing.location.coordinates;
    const moved = Math.abs(longitude - station.longitude) > MOVE_EPSILON_DEGREES || Math.abs(latitude - station.latitude) > MOVE_EPSILON_DEGREES;
    const set: Partial<StationDocument> = {};
    if (moved) {
      if (districtId === null) return { field: "location", reason: `${outsideCity(environment, station)}; the station stays where it was` };
      set.location = { type: "Point", coordinates: [station.longitude, station.latitude] };
      set.districtId = districtId;
    }
    const widened = sortParameters([...new Set([...existing.parameters, ...parameters])]);
    if (widened.length !== existing.parameters.length) set.parameters = widened;
    if (Object.keys(set).length === 0) return existing._id;
    const updated = await environment.stations.applyChange(existing, set);
    if (!updated) continue;
    if (set.districtId !== undefined && set.districtId !== existing.districtId) {
      // As the services subgraph does when a station moves: its latest values and open alerts move with it.
      await Promise.all([environment.latestReadings.moveStation(existing._id, set.districtId), environment.alerts.moveStation(existing._id, set.districtId)]);
    }
    return existing._id;
  }
  return { field: "station", reason: `station ${JSON.stringify(station.externalId)} kept changing while this run wrote it` };
}

/** A configured station learns the parameters its feed delivers (an admin created it with fewer). */
async function widenParameters(environment: EnvironmentStoreRepositories, existing: StationDocument, parameters: Set<EnvironmentParameter>): Promise<Resolution> {
  const widened = sortParameters([...new Set([...existing.parameters, ...parameters])]);
  if (widened.length === existing.parameters.length) return existing._id;
  const updated = await environment.stations.applyChange(existing, { parameters: widened });
  return updated ? existing._id : { field: "stationId", reason: `station ${existing._id} changed while this run wrote it` };
}

function sortParameters(parameters: readonly EnvironmentParameter[]): EnvironmentParameter[] {
  // Kept in the enum's order, as the services subgraph stores them, so that equal sets compare equal.
  return ENVIRONMENT_PARAMETERS.filter((parameter) => parameters.includes(parameter));
}

function outsideCity(environment: EnvironmentStoreRepositories, station: FeedStation): string {
  const { west, south, east, north } = environment.city.box;
  return `(${station.longitude}, ${station.latitude}) lies outside the city, whose districts span ${west}…${east} E, ${south}…${north} N`;
}

/** A backfill keeps the records whose measurements fall in its period. */
export function environmentRecordInPeriod(record: EnvironmentFeedRecord, period: { from: Date; to: Date }): boolean {
  return record.measurements.some(({ at }) => at.getTime() >= period.from.getTime() && at.getTime() < period.to.getTime());
}
