/**
 * The readings time series and its ingest: the one entry point through which the GraphQL push and
 * the sync workers store readings, keep each (station, parameter)'s latest value and raise and clear
 * alerts. Every reading is checked on its own; the accepted ones are written in unordered bulk writes.
 */
import { NO_CHANGE_EVENTS, UserInputError, type ChangeEventPublisher } from "@situation/platform";
import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from "mongodb";
import { evaluateAlerts, type WindowMeans } from "./alert-evaluation.js";
import type { AlertRepository } from "./alert.repository.js";
import { toAlert, type EnvironmentAlert } from "./alert.model.js";
import { HOUR_MS, windowOf, type TimeWindow } from "./averaging-window.js";
import { decodeCursor, encodeCursor, type Page } from "./environment-page.js";
import { EnvironmentParameter, isEnvironmentParameter, PARAMETER_SPECS } from "./environment-parameter.js";
import type { LatestCandidate, LatestReadingRepository } from "./latest-reading.repository.js";
import { latestKey, ReadingWrite, toReading, type EnvironmentReading, type ReadingDocument } from "./reading.model.js";
import type { StationDocument } from "./station.model.js";
import type { StationRepository } from "./station.repository.js";
import type { Problem } from "./station-write.js";
import type { ThresholdRepository } from "./threshold.repository.js";

/** The most one `ingestReadings` call takes; feeds with more send several. */
export const MAX_INGEST_ITEMS = 10_000;
/** Clocks of stations and of this platform disagree a little; anything later is a wrong clock or time zone. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
export const DEFAULT_RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;
const DUPLICATE_KEY = 11000;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
// Keeps each `$in`/`$or` read and each bulk write a reasonable size.
const CHUNK = 1_000;
const RETENTION_INDEX = "readings_retention";

/** One reading as a feed or a provider hands it over. */
export interface IngestReading {
  stationId: string;
  /** An EnvironmentParameter name; anything else is rejected against `parameter`. */
  parameter: string;
  at: Date;
  value: number;
  /** If given, must be the parameter's fixed unit. */
  unit?: string | null;
}

export interface IngestOptions {
  /** Provenance stored with each reading: the feed's name, or `push:<who>` for the GraphQL push. */
  source: string;
  /** Whether the caller may write this station's readings (the push passes the caller's scope); every station when absent. */
  mayWrite?: (station: StationDocument) => boolean;
}

export interface IngestItemOutcome {
  index: number;
  accepted: boolean;
  write: ReadingWrite | null;
  errors: Problem[];
}

export interface IngestResult {
  items: IngestItemOutcome[];
  acceptedCount: number;
  rejectedCount: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Alerts this ingest opened, and closed: what change events announce. */
  alertsRaised: EnvironmentAlert[];
  alertsCleared: EnvironmentAlert[];
}

export interface ReadingQuery {
  stationId: string;
  parameter?: EnvironmentParameter | null;
  from?: Date | null;
  to?: Date | null;
}

interface Accepted {
  index: number;
  station: StationDocument;
  reading: Omit<ReadingDocument, "source" | "receivedAt">;
}

export interface ReadingRepositoryDependencies {
  stations: StationRepository;
  latestReadings: LatestReadingRepository;
  thresholds: ThresholdRepository;
  alerts: AlertRepository;
  now?: () => Date;
  retentionDays?: number;
  /** Told about the alerts an ingest raises and clears (docs/live-events.md); nobody when absent. */
  events?: ChangeEventPublisher;
}

/** The only code that reads and writes `readings`. */
export class ReadingRepository {
  readonly collection: Collection<ReadingDocument>;
  readonly now: () => Date;
  readonly retentionDays: number;
  /** Whether the retention was given (READINGS_RETENTION_DAYS) rather than defaulted. */
  private readonly retentionConfigured: boolean;

