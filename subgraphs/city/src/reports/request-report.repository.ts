/**
 * The contact center's reports, computed by one aggregation pipeline over `serviceRequests` in the
 * database (volume, response and resolution times, SLA compliance, backlog, and first-contact
 * resolution from each request's recorded first contact), returning one small document per group.
 * Nothing loads requests or contacts into this process, and no report reads the contacts: the contact
 * log records each request's first contact on the request as contacts are logged.
 *
 * The pipeline starts with `$match` followed directly by `$group`: MongoDB then reads only the fields
 * the group uses, and so does the embedded store. Percentiles are computed portably with `$push`,
 * `$sortArray` and `$arrayElemAt` (MongoDB 7.0's `$percentile` is approximate, and the embedded
 * store's may differ from it).
 */
import { UserInputError } from "@situation/platform";
import type { Collection, Db, Document } from "mongodb";
import { ReportDimension, type RequestReportRow } from "./request-report.model.js";

/** The service-request feature's collection (docs/contact-center.md); the reports only read it. */
export const SERVICE_REQUESTS_COLLECTION = "serviceRequests";

/** A report over more than this is a mistake (or a denial of service), not a question. */
export const MAX_REPORT_DAYS = 3 * 366;

const HOUR_MS = 3_600_000;

/** The fields of a service request (docs/contact-center.md) that the reports read. */
export interface ReportedRequest {
  _id: string;
  categoryCode: string;
  districtId?: string;
  channel: string;
  status: "received" | "assigned" | "in-progress" | "waiting-for-citizen" | "resolved" | "closed" | "rejected";
  assignee: { kind: "provider" | "department"; id: string };
  receivedAt: Date;
  resolutionDueAt: Date;
  firstRespondedAt?: Date;
  resolvedAt?: Date;
  closedAt?: Date;
  updatedAt: Date;
  /** Recorded by the contact log: the earliest contact by `at`, then contact id. */
  firstContact?: { at: Date; contactId: string; outcome: string };
}

const OPEN_STATUSES = ["received", "assigned", "in-progress", "waiting-for-citizen"] as const;

/** The field each dimension groups by, as an aggregation expression over a service request. */
const GROUP_KEY: Readonly<Record<ReportDimension, string>> = {
  [ReportDimension.CATEGORY]: "$categoryCode",
  [ReportDimension.PROVIDER]: "$assignee.id",
  [ReportDimension.DISTRICT]: "$districtId",
  [ReportDimension.CHANNEL]: "$channel",
};

/**
 * Indexes the reports need on `serviceRequests`. The service-request feature may create the same keys;
 * default names (field_1) keep the two from conflicting, and a conflict is tolerated anyway.
 * `resolvedAt`, `closedAt` and `status, updatedAt` answer the backlog branches of the requests
 * pipeline's `$or`, and `firstContact.at` its first-contact branch, so that a short period reads its
 * own requests and the backlog, not every request.
 */
const REQUEST_INDEXES: { key: Record<string, 1> }[] = [
  { key: { receivedAt: 1 } },
  { key: { resolvedAt: 1 } },
  { key: { closedAt: 1 } },
  { key: { status: 1, updatedAt: 1 } },
  { key: { status: 1, receivedAt: 1 } },
  { key: { categoryCode: 1, receivedAt: 1 } },
  { key: { "assignee.id": 1, receivedAt: 1 } },
  { key: { districtId: 1, receivedAt: 1 } },
  { key: { channel: 1, receivedAt: 1 } },
  { key: { "firstContact.at": 1 } },
];

// MongoDB's IndexOptionsConflict and IndexKeySpecsConflict: an equivalent index exists under another name.
const INDEX_CONFLICT_CODES = new Set([85, 86]);

export interface ReportPeriod {
  from: Date;
  to: Date;
}

export class RequestReportRepository {
  private readonly requests: Collection<ReportedRequest>;

  constructor(db: Db) {
    this.requests = db.collection<ReportedRequest>(SERVICE_REQUESTS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    for (const index of REQUEST_INDEXES) {
      try {
        await this.requests.createIndex(index.key);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== "number" || !INDEX_CONFLICT_CODES.has(code)) throw error;
      }
    }
  }

