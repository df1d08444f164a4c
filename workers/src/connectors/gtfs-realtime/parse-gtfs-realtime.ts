import type { GtfsRealtimeOptions } from "@situation/city-subgraph";
import { OutageStatus, ServiceKind, type MultiPolygonGeometry, type OutageFeedRecord, type PolygonGeometry } from "@situation/services-subgraph";
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import { z } from "zod";
import type { ParseResult, RecordReject } from "../../sync/connector.js";
import { FeedRejectedError } from "../../sync/sync-errors.js";

const { FeedMessage } = GtfsRealtimeBindings.transit_realtime;

/** An alert as an outage; the area is filled in when storing when no informed route has one configured. */
export type TransitAlertRecord = Omit<OutageFeedRecord, "affectedArea"> & {
  affectedArea: PolygonGeometry | MultiPolygonGeometry | null;
  routeIds: string[];
  /** False when the alert gives no start: `startsAt` is then this run's time, and the store keeps the one first stored. */
  startKnown: boolean;
};

/** Effects that disrupt service, hence outages; the others (added trips, no effect, unknown) are not. */
export const DISRUPTIVE_EFFECTS = ["NO_SERVICE", "REDUCED_SERVICE", "SIGNIFICANT_DELAYS", "DETOUR", "MODIFIED_SERVICE", "STOP_MOVED", "ACCESSIBILITY_ISSUE"] as const;
/** Causes that are known in advance: their outages are planned. */
const PLANNED_CAUSES = new Set(["MAINTENANCE", "CONSTRUCTION", "HOLIDAY", "SPECIAL_EVENT"]);
// 2100-01-01: anything later is a unit mistake (milliseconds sent as seconds), not a date.
const LATEST_SECONDS = 4_102_444_800;

const seconds = z.number("must be seconds since 1970").int("must be whole seconds").min(0, "must not be negative").max(LATEST_SECONDS, "is after 2100 (milliseconds sent as seconds?)");
const translated = z.object({ translation: z.array(z.object({ text: z.string("must be text"), language: z.string().optional() })).min(1, "has no translation") });

/** An alert entity as FeedMessage.toObject gives it (enums as names, 64-bit numbers as numbers). */
const alertEntitySchema = z.object({
  id: z.string("must be text").trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  alert: z.object({
    activePeriod: z
      .array(z.object({ start: seconds.optional(), end: seconds.optional() }).refine((period) => period.start === undefined || period.end === undefined || period.end > period.start, "ends before it starts"))
      .optional(),
    informedEntity: z.array(z.object({ agencyId: z.string().optional(), routeId: z.string().optional(), stopId: z.string().optional() }).loose()).min(1, "must name at least one route, stop or agency"),
    cause: z.string().optional(),
    effect: z.string().optional(),
    headerText: translated,
    descriptionText: translated.optional(),
  }),
});

/**
 * Reads a GTFS-Realtime FeedMessage's service alerts into transport outages of one provider. Each
 * alert is checked on its own (a bad one is quarantined naming its field); alerts that disrupt no
 * service, and alerts whose every period has ended, are not outages and are left out (a stored one
 * is then ended as missing). Vehicle positions and trip updates are not read. A body that does not
 * decode as a FeedMessage is rejected whole: protobuf has no way to tell where the damage starts.
 */