  constructor(
    db: Db,
    private readonly deps: ReadingRepositoryDependencies,
  ) {
    this.collection = db.collection<ReadingDocument>("readings");
    this.now = deps.now ?? (() => new Date());
    this.retentionDays = deps.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.retentionConfigured = deps.retentionDays !== undefined;
    if (!Number.isInteger(this.retentionDays) || this.retentionDays < 1) throw new RangeError("retentionDays must be a positive integer");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      // Idempotent ingest: one reading per station, parameter and time.
      this.collection.createIndex({ stationId: 1, parameter: 1, at: 1 }, { unique: true, name: "station_parameter_at_unique" }),
      this.collection.createIndex({ stationId: 1, at: -1 }),
      this.ensureRetentionIndex(),
    ]);
  }

  /**
   * The TTL index that removes readings past the retention. MongoDB refuses to change an index's
   * options in place (and the embedded server has no collMod), so a configured retention that differs
   * drops and re-creates it. A process opened without one (a library user that does not pass
   * READINGS_RETENTION_DAYS) leaves an existing index as it is, so it never undoes the configured one.
   */
  private async ensureRetentionIndex(): Promise<void> {
    const options = { name: RETENTION_INDEX, expireAfterSeconds: this.retentionDays * 86_400 };
    try {
      await this.collection.createIndex({ at: 1 }, options);
    } catch (error) {
      if (!(error instanceof MongoServerError) || (error.code !== INDEX_OPTIONS_CONFLICT && error.code !== INDEX_KEY_SPECS_CONFLICT)) throw error;
      if (!this.retentionConfigured) return;
      await this.collection.dropIndex(RETENTION_INDEX);
      await this.collection.createIndex({ at: 1 }, options);
    }
  }

  /**
   * Checks and stores readings. A reading already stored with the same value writes nothing; with
   * another value it is corrected. Rejected readings (and only they) are reported with the field and
   * why. Then the latest values move forward and the alerts of the (station, parameter) pairs written
   * are evaluated from the stored readings, so the outcome does not depend on the order readings came in.
   */
  async ingestReadings(readings: readonly IngestReading[], options: IngestOptions): Promise<IngestResult> {
    if (readings.length > MAX_INGEST_ITEMS) {
      throw new UserInputError(`readings: at most ${MAX_INGEST_ITEMS} per call, got ${readings.length}`, { field: "readings" });
    }
    const source = options.source.trim();
    if (source === "") throw new UserInputError("source must not be empty", { field: "source" });
    const now = this.now();
    const stations = await this.deps.stations.findDocuments(
      readings.flatMap((reading) => (typeof reading.stationId === "string" ? [reading.stationId.trim()] : [])),
    );
    const outcomes: IngestItemOutcome[] = [];
    const accepted: Accepted[] = [];
    const seen = new Set<string>();
    for (const [index, input] of readings.entries()) {
      const problems: Problem[] = [];
      const checked = this.check(input, stations, options, now, problems);
      if (checked) {
        const key = readingKey(checked);
        if (seen.has(key)) problems.push({ field: "at", message: "the same station, parameter and time appear earlier in this batch" });
        else seen.add(key);
      }
      if (problems.length > 0 || !checked) {
        outcomes.push({ index, accepted: false, write: null, errors: problems });
        continue;
      }
      outcomes.push({ index, accepted: true, write: null, errors: [] });
      accepted.push({ index, station: stations.get(checked.stationId)!, reading: checked });
    }

    const stored = await this.storedValues(accepted.map((item) => item.reading));
    const written: Accepted[] = [];
    for (const item of accepted) {
      const previous = stored.get(readingKey(item.reading));
      const write = previous === undefined ? ReadingWrite.INSERTED : previous === item.reading.value ? ReadingWrite.UNCHANGED : ReadingWrite.UPDATED;
      outcomes[item.index]!.write = write;
      if (write !== ReadingWrite.UNCHANGED) written.push(item);
    }
    await this.write(written, source, now);
    await this.deps.latestReadings.advance(newestPerSeries(written));
    const alerts = await this.evaluate(written);
    await this.publishAlerts(alerts, stations);

    const count = (write: ReadingWrite) => outcomes.filter((outcome) => outcome.write === write).length;
    return {
      items: outcomes,
      acceptedCount: accepted.length,
      rejectedCount: outcomes.length - accepted.length,
      inserted: count(ReadingWrite.INSERTED),
      updated: count(ReadingWrite.UPDATED),
      unchanged: count(ReadingWrite.UNCHANGED),
      alertsRaised: alerts.raised,
      alertsCleared: alerts.cleared,
    };
  }

  /** After the alerts are stored: an event per alert opened or closed, owned by its station's provider if it has one. */
  private async publishAlerts(
    alerts: { raised: readonly EnvironmentAlert[]; cleared: readonly EnvironmentAlert[] },
    stations: ReadonlyMap<string, StationDocument>,
  ): Promise<void> {
    const events = this.deps.events ?? NO_CHANGE_EVENTS;
    const publish = (type: "alert.raised" | "alert.cleared", alert: EnvironmentAlert) => {
      const providerId = stations.get(alert.stationId)?.providerId;
      return events.publish({ type, id: alert.id, districtIds: [alert.districtId], ...(providerId ? { providerId } : {}) });
    };
    await Promise.all([
      ...alerts.raised.map((alert) => publish("alert.raised", alert)),
      ...alerts.cleared.map((alert) => publish("alert.cleared", alert)),
    ]);
  }

  private check(
    input: IngestReading,
    stations: Map<string, StationDocument>,
    options: IngestOptions,
    now: Date,
    problems: Problem[],
  ): Accepted["reading"] | undefined {
    const stationId = typeof input.stationId === "string" ? input.stationId.trim() : "";
    const station = stations.get(stationId);
    if (stationId === "") problems.push({ field: "stationId", message: "must not be empty" });
    else if (!station) problems.push({ field: "stationId", message: `unknown station ${JSON.stringify(stationId)}` });
    else if (options.mayWrite && !options.mayWrite(station)) problems.push({ field: "stationId", message: `not allowed to push readings of station ${stationId}` });
    else if (!station.active) problems.push({ field: "stationId", message: `station ${stationId} is inactive` });
    const parameter = input.parameter;
    if (!isEnvironmentParameter(parameter)) {
      problems.push({ field: "parameter", message: `unknown parameter ${JSON.stringify(parameter)}` });
    } else if (station && !station.parameters.includes(parameter)) {
      problems.push({ field: "parameter", message: `station ${stationId} does not measure ${parameter}` });
    }
    const at = input.at;
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) problems.push({ field: "at", message: "is not a date" });
    else if (at.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) problems.push({ field: "at", message: "lies in the future" });
    else if (at.getTime() <= now.getTime() - this.retentionDays * DAY_MS) {
      problems.push({ field: "at", message: `is older than the retention of ${this.retentionDays} days` });
    }
    const spec = isEnvironmentParameter(parameter) ? PARAMETER_SPECS[parameter] : undefined;
    const value = input.value;
    if (typeof value !== "number" || !Number.isFinite(value)) problems.push({ field: "value", message: "must be a finite number" });
    else if (spec && (value < spec.min || value > spec.max)) {
      problems.push({ field: "value", message: `${value} ${spec.unit} is outside the plausible range ${spec.min}…${spec.max} ${spec.unit}` });
    }
    if (spec && input.unit != null && input.unit.trim() !== spec.unit) {
      problems.push({ field: "unit", message: `${parameter} is measured in ${spec.unit}, got ${JSON.stringify(input.unit)}` });
    }
    if (problems.length > 0 || !spec) return undefined;
    return { stationId, parameter: parameter as EnvironmentParameter, at, value, unit: spec.unit };
  }

  /** The stored values of these readings' keys (a superset is read, then narrowed). */
  private async storedValues(readings: readonly Accepted["reading"][]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (let start = 0; start < readings.length; start += CHUNK) {
      const slice = readings.slice(start, start + CHUNK);
      const documents = await this.collection
        .find(
          {
            stationId: { $in: [...new Set(slice.map((reading) => reading.stationId))] },
            parameter: { $in: [...new Set(slice.map((reading) => reading.parameter))] },
            at: { $in: [...new Set(slice.map((reading) => reading.at.getTime()))].map((time) => new Date(time)) },
          },
          { projection: { _id: 0, stationId: 1, parameter: 1, at: 1, value: 1 } },
        )
        .toArray();
      for (const document of documents) found.set(readingKey(document), document.value);
    }
    return found;
  }

  /**
   * Upserts by (stationId, parameter, at). Two ingests inserting the same new reading at once race on
   * the unique index; the loser's write is sent again and then matches as an update.
   */
  private async write(items: readonly Accepted[], source: string, receivedAt: Date): Promise<void> {
    for (let start = 0; start < items.length; start += CHUNK) {
      let operations: AnyBulkWriteOperation<ReadingDocument>[] = items.slice(start, start + CHUNK).map(({ reading }) => ({
        updateOne: {
          filter: { stationId: reading.stationId, parameter: reading.parameter, at: reading.at },
          update: { $set: { value: reading.value, unit: reading.unit, source, receivedAt } },
          upsert: true,
        },
      }));
      for (let attempt = 0; operations.length > 0; attempt++) {
        try {
          await this.collection.bulkWrite(operations, { ordered: false });
          operations = [];
        } catch (error) {
          if (!(error instanceof MongoBulkWriteError) || attempt > 0) throw error;
          const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
          if (writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
          operations = writeErrors.map((writeError) => operations[writeError.index]!);
        }
      }
    }
  }

  /** Raises, updates and clears the alerts of the series just written (see alert-evaluation.ts). */
  private async evaluate(written: readonly Accepted[]): Promise<{ raised: EnvironmentAlert[]; cleared: EnvironmentAlert[] }> {
    if (written.length === 0) return { raised: [], cleared: [] };
    const series = new Map<string, { stationId: string; parameter: EnvironmentParameter; districtId: string; times: Date[] }>();
    for (const { reading, station } of written) {
      const key = latestKey(reading.stationId, reading.parameter);
      const entry = series.get(key) ?? { stationId: reading.stationId, parameter: reading.parameter, districtId: station.districtId, times: [] };
      entry.times.push(reading.at);
      series.set(key, entry);
    }
    const [thresholds, latest, open] = await Promise.all([
      this.deps.thresholds.byParameter(),
      this.deps.latestReadings.find([...series.keys()]),
      this.deps.alerts.openFor([...series.values()]),
    ]);
    const evaluations = [...series.entries()].map(([key, entry]) => {
      const setting = thresholds.get(entry.parameter)!;
      const newest = latest.get(key)?.at ?? entry.times.reduce((left, right) => (left > right ? left : right));
      const windows = uniqueWindows([newest, ...entry.times].map((at) => windowOf(at, setting.averaging)));
      return { key, ...entry, setting, current: windowOf(newest, setting.averaging), windows, open: open.get(key) ?? null };
    });
    const means = await this.windowMeans(
      evaluations.filter((evaluation) => evaluation.setting.enabled && evaluation.setting.value !== null),
    );
    const writes = evaluateAlerts(evaluations, means, this.now());
    const applied = await this.deps.alerts.apply(writes);
    return { raised: applied.raised.map(toAlert), cleared: applied.cleared.map(toAlert) };
  }

  /**
   * The mean of each window asked for, computed in the database: the readings of each series in its
   * windows are summed per UTC hour by one aggregation (per 1,000 distinct ranges), and each window's mean is the sum of its
   * hours' sums over the sum of their counts (an hour and a Europe/Belgrade day are both whole UTC hours).
   */
  async windowMeans(requests: readonly { stationId: string; parameter: EnvironmentParameter; windows: readonly TimeWindow[] }[]): Promise<WindowMeans> {
    // Series whose windows span the same range share one branch: a feed's readings mostly fall in the
    // same hour or day, and `$in` on the unique index's prefix reads faster than one branch per series
    // (with 1,000,000 readings, 200 against 310 ms for 100 series). Crossing stations with parameters
    // may read other series too; their sums are never asked for below.
    const ranges = new Map<string, { start: Date; end: Date; stationIds: Set<string>; parameters: Set<EnvironmentParameter> }>();
    for (const { stationId, parameter, windows } of requests) {
      for (const { start, end } of mergeWindows(windows)) {
        const key = `${start.getTime()}|${end.getTime()}`;
        const range = ranges.get(key) ?? { start, end, stationIds: new Set<string>(), parameters: new Set<EnvironmentParameter>() };
        range.stationIds.add(stationId);
        range.parameters.add(parameter);
        ranges.set(key, range);
      }
    }
    const branches = [...ranges.values()].map(({ start, end, stationIds, parameters }) => ({
      stationId: { $in: [...stationIds] },
      parameter: { $in: [...parameters] },
      at: { $gte: start, $lt: end },
    }));
    const hours = new Map<string, { sum: number; count: number }>();
    for (let start = 0; start < branches.length; start += CHUNK) {
      const groups = await this.collection
        .aggregate<{ _id: { stationId: string; parameter: EnvironmentParameter; hour: number }; sum: number; count: number }>([
          { $match: { $or: branches.slice(start, start + CHUNK) } },
          {
            $group: {
              _id: {
                stationId: "$stationId",
                parameter: "$parameter",
                hour: { $subtract: [{ $toLong: "$at" }, { $mod: [{ $toLong: "$at" }, HOUR_MS] }] },
              },
              sum: { $sum: "$value" },
              count: { $sum: 1 },
            },
          },
        ])
        .toArray();
      for (const group of groups) {
        hours.set(`${latestKey(group._id.stationId, group._id.parameter)}|${Number(group._id.hour)}`, { sum: group.sum, count: group.count });
      }
    }
    const means: WindowMeans = new Map();
    for (const { stationId, parameter, windows } of requests) {
      const key = latestKey(stationId, parameter);
      for (const window of windows) {
        let sum = 0;
        let count = 0;
        for (let hour = window.start.getTime(); hour < window.end.getTime(); hour += HOUR_MS) {
          const bucket = hours.get(`${key}|${hour}`);
          if (bucket) {
            sum += bucket.sum;
            count += bucket.count;
          }
        }
        if (count > 0) means.set(`${key}|${window.start.getTime()}`, sum / count);
      }
    }
    return means;
  }

  /** A station's readings, newest first, narrowed by parameter and a time window [from, to). */
  async findPage(query: ReadingQuery, first: number, after?: string | null): Promise<Page<EnvironmentReading>> {
    const filter: Filter<ReadingDocument> = { stationId: query.stationId };
    if (query.parameter) filter.parameter = query.parameter;
    if (query.from || query.to) filter.at = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lt: query.to } : {}) };
    const conditions: Filter<ReadingDocument>[] = [filter];
    if (after) {
      const [at, parameter] = decodeCursor(after, ["date", "string"]) as [Date, string];
      conditions.push({ $or: [{ at: { $lt: at } }, { at, parameter: { $gt: parameter as EnvironmentParameter } }] });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find({ $and: conditions })
        .sort({ at: -1, parameter: 1 })
        .limit(first + 1)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    const page = documents.slice(0, first);
    return {
      items: page.map(toReading),
      cursors: page.map((document) => encodeCursor([document.at.getTime(), document.parameter])),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }

  async count(filter: Filter<ReadingDocument> = {}): Promise<number> {
    return this.collection.countDocuments(filter);
  }
}

