import type { ChangeEventPublisher } from "@situation/platform";
import type { Db } from "mongodb";
import { seedCityArea, type CityArea } from "../outage/city-area.js";
import { AlertRepository } from "./alert.repository.js";
import type { EnvironmentAlert } from "./alert.model.js";
import { BatchLoader } from "./batch-loader.js";
import { LatestReadingRepository } from "./latest-reading.repository.js";
import type { EnvironmentReading } from "./reading.model.js";
import { ReadingRepository } from "./reading.repository.js";
import type { StationDocument } from "./station.model.js";
import { StationRepository } from "./station.repository.js";
import { ThresholdRepository } from "./threshold.repository.js";

/** The environment feature's collections: stations, readings, latest readings, thresholds and alerts. */
export interface EnvironmentRepositories {
  stations: StationRepository;
  readings: ReadingRepository;
  latestReadings: LatestReadingRepository;
  thresholds: ThresholdRepository;
  alerts: AlertRepository;
  /** Where stations may stand, and which district each point is in. */
  city: CityArea;
  ensureIndexes(): Promise<void>;
}

export function openEnvironmentRepositories(
  db: Db,
  options: { now?: () => Date; retentionDays?: number; city?: CityArea; events?: ChangeEventPublisher } = {},
): EnvironmentRepositories {
  const stations = new StationRepository(db, options.now);
  const latestReadings = new LatestReadingRepository(db, options.now);
  const thresholds = new ThresholdRepository(db, options.now);
  const alerts = new AlertRepository(db, options.now);
  const readings = new ReadingRepository(db, {
    stations,
    latestReadings,
    thresholds,
    alerts,
    ...(options.now ? { now: options.now } : {}),
    ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
    ...(options.events ? { events: options.events } : {}),
  });
  return {
    stations,
    readings,
    latestReadings,
    thresholds,
    alerts,
    city: options.city ?? seedCityArea(),
    async ensureIndexes() {
      await Promise.all([stations.ensureIndexes(), readings.ensureIndexes(), latestReadings.ensureIndexes(), alerts.ensureIndexes()]);
    },
  };
}

/** Per request: batches the district view's and station lists' lookups into one query each. */
export class EnvironmentLoaders {
  readonly districtLatestReadings: BatchLoader<string, EnvironmentReading[]>;
  readonly districtOpenAlerts: BatchLoader<string, EnvironmentAlert[]>;
  readonly stationLatestReadings: BatchLoader<string, EnvironmentReading[]>;
  readonly stations: BatchLoader<string, StationDocument | null>;

  constructor(environment: Pick<EnvironmentRepositories, "latestReadings" | "alerts" | "stations">) {
    this.districtLatestReadings = new BatchLoader((ids) => environment.latestReadings.byDistricts(ids), () => []);
    this.districtOpenAlerts = new BatchLoader((ids) => environment.alerts.openByDistricts(ids), () => []);
    this.stationLatestReadings = new BatchLoader((ids) => environment.latestReadings.byStations(ids), () => []);
    this.stations = new BatchLoader((ids) => environment.stations.findDocuments(ids), () => null);
  }
}
