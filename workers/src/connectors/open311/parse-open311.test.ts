import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { splitJsonArray } from "./json-array.js";
import { parseOpen311 } from "./parse-open311.js";

const FIXTURE = readFileSync(new URL("./fixtures/requests.json", import.meta.url));
const OPTIONS = { serviceCodes: { POTHOLE: "roads", STREETLIGHT: "public-lighting" }, closedStatus: "closed" as const };
const bytes = (text: string) => new TextEncoder().encode(text);

describe("parseOpen311", () => {
  it("reads the recorded answer: maps codes and statuses, and quarantines each bad request naming its field", () => {
    const parsed = parseOpen311(FIXTURE, OPTIONS);
    expect(parsed.total).toBe(9);
    expect(parsed.complete).toBe(true);
    expect(parsed.records.map(({ externalId }) => externalId)).toEqual(["638344", "638345", "638346", "638351"]);
    expect(parsed.rejects.map(({ externalId, field }) => [externalId, field])).toEqual([
      ["638347", "status"],
      ["638348", "requested_datetime"],
      ["638349", "lat"],
      ["638350", "service_code"],
      ["638345", "service_request_id"],
    ]);
    expect(parsed.rejects[4]!.reason).toBe("duplicates the request at line 21");
    const [lamp, pothole, noDescription] = parsed.records.map(({ record }) => record);
    expect(lamp).toMatchObject({
      categoryCode: "public-lighting",
      status: "closed",
      statusNote: "Сијалица замењена.",
      location: { type: "Point", coordinates: [21.3342, 43.5812] },
      attachments: ["https://311.example.org/media/638344.jpg"],
      receivedAt: new Date("2026-03-02T16:12:00Z"),
      changedAt: new Date("2026-03-03T08:40:00Z"),
      expectedAt: new Date("2026-03-05T16:12:00Z"),
    });
    // Numeric strings are coordinates; an empty media_url is none.
    expect(pothole).toMatchObject({ status: "open", location: { coordinates: [21.333, 43.5805] }, attachments: [] });
    expect(noDescription).toMatchObject({ externalId: "638346", description: "Рупа на коловозу" });
    expect(lamp!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(parseOpen311(FIXTURE, OPTIONS).records[0]!.record.contentHash).toBe(lamp!.contentHash);
    expect(parseOpen311(FIXTURE, { ...OPTIONS, closedStatus: "resolved" }).records[0]!.record).toMatchObject({ status: "resolved" });
  });

  it("lands the requests before the cut of a truncated answer and marks it incomplete", () => {
    const text = FIXTURE.toString("utf8");
    const cut = text.indexOf('"service_request_id": 638346');
    const parsed = parseOpen311(bytes(text.slice(0, cut + 40)), OPTIONS);
    expect(parsed.records.map(({ externalId }) => externalId)).toEqual(["638344", "638345"]);
    expect(parsed.complete).toBe(false);
    expect(parsed.rejects).toEqual([expect.objectContaining({ field: "(row)", reason: "is cut short", externalId: "638346" })]);
  });

  it("quarantines a request with bytes that are not UTF-8 and keeps the others", () => {
    const body = bytes('[{"service_request_id":"1","status":"open","service_code":"POTHOLE","description":"Rupa XX","requested_datetime":"2026-03-03T08:00:00Z","address":"A 1"},\n{"service_request_id":"2","status":"open","service_code":"POTHOLE","description":"Rupa","requested_datetime":"2026-03-03T08:00:00Z","address":"A 2"}]');
    const at = Buffer.from(body).indexOf("XX");
    body[at] = 0xc3;
    body[at + 1] = 0x28;
    const parsed = parseOpen311(body, OPTIONS);
    expect(parsed.records.map(({ externalId }) => externalId)).toEqual(["2"]);
    expect(parsed.rejects).toEqual([expect.objectContaining({ externalId: "1", field: "(encoding)", line: 1 })]);
    expect(parsed.complete).toBe(false);
  });

  it("quarantines wrong types and malformed elements on their own", () => {
    const parsed = parseOpen311(
      bytes('[{"service_request_id":{"x":1},"status":"open"}, 42, {"service_request_id":"7","status":"open","service_code":"POTHOLE","requested_datetime":"2026-03-03T08:00:00","address":"A"}, {"service_request_id":"8",}]'),
      OPTIONS,
    );
    expect(parsed.records).toEqual([]);
    expect(parsed.rejects.map(({ field, reason }) => [field, reason.split(";")[0]])).toEqual([
      ["service_request_id", "must be text or a whole number"],
      ["(row)", "is not a JSON object"],
      ["requested_datetime", "must be an ISO 8601 date-time with Z or an offset"],
      ["(row)", expect.stringMatching(/^is not valid JSON/)],
    ]);
  });

  it("rejects an answer that is not a JSON array (an Open311 error, an HTML page) as a changed format", () => {
    expect(() => parseOpen311(bytes('{"code":403,"description":"Invalid api_key"}'), OPTIONS)).toThrow(FeedRejectedError);
    expect(() => parseOpen311(bytes("<html><body>Maintenance</body></html>"), OPTIONS)).toThrow(/not an Open311 requests.json answer/);
    expect(parseOpen311(bytes("  "), OPTIONS)).toMatchObject({ total: 0, complete: false });
    expect(parseOpen311(bytes("[]"), OPTIONS)).toMatchObject({ total: 0, complete: true, records: [] });
  });
});

describe("splitJsonArray", () => {
  it("splits on top-level commas only, ignoring brackets and commas inside strings", () => {
    const split = splitJsonArray('\uFEFF[ {"a":"x,]}\\"{"}, [1,[2]] ,\n"s" ]');
    expect(split).toEqual({ elements: [{ text: '{"a":"x,]}\\"{"}', line: 1 }, { text: "[1,[2]]", line: 1 }, { text: '"s"', line: 2 }], truncated: false, tail: null });
    expect(splitJsonArray('[{"a":1},{"b":').tail).toEqual({ text: '{"b":', line: 1 });
  });
});