  /** One row per group that has any figure, ordered by key (null first). */
  async requestReport(period: ReportPeriod, groupBy: ReportDimension): Promise<RequestReportRow[]> {
    const { from, to } = checkPeriod(period);
    const key = GROUP_KEY[groupBy];
    const requestRows = await this.requests.aggregate<RequestFigures>(requestPipeline(from, to, key)).toArray();
    const rows = requestRows.map((figures): RequestReportRow => {
      const row = emptyRow(figures._id ?? null);
      row.volume = figures.volume;
      row.firstResponseMedianHours = hours(figures.firstResponseMedian);
      row.firstResponseP90Hours = hours(figures.firstResponseP90);
      row.resolutionMedianHours = hours(figures.resolutionMedian);
      row.resolutionP90Hours = hours(figures.resolutionP90);
      row.slaCompliance = figures.slaDecided > 0 ? ratio(figures.slaMet / figures.slaDecided) : null;
      row.backlog = figures.backlog;
      row.backlogMedianAgeHours = hours(figures.backlogMedianAge);
      row.firstContacts = figures.firstContacts;
      row.firstContactResolution = figures.firstContacts > 0 ? ratio(figures.resolvedOnFirst / figures.firstContacts) : null;
      return row;
    });
    return rows
      .filter((row) => row.volume > 0 || row.backlog > 0 || row.firstContacts > 0)
      .sort((a, b) => (a.key === b.key ? 0 : a.key === null ? -1 : b.key === null ? 1 : a.key < b.key ? -1 : 1));
  }
}

interface RequestFigures {
  _id: string | null;
  volume: number;
  firstResponseMedian: number | null;
  firstResponseP90: number | null;
  resolutionMedian: number | null;
  resolutionP90: number | null;
  slaMet: number;
  slaDecided: number;
  backlog: number;
  backlogMedianAge: number | null;
  firstContacts: number;
  resolvedOnFirst: number;
}

function checkPeriod({ from, to }: ReportPeriod): ReportPeriod {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw new UserInputError("from must be a date and time", { field: "from" });
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new UserInputError("to must be a date and time", { field: "to" });
  if (from.getTime() >= to.getTime()) throw new UserInputError("from must be before to", { field: "from" });
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * 24 * HOUR_MS) {
    throw new UserInputError(`a report covers at most ${MAX_REPORT_DAYS} days`, { field: "to" });
  }
  return { from, to };
}

/**
 * Over `serviceRequests`, one document per group. Definitions, with the period [from, to):
 * - volume: requests with from <= receivedAt < to (the period's requests);
 * - first response: firstRespondedAt - receivedAt of the period's requests with firstRespondedAt < to;
 * - resolution: end - receivedAt of the period's requests that are resolved or closed with end < to,
 *   where end is resolvedAt (closedAt, then updatedAt, should resolvedAt be missing);
 * - SLA compliance: of the period's requests that are not rejected and were decided by `to` (resolved
 *   before `to`, or with resolutionDueAt < to), the share resolved at or before resolutionDueAt;
 * - backlog: requests with receivedAt < to, received in the period or before it, that were open at
 *   `to`: still open now (received, assigned, in progress, waiting for the citizen), or resolved/closed
 *   at or after `to`, or rejected at or after `to` (a rejected request's updatedAt is its rejection, since
 *   rejected is final). A request resolved before `to` and reopened after it counts as open (its status
 *   is open now); the contract keeps no history fields that would say otherwise without the audit;
 * - backlog age: to - receivedAt of the backlog;
 * - first-contact resolution: a request's first contact is its earliest logged contact (by `at`, then
 *   `_id`), recorded on the request as `firstContact` by the contact log. Its earliest contact before
 *   `to` is that one if it lies before `to` (and there is none otherwise), so the denominator
 *   (firstContacts) is the requests whose first contact lies in the period, whenever they were received,
 *   and the numerator (resolvedOnFirst) those of them whose first contact's outcome is "resolved".
 *   Contacts without a request are not counted (nothing groups them), and a request's group is its own,
 *   so every figure in a row concerns the same requests.
 * Figures are as at `to`: events after `to` do not count, so a past period's report does not change.
 * Exported for the benchmark, which times the pipeline on its own.
 */
