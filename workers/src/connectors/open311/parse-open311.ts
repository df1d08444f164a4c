import { createHash } from "node:crypto";
import type { ExternalRequestImport, Open311Options } from "@situation/city-subgraph";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { NotAJsonArrayError, splitJsonArray } from "./json-array.js";
import { open311RequestSchema, type Open311Request } from "./open311-request.js";

/**
 * Reads an Open311 GeoReport v2 `requests.json` answer into imports for the contact center: each
 * request validated on its own (a bad one is quarantined naming its field), its service_code mapped
 * through the source's `serviceCodes`, its status through `closedStatus`. A body that is not a JSON
 * array (an Open311 error answer, an HTML page) is a changed format and rejects the run; a body cut
 * off or not UTF-8 still lands the requests that read well and is marked incomplete.
 */
export function parseOpen311(body: Uint8Array, options: Pick<Open311Options, "serviceCodes" | "closedStatus">): ParseResult<ExternalRequestImport> {
  const warnings: string[] = [];
  let complete = true;
  let text: string;
  let invalidBytes = false;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    text = new TextDecoder("utf-8").decode(body);
    invalidBytes = true;
    complete = false;
    warnings.push("the body is not valid UTF-8: requests with bytes that are not were quarantined");
  }
  if (text.trim() === "") {
    return { total: 0, records: [], rejects: [], listedIds: new Set(), complete: false, warnings: [...warnings, "the body is empty"] };
  }
  let split;
  try {
    split = splitJsonArray(text);
  } catch (error) {
    if (error instanceof NotAJsonArrayError) throw new FeedRejectedError(`not an Open311 requests.json answer: ${error.message}`, { cause: error });
    throw error;
  }

  const rejects: RecordReject[] = [];
  const records: ParseResult<ExternalRequestImport>["records"] = [];
  const listedIds = new Set<string>();
  const firstLineOf = new Map<string, number>();
  if (split.truncated) {
    complete = false;
    warnings.push("the JSON array breaks off (a truncated body?): the request cut short was quarantined");
    if (split.tail) rejects.push({ line: split.tail.line, externalId: idIn(split.tail.text), field: "(row)", reason: "is cut short", raw: split.tail.text });
  }
  for (const { text: raw, line } of split.elements) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      rejects.push({ line, externalId: idIn(raw), field: "(row)", reason: `is not valid JSON: ${(error as Error).message}`, raw });
      continue;
    }
    const externalId = idOf(value);
    if (externalId) listedIds.add(externalId);
    const reject = (field: string, reason: string) => rejects.push({ line, externalId, field, reason, raw });
    if (invalidBytes && raw.includes("\uFFFD")) {
      reject("(encoding)", "has bytes that are not UTF-8");
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      reject("(row)", "is not a JSON object");
      continue;
    }
    const parsed = open311RequestSchema.safeParse(value);
    if (!parsed.success) {
      const [first, ...others] = parsed.error.issues;
      const also = others.map((issue) => `${String(issue.path[0] ?? "(row)")} ${issue.message}`);
      reject(String(first?.path[0] ?? "(row)"), `${first?.message ?? "is invalid"}${also.length > 0 ? `; also ${also.join("; ")}` : ""}`);
      continue;
    }
    const request = parsed.data;
    const categoryCode = options.serviceCodes[request.service_code];
    if (categoryCode === undefined) {
      reject("service_code", `${JSON.stringify(request.service_code)} is not mapped to a category (the source's serviceCodes)`);
      continue;
    }
    const earlier = firstLineOf.get(request.service_request_id);
    if (earlier !== undefined) {
      reject("service_request_id", `duplicates the request at line ${earlier}`);
      continue;
    }
    firstLineOf.set(request.service_request_id, line);
    records.push({ line, externalId: request.service_request_id, record: toImport(request, categoryCode, options.closedStatus), raw });
  }
  rejects.sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
  return { total: split.elements.length + (split.tail ? 1 : 0), records, rejects, listedIds, complete, warnings };
}

function toImport(request: Open311Request, categoryCode: string, closedStatus: Open311Options["closedStatus"]): ExternalRequestImport {
  const content: Omit<ExternalRequestImport, "contentHash"> = {
    externalId: request.service_request_id,
    categoryCode,
    // Open311 lets a client send no description: the service's name still says what it is about.
    description: request.description ?? request.service_name ?? "",
    ...(request.lat !== null && request.lat !== undefined && request.long !== null && request.long !== undefined
      ? { location: { type: "Point", coordinates: [request.long, request.lat] } }
      : {}),
    address: request.address ?? null,
    attachments: request.media_url ? [request.media_url] : [],
    status: request.status === "open" ? "open" : closedStatus,
    statusNote: request.status_notes ?? null,
    receivedAt: request.requested_datetime,
    changedAt: request.updated_datetime ?? null,
    expectedAt: request.expected_datetime ?? null,
  };
  return { ...content, contentHash: createHash("sha256").update(JSON.stringify(content)).digest("hex") };
}

function idOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const id = (value as Record<string, unknown>).service_request_id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return typeof id === "string" && id.trim() !== "" && id.length <= 200 ? id.trim() : null;
}

/** The id of an element that does not parse, when its text shows one: quarantine entries are easier to trace with it. */
function idIn(raw: string): string | null {
  const match = /"service_request_id"\s*:\s*"?([^",}]{1,200})/.exec(raw);
  return match ? match[1]!.trim() : null;
}