function readingKey(reading: { stationId: string; parameter: string; at: Date }): string {
  return `${reading.stationId}|${reading.parameter}|${reading.at.getTime()}`;
}

/** Per (station, parameter), the newest reading written: the only candidate for its latest value. */
function newestPerSeries(items: readonly Accepted[]): LatestCandidate[] {
  const newest = new Map<string, LatestCandidate>();
  for (const { reading, station } of items) {
    const key = latestKey(reading.stationId, reading.parameter);
    const current = newest.get(key);
    if (!current || reading.at > current.at) newest.set(key, { ...reading, districtId: station.districtId });
  }
  return [...newest.values()];
}

function uniqueWindows(windows: readonly TimeWindow[]): TimeWindow[] {
  const byStart = new Map(windows.map((window) => [window.start.getTime(), window]));
  return [...byStart.values()].sort((left, right) => left.start.getTime() - right.start.getTime());
}

/** Adjacent and overlapping windows as one range, so the aggregation's `$or` stays short. */
function mergeWindows(windows: readonly TimeWindow[]): TimeWindow[] {
  const sorted = uniqueWindows(windows);
  const merged: TimeWindow[] = [];
  for (const window of sorted) {
    const last = merged.at(-1);
    if (last && window.start.getTime() <= last.end.getTime()) {
      if (window.end > last.end) last.end = window.end;
    } else {
      merged.push({ start: window.start, end: window.end });
    }
  }
  return merged;
}
