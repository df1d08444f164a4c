import { describe, expect, it } from "vitest";
import { FIXTURE_FEED, FIXTURE_VALID_IDS } from "../test-support/fixtures.js";
import { FeedRejectedError } from "./feed-errors.js";
import { parseOutageFeed } from "./parse-feed.js";

describe("parseOutageFeed", () => {
  it("accepts the valid rows and reports each bad one with its line, field and reason", () => {
    const parsed = parseOutageFeed(FIXTURE_FEED);
    expect(parsed.rowCount).toBe(13);
    // The unknown provider is only caught against the database, by the sync.
    expect(parsed.accepted.map(({ record }) => record.externalId)).toEqual([...FIXTURE_VALID_IDS, "VOD-UNKNOWN-PROVIDER"]);
    expect(parsed.rejected).toEqual([
      { row: 8, externalId: "VOD-BAD-KIND", field: "kind", reason: expect.stringContaining("must be one of water") },
      { row: 9, externalId: "VOD-BAD-DATE", field: "starts_at", reason: expect.stringContaining("ISO 8601") },
      { row: 10, externalId: "VOD-BAD-AREA", field: "area_geojson", reason: "ring 0 is not closed (first and last positions differ)" },
      { row: 12, externalId: "VOD-END-BEFORE-START", field: "expected_end_at", reason: "must be after starts_at" },
      { row: 13, externalId: "VOD-2025-0141", field: "external_id", reason: "duplicates row 2" },
      { row: 14, externalId: "SHORT-ROW", field: "(row)", reason: "has 3 cells, the header has 9" },
    ]);
  });

  it("normalises cells: kinds and booleans in any case, Polygon to MultiPolygon, an empty end to null", () => {
    const byId = new Map(parseOutageFeed(FIXTURE_FEED).accepted.map(({ record }) => [record.externalId, record]));
    expect(byId.get("VOD-2025-0139")).toMatchObject({ kind: "water", planned: true, status: "cancelled" });
    expect(byId.get("JKP-2025-0210")?.planned).toBe(true);
    expect(byId.get("GP-2025-0007")?.planned).toBe(false);
    expect(byId.get("ED-2025-1177")?.expectedEndAt).toBeNull();
    expect(byId.get("VOD-2025-0141")?.startsAt.toISOString()).toBe("2025-03-10T07:00:00.000Z");
    expect(byId.get("VOD-2025-0141")?.affectedArea.type).toBe("MultiPolygon");
    expect(byId.get("JKP-2025-0210")?.description).toBe('Измењен распоред одвожења отпада, "Расински" блок');
  });

  it("rejects a feed whose header lacks a required column, or that is not CSV", () => {
    expect(() => parseOutageFeed("external_id,kind\nA,water\n")).toThrow(FeedRejectedError);
    expect(() => parseOutageFeed("external_id,kind\nA,water\n")).toThrow(/lacks the column\(s\) provider_id/);
    expect(() => parseOutageFeed(`${FIXTURE_FEED}"unterminated,quote\n`)).toThrow(/not valid CSV/);
  });

  it("reads an empty feed as no rows", () => {
    expect(parseOutageFeed("")).toEqual({ accepted: [], rejected: [], rowCount: 0 });
  });
});
