import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { FIXTURE_FEED, FIXTURE_LISTED_IDS, FIXTURE_VALID_IDS } from "../../test-support/outage-csv-fixtures.js";
import { parseOutageCsv } from "./parse-outage-csv.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const HEADER = "external_id,provider_id,kind,planned,starts_at,expected_end_at,status,description,area_geojson";
const AREA = '"{""type"":""Polygon"",""coordinates"":[[[21.33,43.57],[21.34,43.57],[21.34,43.58],[21.33,43.57]]]}"';
const row = (id: string, area = AREA) => `${id},jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,Опис,${area}`;

describe("parseOutageCsv", () => {
  it("accepts the valid rows and quarantines each bad one with its line, field, reason and raw text", () => {
    const parsed = parseOutageCsv(bytes(FIXTURE_FEED));
    expect(parsed.total).toBe(13);
    expect(parsed.complete).toBe(true);
    // The unknown provider is only caught against the database, when the records are stored.
    expect(parsed.records.map(({ record }) => record.externalId)).toEqual([...FIXTURE_VALID_IDS, "VOD-UNKNOWN-PROVIDER"]);
    expect(parsed.rejects.map(({ raw: _raw, ...reject }) => reject)).toEqual([
      { line: 8, externalId: "VOD-BAD-KIND", field: "kind", reason: expect.stringContaining("must be one of water") },
      { line: 9, externalId: "VOD-BAD-DATE", field: "starts_at", reason: expect.stringContaining("ISO 8601") },
      { line: 10, externalId: "VOD-BAD-AREA", field: "area_geojson", reason: "ring 0 is not closed (first and last positions differ)" },
      { line: 12, externalId: "VOD-END-BEFORE-START", field: "expected_end_at", reason: "must be after starts_at" },
      { line: 13, externalId: "VOD-2025-0141", field: "external_id", reason: "duplicates row 2" },
      { line: 14, externalId: "SHORT-ROW", field: "(row)", reason: "has 3 cells, the header has 9" },
    ]);
    expect(parsed.rejects[0]?.raw).toMatch(/^VOD-BAD-KIND,jkp-vodovod-krusevac,gas,/);
    expect([...parsed.listedIds].sort()).toEqual([...FIXTURE_LISTED_IDS].sort());
  });

  it("normalises cells: kinds and booleans in any case, Polygon to MultiPolygon, an empty end to null", () => {
    const byId = new Map(parseOutageCsv(bytes(FIXTURE_FEED)).records.map(({ record }) => [record.externalId, record]));
    expect(byId.get("VOD-2025-0139")).toMatchObject({ kind: "water", planned: true, status: "cancelled" });
    expect(byId.get("JKP-2025-0210")?.planned).toBe(true);
    expect(byId.get("GP-2025-0007")?.planned).toBe(false);
    expect(byId.get("ED-2025-1177")?.expectedEndAt).toBeNull();
    expect(byId.get("VOD-2025-0141")?.startsAt.toISOString()).toBe("2025-03-10T07:00:00.000Z");
    expect(byId.get("VOD-2025-0141")?.affectedArea.type).toBe("MultiPolygon");
    expect(byId.get("JKP-2025-0210")?.description).toBe('Измењен распоред одвожења отпада, "Расински" блок');
  });

  it("rejects a body whose header lacks a required column (the format changed)", () => {
    expect(() => parseOutageCsv(bytes("external_id,kind\nA,water\n"))).toThrow(FeedRejectedError);
    expect(() => parseOutageCsv(bytes("external_id,kind\nA,water\n"))).toThrow(/lacks the column\(s\) provider_id/);
  });

  it("lands the rows before a truncation, quarantines the cut-off tail, and marks the body incomplete", () => {
    const cutInQuote = `${HEADER}\n${row("A-1")}\n${row("A-2")}\nA-3,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,"Опис`;
    const parsed = parseOutageCsv(bytes(cutInQuote));
    expect(parsed.records.map((record) => record.externalId)).toEqual(["A-1", "A-2"]);
    expect(parsed.rejects).toEqual([expect.objectContaining({ field: "(row)", reason: expect.stringMatching(/not valid CSV/), raw: expect.stringContaining("A-3") })]);
    expect(parsed.complete).toBe(false);

    const cutInRow = `${HEADER}\n${row("A-1")}\nA-2,jkp-vodovod-krusevac,wat`;
    const short = parseOutageCsv(bytes(cutInRow));
    expect(short.records.map((record) => record.externalId)).toEqual(["A-1"]);
    expect(short.rejects[0]).toMatchObject({ line: 3, field: "(row)" });
    expect(short.complete).toBe(false);
  });

  it("quarantines rows with bytes that are not UTF-8 and keeps the others", () => {
    const good = bytes(`${HEADER}\n${row("A-1")}\n`);
    const bad = Buffer.concat([Buffer.from(bytes("A-2,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,Op")), Buffer.from([0xff, 0xfe]), Buffer.from(bytes(`is,${AREA}\n`))]);
    const parsed = parseOutageCsv(Buffer.concat([good, bad]));
    expect(parsed.records.map((record) => record.externalId)).toEqual(["A-1"]);
    expect(parsed.rejects).toEqual([expect.objectContaining({ line: 3, externalId: "A-2", field: "(encoding)" })]);
    expect(parsed.complete).toBe(false);
    expect(parsed.listedIds.has("A-2")).toBe(true);
  });

  it("quarantines wrong types, missing fields and absurd coordinates, each on its field", () => {
    const parsed = parseOutageCsv(
      bytes(
        [
          HEADER,
          row("OK-1"),
          "T-1,jkp-vodovod-krusevac,water,maybe,2025-03-10T08:00:00+01:00,,active,Опис," + AREA,
          "M-1,jkp-vodovod-krusevac,water,true,2025-03-10T08:00:00+01:00,,active,," + AREA,
          row("C-1", '"{""type"":""Polygon"",""coordinates"":[[[521.33,43.57],[21.34,43.57],[21.34,43.58],[521.33,43.57]]]}"'),
          "",
        ].join("\n"),
      ),
    );
    expect(parsed.records.map((record) => record.externalId)).toEqual(["OK-1"]);
    expect(parsed.rejects.map(({ externalId, field }) => ({ externalId, field }))).toEqual([
      { externalId: "T-1", field: "planned" },
      { externalId: "M-1", field: "description" },
      { externalId: "C-1", field: "area_geojson" },
    ]);
    expect(parsed.complete).toBe(true);
  });

  it("reads an empty body as no rows, and as incomplete (an export that failed, not a city without outages)", () => {
    expect(parseOutageCsv(bytes(""))).toMatchObject({ total: 0, records: [], rejects: [], complete: false });
    expect(parseOutageCsv(bytes(`${HEADER}\n`))).toMatchObject({ total: 0, records: [], complete: true });
  });
});
