/**
 * `GET /reports/requests.csv?from=&to=&groupBy=`: the city subgraph's `requestReport` as CSV
 * (RFC 4180, header row, UTF-8). The query runs through the gateway's own Apollo Server with the
 * caller's identity, so the subgraph decides access exactly as for GraphQL; its error codes become HTTP
 * statuses (UNAUTHENTICATED 401, FORBIDDEN 403, BAD_USER_INPUT 400). The gateway does not import the
 * city subgraph: the columns below follow the `RequestReportRow` type of the composed schema.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServer } from "@apollo/server";
import { ErrorCode, errorCatalog, UserInputError, type Logger } from "@situation/platform";
import type { Authenticate } from "./authentication.js";
import type { GatewayContext } from "./context.js";
import { sendError } from "./http-io.js";

export const REPORTS_CSV_PATH = "/reports/requests.csv";

export const REPORT_DIMENSIONS = ["CATEGORY", "PROVIDER", "DISTRICT", "CHANNEL"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

/** The columns, in order: the CSV header is these names. */
export const REPORT_COLUMNS = [
  "key",
  "volume",
  "firstResponseMedianHours",
  "firstResponseP90Hours",
  "resolutionMedianHours",
  "resolutionP90Hours",
  "slaCompliance",
  "backlog",
  "backlogMedianAgeHours",
  "firstContactResolution",
  "firstContacts",
] as const;

export type RequestReportCsvRow = Partial<Record<(typeof REPORT_COLUMNS)[number], string | number | boolean | null>>;

const REPORT_QUERY = `query RequestReportCsv($from: DateTimeISO!, $to: DateTimeISO!, $groupBy: ReportDimension!) {
  requestReport(from: $from, to: $to, groupBy: $groupBy) { ${REPORT_COLUMNS.join(" ")} }
}`;

/**
 * RFC 4180: CRLF between records (and after the last), a header row, fields with a comma, a quote, CR
 * or LF quoted with inner quotes doubled; null and missing values are empty fields.
 */
export function requestReportCsv(rows: readonly RequestReportCsvRow[]): string {
  const lines = [REPORT_COLUMNS.join(",")];
  for (const row of rows) lines.push(REPORT_COLUMNS.map((column) => csvField(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface ReportsCsvOptions {
  apollo: ApolloServer<GatewayContext>;
  authenticate: Authenticate;
  requestId: string;
  logger: Logger;
}

/** Answers the CSV route; throws platform errors (bad parameters, bad credentials) for the caller to send. */
export async function serveRequestReportCsv(request: IncomingMessage, response: ServerResponse, options: ReportsCsvOptions): Promise<void> {
  // Authenticate first, as for /graphql: a bad credential is refused whatever it asks.
  const identity = await options.authenticate(request.headers);
  const parameters = parseParameters(new URL(request.url ?? "/", "http://gateway.invalid").searchParams);
  const result = await options.apollo.executeOperation(
    { query: REPORT_QUERY, operationName: "RequestReportCsv", variables: parameters },
    { contextValue: { identity, requestId: options.requestId, logger: options.logger } },
  );
  if (result.body.kind !== "single") throw new Error("requestReport answered incrementally");
  const { data, errors } = result.body.singleResult;
  if (errors !== undefined && errors.length > 0) {
    const first = errors[0]!;
    const code = typeof first.extensions?.code === "string" && first.extensions.code in errorCatalog ? (first.extensions.code as ErrorCode) : ErrorCode.INTERNAL_SERVER_ERROR;
    const extra: Record<string, unknown> = {};
    for (const name of ["field", "requestId", "details"]) if (first.extensions?.[name] !== undefined) extra[name] = first.extensions[name];
    sendError(response, code, first.message, extra);
    return;
  }
  const rows = (data as { requestReport?: RequestReportCsvRow[] } | null | undefined)?.requestReport ?? [];
  const body = requestReportCsv(rows);
  const filename = `requests-by-${parameters.groupBy.toLowerCase()}-${parameters.from.slice(0, 10)}-${parameters.to.slice(0, 10)}.csv`;
  response.statusCode = 200;
  response.setHeader("content-type", "text/csv; charset=utf-8; header=present");
  response.setHeader("content-disposition", `attachment; filename="${filename}"`);
  response.setHeader("content-length", Buffer.byteLength(body));
  response.end(body);
}

function parseParameters(search: URLSearchParams): { from: string; to: string; groupBy: ReportDimension } {
  const date = (name: "from" | "to"): string => {
    const text = search.get(name);
    if (text === null || text.trim() === "") {
      throw new UserInputError(`${name} is missing: give an ISO 8601 date or date-time, e.g. ${name}=2026-03-01`, { field: name });
    }
    // A plain date means its midnight UTC, so `from=2026-03-01&to=2026-04-01` is March.
    const value = /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? new Date(`${text.trim()}T00:00:00Z`) : new Date(text.trim());
    if (Number.isNaN(value.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
      throw new UserInputError(`${name} is not an ISO 8601 date or date-time: ${JSON.stringify(text)}`, { field: name });
    }
    return value.toISOString();
  };
  const from = date("from");
  const to = date("to");
  const groupByText = search.get("groupBy");
  const groupBy = groupByText?.trim().toUpperCase();
  if (groupBy === undefined || !(REPORT_DIMENSIONS as readonly string[]).includes(groupBy)) {
    throw new UserInputError(
      groupByText === null ? `groupBy is missing: one of ${REPORT_DIMENSIONS.join(", ")}` : `groupBy must be one of ${REPORT_DIMENSIONS.join(", ")}, not ${JSON.stringify(groupByText)}`,
      { field: "groupBy" },
    );
  }
  return { from, to, groupBy: groupBy as ReportDimension };
}
