import { describe, expect, it } from "vitest";
import { FeedRejectedError } from "../../sync/sync-errors.js";
import { encodeFeed, feedEntities } from "./fixtures/gtfs-feed.js";
import { parseGtfsRealtime } from "./parse-gtfs-realtime.js";

const NOW = new Date("2026-06-15T10:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const ROUTE_7 = { type: "Polygon" as const, coordinates: [[[21.32, 43.57], [21.34, 43.57], [21.34, 43.59], [21.32, 43.57]]] as [number, number][][] };
const OPTIONS = { providerId: "gradski-prevoz-krusevac", routeAreas: { "7": ROUTE_7 }, language: "sr" };

describe("parseGtfsRealtime", () => {
  it("reads the disruptive alerts as transport outages and quarantines the bad ones naming the field", () => {
    const parsed = parseGtfsRealtime(encodeFeed(NOW_S), OPTIONS, NOW);
    expect(parsed.total).toBe(9);
    expect(parsed.complete).toBe(true);
    expect(parsed.records.map(({ externalId }) => externalId)).toEqual(["alert-2-detour", "alert-7-strike", "alert-stop-moved"]);
    expect(parsed.rejects.map(({ externalId, field }) => [externalId, field])).toEqual([
      ["alert-backwards", "alert.active_period"],
      ["alert-nobody", "alert.informed_entity"],
      ["alert-milliseconds", "alert.active_period.start"],
      ["alert-2-detour", "id"],
    ]);
    expect(parsed.rejects[2]!.reason).toContain("after 2100");
    const [detour, strike, stop] = parsed.records.map(({ record }) => record);
    expect(detour).toEqual({
      externalId: "alert-2-detour",
      providerId: "gradski-prevoz-krusevac",
      kind: "transport",
      planned: true,
      startsAt: new Date(NOW.getTime() - 3_600_000),
      expectedEndAt: new Date(NOW.getTime() + 48 * 3_600_000),
      status: "active",
      description: "Линија 2: измењена траса — Због радова у Видовданској улици линија 2 саобраћа Улицом Мирка Томића.",
      // No area configured for route 2: the store fills in the city's.
      affectedArea: null,
      routeIds: ["2"],
      startKnown: true,
    });
    expect(strike).toMatchObject({ status: "announced", planned: false, expectedEndAt: null, affectedArea: ROUTE_7, routeIds: ["7", "12"] });
    // Same language in another script, when the preferred one is missing.
    expect(stop).toMatchObject({ description: "Stajalište Glavna 3 privremeno izmešteno", startsAt: NOW, startKnown: false, routeIds: [] });
    expect(parsed.warnings).toEqual([
      "1 entities that are not alerts (vehicle positions, trip updates) were not read",
      "1 alerts disrupt no service (effect ADDITIONAL_SERVICE/OTHER_EFFECT/UNKNOWN_EFFECT/NO_EFFECT) and are not outages",
      "1 alerts whose every period has ended were left out",
    ]);
    expect([...parsed.listedIds].sort()).toEqual(["alert-2-detour", "alert-7-strike", "alert-backwards", "alert-milliseconds", "alert-nobody", "alert-stop-moved"]);
  });

  it("prefers the configured language and joins several routes' areas", () => {
    const parsed = parseGtfsRealtime(encodeFeed(NOW_S), { ...OPTIONS, language: "en", routeAreas: { "7": ROUTE_7, "12": ROUTE_7 } }, NOW);
    expect(parsed.records[0]!.record.description).toBe("Line 2: detour — Because of works in Vidovdanska street, line 2 runs via Mirka Tomića.");
    expect(parsed.records[1]!.record.affectedArea).toEqual({ type: "MultiPolygon", coordinates: [ROUTE_7.coordinates, ROUTE_7.coordinates] });
  });

  it("ends nothing on a DIFFERENTIAL feed, and rejects a body that is not a FeedMessage", () => {
    expect(parseGtfsRealtime(encodeFeed(NOW_S, feedEntities(NOW_S), "DIFFERENTIAL"), OPTIONS, NOW)).toMatchObject({ complete: false });
    const body = encodeFeed(NOW_S);
    expect(() => parseGtfsRealtime(body.subarray(0, body.byteLength - 25), OPTIONS, NOW)).toThrow(FeedRejectedError);
    expect(() => parseGtfsRealtime(new TextEncoder().encode("<html>502 Bad Gateway</html>"), OPTIONS, NOW)).toThrow(/not a GTFS-Realtime FeedMessage/);
    expect(parseGtfsRealtime(new Uint8Array(), OPTIONS, NOW)).toMatchObject({ total: 0, complete: false });
  });
});