export function requestPipeline(from: Date, to: Date, key: string): Document[] {
  // Missing and null compare below every date in aggregation, so `$lt: [missing, to]` alone would be true.
  const before = (field: string, moment: Date) => ({ $and: [{ $eq: [{ $type: field }, "date"] }, { $lt: [field, { $literal: moment }] }] });
  // The $match admits requests received after `to` for their first contact only; the other figures skip them.
  const receivedByTo = before("$receivedAt", to);
  const inPeriod = { $and: [{ $gte: ["$receivedAt", { $literal: from }] }, receivedByTo] };
  const end = {
    $switch: {
      branches: [
        { case: { $in: ["$status", ["resolved", "closed"]] }, then: { $ifNull: ["$resolvedAt", "$closedAt", "$updatedAt"] } },
        { case: { $eq: ["$status", "rejected"] }, then: "$updatedAt" },
      ],
      default: null,
    },
  };
  const resolvedByTo = { $and: [{ $in: ["$status", ["resolved", "closed"]] }, before("$$end", to)] };
  const openAtTo = { $and: [receivedByTo, { $not: [before("$$end", to)] }] };
  const firstContactInPeriod = { $and: [before("$firstContact.at", to), { $gte: ["$firstContact.at", { $literal: from }] }] };
  const hoursSince = (later: unknown, earlier: unknown) => ({ $divide: [{ $subtract: [later, earlier] }, HOUR_MS] });
  const pushWhen = (condition: unknown, value: unknown) => ({ $push: { $cond: [condition, value, null] } });
  const countWhen = (condition: unknown) => ({ $sum: { $cond: [condition, 1, 0] } });
  const withEnd = (expression: unknown) => ({ $let: { vars: { end }, in: expression } });

  return [
    {
      $match: {
        // A superset of the requests the figures count (the $group re-checks every condition), as one
        // flat $or whose branches each have an index (REQUEST_INDEXES), so that a short period reads its
        // own requests, the backlog and its first contacts rather than the collection. In the resolvedAt
        // and closedAt branches two indexes answer a range; the planner reads the narrower interval
        // (the few requests resolved or closed after `to`), not every request received before it.
        $or: [
          // The period's requests,
          { receivedAt: { $gte: from, $lt: to } },
          // older ones that may be in the backlog at `to`,
          { status: { $in: [...OPEN_STATUSES] }, receivedAt: { $lt: to } },
          { resolvedAt: { $gte: to }, receivedAt: { $lt: to } },
          { closedAt: { $gte: to }, receivedAt: { $lt: to } },
          { status: "rejected", updatedAt: { $gte: to }, receivedAt: { $lt: to } },
          // and those whose first contact lies in the period, however old (or, logged ahead, however new).
          { "firstContact.at": { $gte: from, $lt: to } },
        ],
      },
    },
    {
      $group: {
        _id: key,
        volume: countWhen(inPeriod),
        firstResponses: pushWhen({ $and: [inPeriod, before("$firstRespondedAt", to)] }, hoursSince("$firstRespondedAt", "$receivedAt")),
        resolutions: pushWhen(withEnd({ $and: [inPeriod, resolvedByTo] }), withEnd(hoursSince("$$end", "$receivedAt"))),
        slaMet: countWhen(withEnd({ $and: [inPeriod, resolvedByTo, { $lte: ["$$end", "$resolutionDueAt"] }] })),
        slaDecided: countWhen(
          withEnd({ $and: [inPeriod, { $ne: ["$status", "rejected"] }, { $or: [resolvedByTo, before("$resolutionDueAt", to)] }] }),
        ),
        backlog: countWhen(withEnd(openAtTo)),
        backlogAges: pushWhen(withEnd(openAtTo), hoursSince({ $literal: to }, "$receivedAt")),
        firstContacts: countWhen(firstContactInPeriod),
        resolvedOnFirst: countWhen({ $and: [firstContactInPeriod, { $eq: ["$firstContact.outcome", "resolved"] }] }),
      },
    },
    // Each list is sorted once, then read at each rank.
    { $set: { firstResponses: sortedValues("$firstResponses"), resolutions: sortedValues("$resolutions"), backlogAges: sortedValues("$backlogAges") } },
    {
      $project: {
        volume: 1,
        slaMet: 1,
        slaDecided: 1,
        backlog: 1,
        firstContacts: 1,
        resolvedOnFirst: 1,
        firstResponseMedian: nearestRank("$firstResponses", 0.5),
        firstResponseP90: nearestRank("$firstResponses", 0.9),
        resolutionMedian: nearestRank("$resolutions", 0.5),
        resolutionP90: nearestRank("$resolutions", 0.9),
        backlogMedianAge: nearestRank("$backlogAges", 0.5),
      },
    },
  ];
}

/** An array of numbers with nulls: the numbers, in ascending order. */
function sortedValues(field: string): Document {
  return { $sortArray: { input: { $filter: { input: field, cond: { $ne: ["$$this", null] } } }, sortBy: 1 } };
}

/** The nearest-rank percentile of a sorted array of numbers (sortedValues): the value at ceil(p * n) - 1. */
function nearestRank(field: string, p: number): Document {
  return {
    $cond: [
      { $eq: [{ $size: field }, 0] },
      null,
      { $arrayElemAt: [field, { $subtract: [{ $toInt: { $ceil: { $multiply: [p, { $size: field }] } } }, 1] }] },
    ],
  };
}

function emptyRow(key: string | null): RequestReportRow {
  return {
    key,
    volume: 0,
    firstResponseMedianHours: null,
    firstResponseP90Hours: null,
    resolutionMedianHours: null,
    resolutionP90Hours: null,
    slaCompliance: null,
    backlog: 0,
    backlogMedianAgeHours: null,
    firstContactResolution: null,
    firstContacts: 0,
  };
}

/** Hours to two decimals (36 seconds): finer than any SLA, and stable in CSV. */
function hours(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value * 100) / 100;
}

/** Shares to four decimals. */
function ratio(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
