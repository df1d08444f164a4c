/**
 * The contact center's reports, computed by aggregation pipelines in the database: one over
 * `serviceRequests` (volume, response and resolution times, SLA compliance, backlog) and one over
 * `contacts` (first-contact resolution), each returning one small document per group. Neither loads
 * requests or contacts into this process.
 *
 * Both pipelines start with `$match` followed directly by `$group`: MongoDB then reads only the fields
 * the group uses, and so does the embedded store. Percentiles are computed portably with `$push`,
 * `$sortArray` and `$arrayElemAt` (MongoDB 7.0's `$percentile` is approximate, and the embedded
 * store's may differ from it).
 */
import { UserInputError } from "@situation/platform";
import type { Collection, Db, Document } from "mongodb";
import { CONTACTS_COLLECTION } from "../contact-log/contact.repository.js";
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
 * pipeline's `$or`, so that a short period reads its own requests and the backlog, not every request.
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
];

// MongoDB's IndexOptionsConflict and IndexKeySpecsConflict: an equivalent index exists under another name.
const INDEX_CONFLICT_CODES = new Set([85, 86]);

export interface ReportPeriod {
  from: Date;
  to: Date;
}

export class RequestReportRepository {
  private readonly requests: Collection<ReportedRequest>;
  private readonly contacts: Collection<Document>;

  constructor(db: Db) {
    this.requests = db.collection<ReportedRequest>(SERVICE_REQUESTS_COLLECTION);
    this.contacts = db.collection(CONTACTS_COLLECTION);
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
    // The contacts' indexes (`at`, `requestId, at`) are the contact log's: ContactRepository.ensureIndexes.
  }

  /** Whether any contact with a request was logged before `from`: firstContactPipeline's `earlier`. */
  async contactsBefore(from: Date): Promise<boolean> {
    return (await this.contacts.findOne({ at: { $lt: from }, requestId: { $type: "string" } }, { projection: { _id: 1 } })) !== null;
  }

