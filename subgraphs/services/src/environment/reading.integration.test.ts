/**
 * Ingest against the embedded store: idempotent writes, per-item rejections that write nothing, the
 * latest value that only moves forward, and alerts raised, kept and cleared from database means.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEMO_PROVIDERS, KRUSEVAC_CENTRE } from "../seed/demo-data.js";
import { TEST_NOW, startServicesTestStack, type ServicesTestStack } from "../test-support/services-test-stack.js";
import { AlertStatus } from "./alert.model.js";
import { AveragingPeriod } from "./averaging-window.js";
import { EnvironmentParameter } from "./environment-parameter.js";
import type { EnvironmentRepositories } from "./environment.repositories.js";
import { ReadingWrite } from "./reading.model.js";
import { ReadingRepository, type IngestReading } from "./reading.repository.js";
import type { StationDocument } from "./station.model.js";

const HOUR = 3_600_000;
const OWN = "jkp-vodovod-krusevac";
const OTHER = "elektrodistribucija-krusevac";
// TEST_NOW is 2025-03-10T10:00Z, 11:00 in Belgrade; that calendar day started at 2025-03-09T23:00Z.
const DAY_START = new Date("2025-03-09T23:00:00Z");
const hoursAgo = (hours: number) => new Date(TEST_NOW.getTime() - hours * HOUR);

let stack: ServicesTestStack;
let environment: EnvironmentRepositories;
let stationCount = 0;

beforeAll(async () => {
  stack = await startServicesTestStack();
  environment = stack.server.repositories.environment;
  await stack.server.repositories.providers.upsertMany(DEMO_PROVIDERS);
});
afterAll(async () => {
  await stack?.close();
});

async function station(overrides: Partial<StationDocument> = {}): Promise<StationDocument> {
  stationCount++;
  const document: StationDocument = {
    _id: `station-${stationCount}`,
    providerId: OWN,
    name: `Станица ${stationCount}`,
    location: { type: "Point", coordinates: [KRUSEVAC_CENTRE.longitude, KRUSEVAC_CENTRE.latitude] },
    districtId: "centar",
    parameters: [EnvironmentParameter.PM10, EnvironmentParameter.NO2, EnvironmentParameter.TEMPERATURE],
    active: true,
    externalId: null,
    createdAt: TEST_NOW,
    updatedAt: TEST_NOW,
    ...overrides,
  };
  await environment.stations.insert(document);
  return document;
}

const ingest = (readings: IngestReading[], source = "test-feed") => environment.readings.ingestReadings(readings, { source });

describe("ingestReadings", () => {
  let s: StationDocument;
  beforeEach(async () => {
    s = await station();
  });

  it("stores new readings, writes nothing for the same ones again, and corrects a changed value", async () => {
    const readings = [
      { stationId: s._id, parameter: "PM10", at: hoursAgo(2), value: 20 },
      { stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 22, unit: "µg/m³" },
      { stationId: s._id, parameter: "TEMPERATURE", at: hoursAgo(1), value: 7.5 },
    ];
    const first = await ingest(readings);
    expect(first).toMatchObject({ acceptedCount: 3, rejectedCount: 0, inserted: 3, updated: 0, unchanged: 0 });
    const stored = await environment.readings.collection.find({ stationId: s._id }).sort({ at: 1, parameter: 1 }).toArray();
    expect(stored).toHaveLength(3);

    const again = await ingest(readings, "another-feed");
    expect(again).toMatchObject({ acceptedCount: 3, inserted: 0, updated: 0, unchanged: 3 });
    expect(again.items.map((item) => item.write)).toEqual([ReadingWrite.UNCHANGED, ReadingWrite.UNCHANGED, ReadingWrite.UNCHANGED]);
    // Not even the provenance or the receipt time changed.
    expect(await environment.readings.collection.find({ stationId: s._id }).sort({ at: 1, parameter: 1 }).toArray()).toEqual(stored);

    const corrected = await ingest([{ ...readings[0]!, value: 25 }]);
    expect(corrected).toMatchObject({ updated: 1, inserted: 0 });
    expect(await environment.readings.count({ stationId: s._id })).toBe(3);
    expect((await environment.readings.collection.findOne({ stationId: s._id, parameter: EnvironmentParameter.PM10, at: hoursAgo(2) }))?.value).toBe(25);
  });

  it("rejects each bad reading naming its field and stores only the good ones", async () => {
    const inactive = await station({ active: false });
    const result = await ingest([
      { stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 30 },
      { stationId: "no-such-station", parameter: "PM10", at: hoursAgo(1), value: 30 },
      { stationId: s._id, parameter: "O3", at: hoursAgo(1), value: 30 },
      { stationId: s._id, parameter: "SO2", at: hoursAgo(1), value: 30 },
      { stationId: s._id, parameter: "PM10", at: hoursAgo(2), value: 30, unit: "ppb" },
      { stationId: s._id, parameter: "PM10", at: hoursAgo(3), value: 99_999 },
      { stationId: s._id, parameter: "TEMPERATURE", at: hoursAgo(3), value: Number.NaN },
      { stationId: s._id, parameter: "PM10", at: new Date(TEST_NOW.getTime() + HOUR), value: 30 },
      { stationId: s._id, parameter: "PM10", at: new Date(TEST_NOW.getTime() - 401 * 24 * HOUR), value: 30 },
      { stationId: s._id, parameter: "PM10", at: new Date("not a date"), value: 30 },
      { stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 31 },
      { stationId: inactive._id, parameter: "PM10", at: hoursAgo(1), value: 30 },
      { stationId: " ", parameter: "PM10", at: hoursAgo(1), value: 30 },
    ]);
    expect(result.items.map((item) => [item.accepted, item.errors.map((error) => error.field)])).toEqual([
      [true, []],
      [false, ["stationId"]],
      [false, ["parameter"]],
      [false, ["parameter"]],
      [false, ["unit"]],
      [false, ["value"]],
      [false, ["value"]],
      [false, ["at"]],
      [false, ["at"]],
      [false, ["at"]],
      [false, ["at"]],
      [false, ["stationId"]],
      [false, ["stationId"]],
    ]);
    expect(result.items[5]?.errors[0]?.message).toMatch(/outside the plausible range 0…5000 µg\/m³/);
    expect(result.items[10]?.errors[0]?.message).toMatch(/earlier in this batch/);
    expect(await environment.readings.collection.find({ stationId: { $in: [s._id, inactive._id] } }).toArray()).toMatchObject([{ value: 30 }]);
  });

  it("refuses stations the caller may not write, per item", async () => {
    const theirs = await station({ providerId: OTHER });
    const result = await environment.readings.ingestReadings(
      [
        { stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 10 },
        { stationId: theirs._id, parameter: "PM10", at: hoursAgo(1), value: 10 },
      ],
      { source: "push:test", mayWrite: (candidate) => candidate.providerId === OWN },
    );
    expect(result.items.map((item) => item.accepted)).toEqual([true, false]);
    expect(result.items[1]?.errors).toEqual([{ field: "stationId", message: `not allowed to push readings of station ${theirs._id}` }]);
    expect(await environment.readings.count({ stationId: theirs._id })).toBe(0);
  });

  it("keeps the latest value per station and parameter, moving only forward in time", async () => {
    await ingest([{ stationId: s._id, parameter: "NO2", at: hoursAgo(1), value: 40 }]);
    await ingest([{ stationId: s._id, parameter: "NO2", at: hoursAgo(3), value: 90 }]);
    const latest = await environment.latestReadings.find([`${s._id}|NO2`]);
    expect(latest.get(`${s._id}|NO2`)).toMatchObject({ at: hoursAgo(1), value: 40, districtId: "centar", unit: "µg/m³" });
    // A correction of the latest reading itself replaces its value.
    await ingest([{ stationId: s._id, parameter: "NO2", at: hoursAgo(1), value: 41 }]);
    expect((await environment.latestReadings.find([`${s._id}|NO2`])).get(`${s._id}|NO2`)?.value).toBe(41);

    // Concurrent ingests of older and newer readings: the newest wins whatever order they land in.
    await Promise.all(
      [0.9, 0.2, 0.5, 0.1, 0.7].map((hours, index) => ingest([{ stationId: s._id, parameter: "NO2", at: hoursAgo(hours), value: 50 + index }])),
    );
    expect((await environment.latestReadings.find([`${s._id}|NO2`])).get(`${s._id}|NO2`)).toMatchObject({ at: hoursAgo(0.1), value: 53 });
  });

  it("refuses a call of more than 10,000 readings, or without a source, before writing anything", async () => {
    const reading = { stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 10 };
    await expect(ingest(Array.from({ length: 10_001 }, () => reading))).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "readings" });
    await expect(ingest([reading], "  ")).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "source" });
    expect(await environment.readings.count({ stationId: s._id })).toBe(0);
  });

  it("takes thousands of readings in one call", async () => {
    const big = await station({ parameters: [EnvironmentParameter.TEMPERATURE] });
    const readings = Array.from({ length: 3_000 }, (_, index) => ({
      stationId: big._id,
      parameter: "TEMPERATURE",
      at: new Date(TEST_NOW.getTime() - (index + 1) * 60_000),
      value: 5 + (index % 10) / 10,
    }));
    const result = await ingest(readings);
    expect(result).toMatchObject({ acceptedCount: 3_000, inserted: 3_000, rejectedCount: 0 });
    expect(await environment.readings.count({ stationId: big._id })).toBe(3_000);
    expect((await ingest(readings)).unchanged).toBe(3_000);
  });
});

describe("alerts", () => {
  it("raises a PM10 alert on the Belgrade calendar-day mean, updates its peak, and clears it the next day", async () => {
    const s = await station();
    // 09-03 23:30Z is already the 10th in Belgrade: the same day as TEST_NOW.
    const low = await ingest([{ stationId: s._id, parameter: "PM10", at: new Date("2025-03-09T23:30:00Z"), value: 30 }]);
    expect(low.alertsRaised).toEqual([]);
    const high = await ingest([{ stationId: s._id, parameter: "PM10", at: hoursAgo(2), value: 90 }]);
    // (30 + 90) / 2 = 60 > 50
    expect(high.alertsRaised).toHaveLength(1);
    expect(high.alertsRaised[0]).toMatchObject({
      stationId: s._id,
      parameter: EnvironmentParameter.PM10,
      districtId: "centar",
      status: AlertStatus.OPEN,
      threshold: 50,
      averaging: AveragingPeriod.DAY,
      windowStart: DAY_START,
      lastMean: 60,
      peakMean: 60,
      raisedAt: TEST_NOW,
    });
    const higher = await ingest([{ stationId: s._id, parameter: "PM10", at: hoursAgo(1), value: 120 }]);
    expect(higher.alertsRaised).toEqual([]);
    const [open] = (await environment.alerts.openFor([{ stationId: s._id, parameter: EnvironmentParameter.PM10 }])).values();
    expect(open).toMatchObject({ lastMean: 80, peakMean: 80 });

    // A reading arriving late for the previous day does not clear today's alert.
    const late = await ingest([{ stationId: s._id, parameter: "PM10", at: new Date("2025-03-09T12:00:00Z"), value: 5 }]);
    expect(late.alertsCleared).toEqual([]);

    // The first reading of the next Belgrade day (from 2025-03-10T23:00Z) is low: the alert clears.
    // Readings of the next day lie after TEST_NOW, so this ingest runs with a later clock.
    const tomorrow = new Date("2025-03-11T06:00:00Z");
    const next = await ingestAt(tomorrow, [{ stationId: s._id, parameter: "PM10", at: new Date("2025-03-11T05:00:00Z"), value: 20 }]);
    expect(next.alertsCleared).toHaveLength(1);
    expect(next.alertsCleared[0]).toMatchObject({ id: high.alertsRaised[0]!.id, status: AlertStatus.CLEARED, peakMean: 80, lastMean: 20, clearedWindowStart: new Date("2025-03-10T23:00:00Z") });
    const history = await environment.alerts.findPage({ stationId: s._id }, 10);
    expect(history.items.map((alert) => alert.status)).toEqual([AlertStatus.CLEARED]);
  });

  it("counts a late reading into the current window: the hourly NO2 mean crosses 200 whatever the order", async () => {
    const s = await station();
    const hour = new Date("2025-03-10T09:00:00Z");
    const first = await ingest([{ stationId: s._id, parameter: "NO2", at: new Date(hour.getTime() + 50 * 60_000), value: 150 }]);
    expect(first.alertsRaised).toEqual([]);
    // Earlier in the same hour, arriving later: mean (150 + 270) / 2 = 210.
    const second = await ingest([{ stationId: s._id, parameter: "NO2", at: new Date(hour.getTime() + 10 * 60_000), value: 270 }]);
    expect(second.alertsRaised).toMatchObject([{ parameter: EnvironmentParameter.NO2, lastMean: 210, windowStart: hour, averaging: AveragingPeriod.HOUR }]);
    // Sent again: nothing written, nothing raised twice.
    const again = await ingest([{ stationId: s._id, parameter: "NO2", at: new Date(hour.getTime() + 10 * 60_000), value: 270 }]);
    expect(again).toMatchObject({ unchanged: 1, alertsRaised: [], alertsCleared: [] });
    expect(await environment.alerts.collection.countDocuments({ stationId: s._id })).toBe(1);
  });

  it("judges each series of a mixed batch by its own windows and readings", async () => {
    const a = await station();
    const b = await station();
    const result = await ingest([
      { stationId: a._id, parameter: "PM10", at: hoursAgo(3), value: 70 },
      { stationId: a._id, parameter: "NO2", at: hoursAgo(0.5), value: 120 },
      { stationId: b._id, parameter: "NO2", at: hoursAgo(0.5), value: 320 },
      { stationId: b._id, parameter: "PM10", at: hoursAgo(0.5), value: 10 },
    ]);
    expect(result.alertsRaised.map((alert) => [alert.stationId, alert.parameter, alert.lastMean]).sort()).toEqual(
      [
        [a._id, EnvironmentParameter.PM10, 70],
        [b._id, EnvironmentParameter.NO2, 320],
      ].sort(),
    );
  });

  it("follows a threshold an admin changed, and raises nothing for parameters without one", async () => {
    const s = await station();
    const warm = await ingest([{ stationId: s._id, parameter: "TEMPERATURE", at: hoursAgo(1), value: 38 }]);
    expect(warm.alertsRaised).toEqual([]);
    await environment.thresholds.set({ parameter: EnvironmentParameter.TEMPERATURE, value: 35, averaging: AveragingPeriod.HOUR, enabled: true, by: "admin-1" });
    try {
      const hot = await ingest([{ stationId: s._id, parameter: "TEMPERATURE", at: hoursAgo(0.5), value: 39 }]);
      expect(hot.alertsRaised).toMatchObject([{ parameter: EnvironmentParameter.TEMPERATURE, threshold: 35, unit: "°C" }]);
    } finally {
      await environment.thresholds.collection.deleteMany({});
    }
  });
});

/** Ingests with another clock, as a process running later would. */
function ingestAt(now: Date, readings: IngestReading[]) {
  const repository = new ReadingRepository(stack.mongo.client.db(stack.databaseName), {
    stations: environment.stations,
    latestReadings: environment.latestReadings,
    thresholds: environment.thresholds,
    alerts: environment.alerts,
    now: () => now,
  });
  return repository.ingestReadings(readings, { source: "test-feed" });
}
