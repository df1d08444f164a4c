import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from "mongodb";
import { decodeCursor, encodeCursor, type Page } from "./environment-page.js";
import type { EnvironmentParameter } from "./environment-parameter.js";
import { AlertStatus, toAlert, type AlertDocument, type EnvironmentAlert } from "./alert.model.js";

const DUPLICATE_KEY = 11000;

export interface AlertQuery {
  status?: AlertStatus | null;
  stationId?: string | null;
  districtId?: string | null;
  parameter?: EnvironmentParameter | null;
  /** Alerts raised before `to` and (if cleared) cleared after `from`: those open at some time in the window. */
  from?: Date | null;
  to?: Date | null;
}

/** What to do with an open alert after an evaluation. */
export type AlertWrite =
  | { kind: "raise"; document: AlertDocument }
  | { kind: "update"; id: string; set: Partial<AlertDocument> }
  | { kind: "clear"; id: string; set: Partial<AlertDocument> };

/** The only code that reads and writes `environmentAlerts`. */
export class AlertRepository {
  readonly collection: Collection<AlertDocument>;

  constructor(
    db: Db,
    readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<AlertDocument>("environmentAlerts");
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      // One open alert per station and parameter, even when two ingests evaluate it at once.
      this.collection.createIndex(
        { stationId: 1, parameter: 1 },
        { unique: true, partialFilterExpression: { status: AlertStatus.OPEN }, name: "open_alert_unique" },
      ),
      this.collection.createIndex({ status: 1, districtId: 1, raisedAt: -1, _id: -1 }),
      this.collection.createIndex({ stationId: 1, raisedAt: -1, _id: -1 }),
      this.collection.createIndex({ raisedAt: -1, _id: -1 }),
    ]);
  }

  /** The open alerts of these (station, parameter) pairs, by `<stationId>|<parameter>`. */
  async openFor(keys: readonly { stationId: string; parameter: EnvironmentParameter }[]): Promise<Map<string, AlertDocument>> {
    if (keys.length === 0) return new Map();
    const stationIds = [...new Set(keys.map((key) => key.stationId))];
    const documents = await this.collection.find({ status: AlertStatus.OPEN, stationId: { $in: stationIds } }).toArray();
    return new Map(documents.map((document) => [`${document.stationId}|${document.parameter}`, document]));
  }

  /**
   * Applies an evaluation's writes in one unordered bulk write. Updates and clears match only an alert
   * still open; a raise that loses to a concurrent one (the unique open index) is left out of the
   * result, since the other ingest reported it. Returns the alerts as written.
   */
  async apply(writes: readonly AlertWrite[]): Promise<{ raised: AlertDocument[]; cleared: AlertDocument[]; updated: number }> {
    if (writes.length === 0) return { raised: [], cleared: [], updated: 0 };
    const updatedAt = this.now();
    const operations: AnyBulkWriteOperation<AlertDocument>[] = writes.map((write) =>
      write.kind === "raise"
        ? { insertOne: { document: write.document } }
        : { updateOne: { filter: { _id: write.id, status: AlertStatus.OPEN }, update: { $set: { ...write.set, updatedAt } } } },
    );
    const failed = new Set<number>();
    try {
      await this.collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      for (const writeError of writeErrors) {
        if (writeError.code !== DUPLICATE_KEY) throw error;
        failed.add(writeError.index);
      }
    }
    const changedIds = writes.flatMap((write, index) => (write.kind === "clear" && !failed.has(index) ? [write.id] : []));
    const cleared = changedIds.length === 0 ? [] : await this.collection.find({ _id: { $in: changedIds }, status: AlertStatus.CLEARED }).toArray();
    return {
      raised: writes.flatMap((write, index) => (write.kind === "raise" && !failed.has(index) ? [write.document] : [])),
      cleared,
      updated: writes.filter((write) => write.kind === "update").length,
    };
  }

  /** Alerts newest raised first, narrowed by status, station, district, parameter and time. */
  async findPage(query: AlertQuery, first: number, after?: string | null): Promise<Page<EnvironmentAlert>> {
    const filter: Filter<AlertDocument> = {};
    if (query.status) filter.status = query.status;
    if (query.stationId) filter.stationId = query.stationId;
    if (query.districtId) filter.districtId = query.districtId;
    if (query.parameter) filter.parameter = query.parameter;
    const conditions: Filter<AlertDocument>[] = [filter];
    if (query.to) conditions.push({ raisedAt: { $lt: query.to } });
    if (query.from) conditions.push({ $or: [{ clearedAt: null }, { clearedAt: { $gt: query.from } }] });
    const matching: Filter<AlertDocument> = { $and: conditions };
    const paged = [...conditions];
    if (after) {
      const [raisedAt, id] = decodeCursor(after, ["date", "string"]) as [Date, string];
      paged.push({ $or: [{ raisedAt: { $lt: raisedAt } }, { raisedAt, _id: { $lt: id } }] });
    }
    const [documents, totalCount] = await Promise.all([
      this.collection
        .find({ $and: paged })
        .sort({ raisedAt: -1, _id: -1 })
        .limit(first + 1)
        .toArray(),
      this.collection.countDocuments(matching),
    ]);
    const page = documents.slice(0, first);
    return {
      items: page.map(toAlert),
      cursors: page.map((document) => encodeCursor([document.raisedAt.getTime(), document._id])),
      hasNextPage: documents.length > first,
      totalCount,
    };
  }

  /** The open alerts of the districts asked for, newest raised first, in one query. */
  async openByDistricts(districtIds: readonly string[]): Promise<Map<string, EnvironmentAlert[]>> {
    const found = new Map(districtIds.map((districtId) => [districtId, [] as EnvironmentAlert[]]));
    if (districtIds.length === 0) return found;
    const documents = await this.collection
      .find({ status: AlertStatus.OPEN, districtId: { $in: [...districtIds] } })
      .sort({ raisedAt: -1, _id: -1 })
      .toArray();
    for (const document of documents) found.get(document.districtId)?.push(toAlert(document));
    return found;
  }

  async moveStation(stationId: string, districtId: string): Promise<void> {
    await this.collection.updateMany({ stationId, status: AlertStatus.OPEN }, { $set: { districtId } });
  }
}