  /** One row per group that has any figure, ordered by key (null first). */
  async requestReport(period: ReportPeriod, groupBy: ReportDimension): Promise<RequestReportRow[]> {
    const { from, to } = checkPeriod(period);
    const key = GROUP_KEY[groupBy];
    const [requestRows, contactRows] = await Promise.all([
      this.requests.aggregate<RequestFigures>(requestPipeline(from, to, key)).toArray(),
      this.contactsBefore(from).then((earlier) => this.contacts.aggregate<ContactFigures>(firstContactPipeline(from, to, key, earlier)).toArray()),
    ]);
    const rows = new Map<string, RequestReportRow>();
    const rowFor = (groupKey: string | null | undefined): RequestReportRow => {
      const normalised = groupKey ?? null;
      const mapKey = JSON.stringify(normalised);
      let row = rows.get(mapKey);
      if (row === undefined) {
        row = emptyRow(normalised);
        rows.set(mapKey, row);
      }
      return row;
    };
    for (const figures of requestRows) {
      const row = rowFor(figures._id);
      row.volume = figures.volume;
      row.firstResponseMedianHours = hours(figures.firstResponseMedian);
      row.firstResponseP90Hours = hours(figures.firstResponseP90);
      row.resolutionMedianHours = hours(figures.resolutionMedian);
      row.resolutionP90Hours = hours(figures.resolutionP90);
      row.slaCompliance = figures.slaDecided > 0 ? ratio(figures.slaMet / figures.slaDecided) : null;
      row.backlog = figures.backlog;
      row.backlogMedianAgeHours = hours(figures.backlogMedianAge);
    }
    for (const figures of contactRows) {
      const row = rowFor(figures._id);
      row.firstContacts = figures.firstContacts;
      row.firstContactResolution = figures.firstContacts > 0 ? ratio(figures.resolvedOnFirst / figures.firstContacts) : null;
    }
    return [...rows.values()]
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
}

interface ContactFigures {
  _id: string | null;
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
 * - backlog age: to - receivedAt of the backlog.
 * Figures are as at `to`: events after `to` do not count, so a past period's report does not change.
 * Exported, like `firstContactPipeline`, for the benchmark, which times each pipeline on its own.
 */
export function requestPipeline(from: Date, to: Date, key: string): Document[] {
  const inPeriod = { $gte: ["$receivedAt", { $literal: from }] };
  // Missing and null compare below every date in aggregation, so `$lt: [missing, to]` alone would be true.
  const before = (field: string, moment: Date) => ({ $and: [{ $eq: [{ $type: field }, "date"] }, { $lt: [field, { $literal: moment }] }] });
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
  const openAtTo = { $not: [before("$$end", to)] };
  const hoursSince = (later: unknown, earlier: unknown) => ({ $divide: [{ $subtract: [later, earlier] }, HOUR_MS] });
  const pushWhen = (condition: unknown, value: unknown) => ({ $push: { $cond: [condition, value, null] } });
  const withEnd = (expression: unknown) => ({ $let: { vars: { end }, in: expression } });

  return [
    {
      $match: {
        receivedAt: { $lt: to },
        // The period's requests, and older ones that may be in the backlog at `to`.
        $or: [
          { receivedAt: { $gte: from } },
          { status: { $in: [...OPEN_STATUSES] } },
          { resolvedAt: { $gte: to } },
          { closedAt: { $gte: to } },
          { status: "rejected", updatedAt: { $gte: to } },
        ],
      },
    },
    {
      $group: {
        _id: key,
        volume: { $sum: { $cond: [inPeriod, 1, 0] } },
        firstResponses: pushWhen({ $and: [inPeriod, before("$firstRespondedAt", to)] }, hoursSince("$firstRespondedAt", "$receivedAt")),
        resolutions: pushWhen(withEnd({ $and: [inPeriod, resolvedByTo] }), withEnd(hoursSince("$$end", "$receivedAt"))),
        slaMet: {
          $sum: {
            $cond: [withEnd({ $and: [inPeriod, resolvedByTo, { $lte: ["$$end", "$resolutionDueAt"] }] }), 1, 0],
          },
        },
        slaDecided: {
          $sum: {
            $cond: [
              withEnd({ $and: [inPeriod, { $ne: ["$status", "rejected"] }, { $or: [resolvedByTo, before("$resolutionDueAt", to)] }] }),
              1,
              0,
            ],
          },
        },
        backlog: { $sum: { $cond: [withEnd(openAtTo), 1, 0] } },
        backlogAges: pushWhen(withEnd(openAtTo), hoursSince({ $literal: to }, "$receivedAt")),
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
        firstResponseMedian: nearestRank("$firstResponses", 0.5),
        firstResponseP90: nearestRank("$firstResponses", 0.9),
        resolutionMedian: nearestRank("$resolutions", 0.5),
        resolutionP90: nearestRank("$resolutions", 0.9),
        backlogMedianAge: nearestRank("$backlogAges", 0.5),
      },
    },
  ];
}

/**
 * Over `contacts`, one document per group: first-contact resolution. A request's first contact is its
 * earliest logged contact (by `at`, then `_id`) at any time before `to`. The denominator is the requests
 * whose first contact lies in the period; the numerator those whose first contact's outcome is
 * "resolved". Contacts without a request are not counted (nothing groups them), and a request's group is
 * its own (its category, assignee, district or intake channel), so every figure in a row concerns the
 * same requests.
 *
 * Computed from the period's contacts alone: a request's contacts in the period give its first one
 * there, which is its first before `to` unless it has a contact before `from`, and then its first
 * contact is not in the period. `earlier` false says that no contact with a request precedes `from`
 * (RequestReportRepository.contactsBefore), so that there is nothing to look up; true looks each
 * request's contacts up through the `requestId, at` index and drops those with one before `from`.
 */
export function firstContactPipeline(from: Date, to: Date, key: string, earlier = true): Document[] {
  return [
    { $match: { requestId: { $type: "string" }, at: { $gte: from, $lt: to } } },
    {
      $group: {
        _id: "$requestId",
        firstOutcome: { $top: { sortBy: { at: 1, _id: 1 }, output: "$outcome" } },
      },
    },
    ...(earlier
      ? [
          { $lookup: { from: CONTACTS_COLLECTION, localField: "_id", foreignField: "requestId", as: "contacts" } },
          // Missing and non-date `at` never compare below a date, as with the $match above.
          { $match: { "contacts.at": { $not: { $lt: from } } } },
        ]
      : []),
    {
      $lookup: {
        from: SERVICE_REQUESTS_COLLECTION,
        localField: "_id",
        foreignField: "_id",
        as: "request",
      },
    },
    // A contact whose request is gone has no group; it is left out rather than counted under null.
    { $match: { "request.0": { $exists: true } } },
    {
      $group: {
        // `key` is "$field"; over the joined array "$request.field" lists the request's value.
        _id: { $first: `$request.${key.slice(1)}` },
        firstContacts: { $sum: 1 },
        resolvedOnFirst: { $sum: { $cond: [{ $eq: ["$firstOutcome", "resolved"] }, 1, 0] } },
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