export function parseGtfsRealtime(
  body: Uint8Array,
  options: Pick<GtfsRealtimeOptions, "providerId" | "routeAreas" | "defaultArea" | "language">,
  now: Date,
): ParseResult<TransitAlertRecord> {
  if (body.byteLength === 0) return { total: 0, records: [], rejects: [], listedIds: new Set(), complete: false, warnings: ["the body is empty"] };
  let message: Record<string, unknown>;
  try {
    message = FeedMessage.toObject(FeedMessage.decode(body), { longs: Number, enums: String, defaults: false }) as Record<string, unknown>;
  } catch (error) {
    throw new FeedRejectedError(`the body is not a GTFS-Realtime FeedMessage: ${(error as Error).message}`, { cause: error });
  }
  const warnings: string[] = [];
  let complete = true;
  const header = message.header as { incrementality?: string } | undefined;
  if (header?.incrementality === "DIFFERENTIAL") {
    complete = false;
    warnings.push("the feed is DIFFERENTIAL: it lists changes, not every alert, so nothing was ended");
  }
  const entities = Array.isArray(message.entity) ? (message.entity as Record<string, unknown>[]) : [];
  const records: ParseResult<TransitAlertRecord>["records"] = [];
  const rejects: RecordReject[] = [];
  const listedIds = new Set<string>();
  const seen = new Set<string>();
  let notAlerts = 0;
  let notDisruptive = 0;
  let expired = 0;
  for (const entity of entities) {
    if (!entity.alert) {
      notAlerts += 1;
      continue;
    }
    const raw = JSON.stringify(entity).slice(0, 10_000);
    const id = typeof entity.id === "string" && entity.id.trim() !== "" ? entity.id.trim() : null;
    const reject = (field: string, reason: string) => rejects.push({ line: null, externalId: id, field, reason, raw });
    if (entity.isDeleted === true) continue;
    const parsed = alertEntitySchema.safeParse(entity);
    if (!parsed.success) {
      const [first, ...others] = parsed.error.issues;
      const field = first ? fieldName(first.path) : "(row)";
      reject(field, `${first?.message ?? "is invalid"}${others.length > 0 ? `; also ${others.map((issue) => `${fieldName(issue.path)} ${issue.message}`).join("; ")}` : ""}`);
      if (id) listedIds.add(id);
      continue;
    }
    const { alert } = parsed.data;
    if (seen.has(parsed.data.id)) {
      reject("id", "is listed twice in this feed");
      continue;
    }
    seen.add(parsed.data.id);
    const effect = alert.effect ?? "UNKNOWN_EFFECT";
    if (!(DISRUPTIVE_EFFECTS as readonly string[]).includes(effect)) {
      notDisruptive += 1;
      continue;
    }
    const periods = alert.activePeriod ?? [];
    const startKnown = periods.length > 0 && periods.every((period) => period.start !== undefined);
    const starts = periods.map((period) => period.start ?? Math.floor(now.getTime() / 1000));
    const ends = periods.map((period) => period.end);
    // No period means "in force as long as the feed lists it".
    const startsAt = startKnown ? new Date(Math.min(...starts) * 1000) : now;
    const openEnded = periods.length === 0 || ends.some((end) => end === undefined);
    const expectedEndAt = openEnded ? null : new Date(Math.max(...(ends as number[])) * 1000);
    if (expectedEndAt && expectedEndAt.getTime() <= now.getTime()) {
      expired += 1;
      continue;
    }
    listedIds.add(parsed.data.id);
    const routeIds = [...new Set(alert.informedEntity.map((selector) => selector.routeId).filter((route): route is string => typeof route === "string" && route !== ""))];
    const headerText = pick(alert.headerText.translation, options.language);
    const descriptionText = alert.descriptionText ? pick(alert.descriptionText.translation, options.language) : "";
    const description = [headerText, descriptionText].filter((text) => text.trim() !== "").join(" — ").slice(0, 2000);
    if (description.trim() === "") {
      reject("alert.headerText", "has no text");
      continue;
    }
    records.push({
      line: null,
      externalId: parsed.data.id,
      raw,
      record: {
        externalId: parsed.data.id,
        providerId: options.providerId,
        kind: ServiceKind.TRANSPORT,
        planned: PLANNED_CAUSES.has(alert.cause ?? ""),
        startsAt,
        expectedEndAt,
        status: startsAt.getTime() > now.getTime() ? OutageStatus.ANNOUNCED : OutageStatus.ACTIVE,
        description,
        affectedArea: areaOf(routeIds, options),
        routeIds,
        startKnown,
      },
    });
  }
  if (notAlerts > 0) warnings.push(`${notAlerts} entities that are not alerts (vehicle positions, trip updates) were not read`);
  if (notDisruptive > 0) warnings.push(`${notDisruptive} alerts disrupt no service (effect ${["ADDITIONAL_SERVICE", "OTHER_EFFECT", "UNKNOWN_EFFECT", "NO_EFFECT"].join("/")}) and are not outages`);
  if (expired > 0) warnings.push(`${expired} alerts whose every period has ended were left out`);
  return { total: entities.length - notAlerts, records, rejects, listedIds, complete, warnings };
}

/** The text in the preferred language, else one of the same language in another script or region, else untagged, else the first. */
function pick(translations: readonly { text: string; language?: string | undefined }[], language: string): string {
  const wanted = language.toLowerCase();
  const base = wanted.split("-")[0];
  const found =
    translations.find((entry) => entry.language?.toLowerCase() === wanted) ??
    translations.find((entry) => entry.language?.toLowerCase().split("-")[0] === base) ??
    translations.find((entry) => !entry.language) ??
    translations[0]!;
  return found.text.trim();
}

/** The configured areas of the informed routes, together; null when none has one (the store fills in the default). */
function areaOf(routeIds: readonly string[], options: Pick<GtfsRealtimeOptions, "routeAreas" | "defaultArea">): PolygonGeometry | MultiPolygonGeometry | null {
  const areas = routeIds.map((route) => options.routeAreas[route]).filter((area) => area !== undefined);
  if (areas.length === 0) return (options.defaultArea as PolygonGeometry | MultiPolygonGeometry | undefined) ?? null;
  if (areas.length === 1) return areas[0] as PolygonGeometry | MultiPolygonGeometry;
  return { type: "MultiPolygon", coordinates: areas.flatMap((area) => (area.type === "Polygon" ? [area.coordinates] : area.coordinates)) } as MultiPolygonGeometry;
}

/** The feed's field names (snake case, as in gtfs-realtime.proto), for quarantine entries. */
function fieldName(path: readonly PropertyKey[]): string {
  const names = path.filter((part) => typeof part === "string").map((part) => (part as string).replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
  return names.length === 0 ? "(row)" : names.join(".");
}
