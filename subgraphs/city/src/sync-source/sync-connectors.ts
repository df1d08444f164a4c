/**
 * The connectors a sync source may name, what each may write to, and the options each accepts. The
 * city subgraph owns the sources, so it validates their configuration when an admin saves it; the
 * workers implement the connectors and read their options through the same schemas, so a source
 * that was accepted here is one the worker can run.
 */
import { registerEnumType } from "type-graphql";
import { z } from "zod";

export const SyncConnectorKind = {
  /** The outage CSV feed (format: workers/README.md), into the services subgraph's outages. */
  OUTAGE_CSV: "outage-csv",
  /** Sensor.Community (luftdaten) JSON, into the services subgraph's stations and readings. */
  SENSOR_COMMUNITY: "sensor-community",
  /** Open-Meteo hourly JSON, past hours into one station's readings. */
  OPEN_METEO: "open-meteo",
  /** NGSI-LD entities of a FIWARE context broker, by Smart Data Model type. */
  NGSI_LD: "ngsi-ld",
  /** JSON, CSV or GeoJSON with a declarative field mapping in the options. */
  GENERIC: "generic",
  /** Another system's Open311 GeoReport v2 `requests.json`, into the city's service requests. */
  OPEN311: "open311",
  /** The business registry's (APR) CSV export, streamed into the business subgraph's businesses. */
  BUSINESS_REGISTRY_CSV: "business-registry-csv",
  /** GTFS-Realtime service alerts (protobuf), into the services subgraph's transport outages. */
  GTFS_REALTIME: "gtfs-realtime",
} as const;
export type SyncConnectorKind = (typeof SyncConnectorKind)[keyof typeof SyncConnectorKind];
export const SYNC_CONNECTOR_KINDS: readonly SyncConnectorKind[] = Object.freeze(Object.values(SyncConnectorKind));

registerEnumType(SyncConnectorKind, {
  name: "SyncConnectorKind",
  description: "The connector that fetches and reads a sync source",
  valuesConfig: {
    OUTAGE_CSV: { description: "CSV outage feed, into the services subgraph's outages" },
    SENSOR_COMMUNITY: { description: "Sensor.Community (luftdaten) air-quality JSON, into stations and readings" },
    OPEN_METEO: { description: "Open-Meteo hourly weather JSON (past hours only), into one station's readings" },
    NGSI_LD: { description: "NGSI-LD entities (AirQualityObserved, WeatherObserved, Alert) of a FIWARE context broker" },
    GENERIC: { description: "JSON, CSV or GeoJSON with a declarative field mapping, into outages or readings" },
    OPEN311: { description: "Open311 GeoReport v2 requests of another system, into the city's service requests" },
    BUSINESS_REGISTRY_CSV: { description: "The business registry's CSV export (streamed), into businesses" },
    GTFS_REALTIME: { description: "GTFS-Realtime service alerts, into transport outages" },
  },
});

/** Where a connector's records land: a collection owned by a subgraph, written through its repository. */
export const SyncTarget = {
  OUTAGES: "services.outages",
  /** Environment readings (and the stations they come from) of the services subgraph. */
  READINGS: "services.readings",
  /** Citizens' requests of the city subgraph's contact center. */
  SERVICE_REQUESTS: "city.serviceRequests",
  /** Businesses of the business subgraph. */
  BUSINESSES: "business.businesses",
} as const;
export type SyncTarget = (typeof SyncTarget)[keyof typeof SyncTarget];
export const SYNC_TARGETS: readonly SyncTarget[] = Object.freeze(Object.values(SyncTarget));

registerEnumType(SyncTarget, {
  name: "SyncTarget",
  description: "The data a sync source writes, through the owning subgraph's repository",
  valuesConfig: {
    OUTAGES: { description: "Outages of the services subgraph" },
    READINGS: { description: "Environment stations and readings of the services subgraph" },
    SERVICE_REQUESTS: { description: "Service requests of the city subgraph's contact center" },
    BUSINESSES: { description: "Businesses of the business subgraph" },
  },
});

const MIB = 1024 * 1024;
/** Large enough for a city's feeds, small enough that one source cannot exhaust a worker's memory. */
export const MAX_SYNC_BODY_BYTES = 256 * MIB;

/** Options every connector that fetches over HTTP shares. */
const fetchOptions = {
  timeoutMs: z.number().int("must be an integer").min(1_000, "must be at least 1000 (ms)").max(300_000, "must be at most 300000 (ms)").default(15_000),
  maxBytes: z
    .number()
    .int("must be an integer")
    .min(1_024, "must be at least 1024 (bytes)")
    .max(MAX_SYNC_BODY_BYTES, `must be at most ${MAX_SYNC_BODY_BYTES} (bytes)`)
    .default(5 * MIB),
};

export const outageCsvOptionsSchema = z.strictObject({
  ...fetchOptions,
  /**
   * The feed lists every current outage, so one it no longer lists has ended. Off for feeds that
   * only publish changes.
   */
  fullSnapshot: z.boolean().default(true),
  /**
   * The provenance name stored on each outage (`source`); default `sync:<source id>`. Set it to keep
   * the identity of outages imported under another name before (the OUTAGE_FEED_URL source keeps
   * the `csv:<host><path>` name of the earlier outage sync).
   */
  provenance: z.string().trim().min(1, "must not be empty").max(300, "must be at most 300 characters").optional(),
});
export type OutageCsvOptions = z.output<typeof outageCsvOptionsSchema>;

const provenanceOption = z.string().trim().min(1, "must not be empty").max(300, "must be at most 300 characters").optional();
/** The provider that owns the stations a feed creates; none (null) for community sensors. */
const stationProviderOption = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").nullable().default(null);
const externalIdText = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

/** The services subgraph's parameters, kinds and statuses (it depends on this subgraph, so they are spelled out; the workers check them again). */
export const ENVIRONMENT_PARAMETER_NAMES = ["PM10", "PM2_5", "NO2", "O3", "TEMPERATURE", "PRECIPITATION", "WIND_SPEED", "WIND_DIRECTION"] as const;
const SERVICE_KIND_NAMES = ["water", "heating", "electricity", "waste", "transport"] as const;

export const sensorCommunityOptionsSchema = z.strictObject({
  ...fetchOptions,
  /** Keep only sensors inside the city (the public feed is the whole world); off: a sensor outside is quarantined. */
  filterToCity: z.boolean().default(true),
  providerId: stationProviderOption,
  provenance: provenanceOption,
});
export type SensorCommunityOptions = z.output<typeof sensorCommunityOptionsSchema>;

export const openMeteoOptionsSchema = z
  .strictObject({
    ...fetchOptions,
    /** An existing station the forecast point's past hours are stored for. */
    stationId: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
    /** Or a station created (and found again) by this external id, at the feed's coordinates. */
    station: z.strictObject({ externalId: externalIdText, name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters") }).optional(),
    providerId: stationProviderOption,
    provenance: provenanceOption,
  })
  .superRefine((options, context) => {
    if ((options.stationId === undefined) === (options.station === undefined)) {
      context.addIssue({ code: "custom", path: ["stationId"], message: "give exactly one of stationId (an existing station) or station { externalId, name } (a station at the feed's point)" });
    }
  });
export type OpenMeteoOptions = z.output<typeof openMeteoOptionsSchema>;

export const ngsiLdOptionsSchema = z.strictObject({
  ...fetchOptions,
  /** Entities per request (`limit`); the broker's own maximum is often 1000. */
  pageSize: z.number().int("must be an integer").min(1, "must be at least 1").max(1_000, "must be at most 1000").default(100),
  /** Requests per run at most; `maxBytes` bounds all pages together. */
  maxPages: z.number().int("must be an integer").min(1, "must be at least 1").max(1_000, "must be at most 1000").default(100),
  providerId: stationProviderOption,
  /**
   * Smart Data Model Alerts that announce a service disruption, by subCategory, and the outage they
   * become; every other Alert is quarantined (the model has no weather or traffic alerts).
   */
  alertOutages: z
    .array(z.strictObject({ subCategory: externalIdText, kind: z.enum(SERVICE_KIND_NAMES, { message: `must be one of ${SERVICE_KIND_NAMES.join(", ")}` }), providerId: externalIdText }))
    .max(50, "must list at most 50 subCategories")
    .default([]),
  /** The broker lists every current Alert, so an outage no longer listed has ended. */
  fullSnapshot: z.boolean().default(true),
  provenance: provenanceOption,
});
export type NgsiLdOptions = z.output<typeof ngsiLdOptionsSchema>;

/** A dotted path into a record (`data.items`, `properties.name`, `values.0`). */
const fieldPath = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, "must be a dotted path like properties.name");

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** How a source value becomes a target value; see workers/README.md, "generic". */
export const genericTransformSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("number"), decimalComma: z.boolean().default(false) }),
  z.strictObject({
    type: z.literal("date"),
    /** `iso`, `unix-s`, `unix-ms`, or a pattern of YYYY MM DD HH mm ss (e.g. `DD.MM.YYYY HH:mm`). */
    format: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(64, "must be at most 64 characters")
      .refine((format) => ["iso", "unix-s", "unix-ms"].includes(format) || (format.includes("YYYY") && format.includes("MM") && format.includes("DD")), {
        message: "must be iso, unix-s, unix-ms or a pattern with YYYY, MM and DD (and optionally HH, mm, ss)",
      })
      .default("iso"),
    /** The zone of a pattern's local times; default UTC. */
    timeZone: z.string().refine(isTimeZone, { message: "is not an IANA time zone" }).default("UTC"),
  }),
  z.strictObject({
    type: z.literal("scale"),
    factor: z.number().finite("must be a finite number"),
    offset: z.number().finite("must be a finite number").default(0),
    decimalComma: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal("constant"), value: scalar }),
  z.strictObject({ type: z.literal("enum"), map: z.record(z.string(), scalar).refine((map) => Object.keys(map).length > 0, { message: "must map at least one value" }), default: scalar.optional() }),
  z.strictObject({ type: z.literal("boolean") }),
  z.strictObject({ type: z.literal("geojson") }),
]);
export type GenericTransform = z.output<typeof genericTransformSchema>;

export const genericFieldSchema = z
  .strictObject({ from: fieldPath.optional(), transform: genericTransformSchema.optional() })
  .refine((field) => field.from !== undefined || field.transform?.type === "constant", { message: "needs `from`, or a constant transform", path: ["from"] });
export type GenericField = z.output<typeof genericFieldSchema>;

const genericOutageMapping = z.strictObject({
  providerId: genericFieldSchema,
  kind: genericFieldSchema,
  planned: genericFieldSchema,
  startsAt: genericFieldSchema,
  expectedEndAt: genericFieldSchema.optional(),
  status: genericFieldSchema,
  description: genericFieldSchema,
  /** Default for GeoJSON: the feature's geometry. */
  area: genericFieldSchema.optional(),
});

const genericReadingMapping = z.strictObject({
  at: genericFieldSchema,
  stationName: genericFieldSchema.optional(),
  /** Default for GeoJSON: the feature's Point geometry. */
  longitude: genericFieldSchema.optional(),
  latitude: genericFieldSchema.optional(),
  values: z
    .array(z.strictObject({ parameter: z.enum(ENVIRONMENT_PARAMETER_NAMES, { message: `must be one of ${ENVIRONMENT_PARAMETER_NAMES.join(", ")}` }), from: fieldPath, transform: genericTransformSchema.optional() }))
    .min(1, "must map at least one value")
    .max(ENVIRONMENT_PARAMETER_NAMES.length, `must have at most ${ENVIRONMENT_PARAMETER_NAMES.length} values`),
});

export const genericOptionsSchema = z
  .strictObject({
    ...fetchOptions,
    format: z.enum(["json", "csv", "geojson"], { message: "must be json, csv or geojson" }),
    /** JSON only: the dotted path to the records array; absent when the body is the array. */
    recordsPath: fieldPath.optional(),
    /** CSV only. */
    delimiter: z.enum([",", ";", "\t", "|"], { message: "must be one of , ; tab |" }).default(","),
    /** The record's id in the feed (readings: the station's id). */
    externalId: fieldPath,
    target: z.enum(["outages", "readings"], { message: "must be outages or readings" }),
    outage: genericOutageMapping.optional(),
    reading: genericReadingMapping.optional(),
    providerId: stationProviderOption,
    fullSnapshot: z.boolean().default(true),
    provenance: provenanceOption,
  })
  .superRefine((options, context) => {
    if (options.target === "outages" && !options.outage) context.addIssue({ code: "custom", path: ["outage"], message: "is required when target is outages" });
    if (options.target === "readings" && !options.reading) context.addIssue({ code: "custom", path: ["reading"], message: "is required when target is readings" });
    if (options.recordsPath !== undefined && options.format !== "json") context.addIssue({ code: "custom", path: ["recordsPath"], message: "applies to the json format only" });
    if (options.target === "readings" && options.format !== "geojson" && (!options.reading?.longitude || !options.reading.latitude)) {
      context.addIssue({ code: "custom", path: ["reading", "longitude"], message: "longitude and latitude are required unless the format is geojson" });
    }
    if (options.target === "outages" && options.format !== "geojson" && !options.outage?.area) {
      context.addIssue({ code: "custom", path: ["outage", "area"], message: "is required unless the format is geojson" });
    }
  });
export type GenericOptions = z.output<typeof genericOptionsSchema>;

const catalogCode = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");

export const open311OptionsSchema = z.strictObject({
  ...fetchOptions,
  /** The other system's service_code → the city catalog's category code; a request of a code not listed is quarantined. */
  serviceCodes: z
    .record(catalogCode, catalogCode)
    .refine((codes) => Object.keys(codes).length > 0, "must map at least one service_code to a category code"),
  /** What the other system's `closed` becomes here: `resolved` leaves the closing to the city's staff. */
  closedStatus: z.enum(["resolved", "closed"]).default("closed"),
  /** A scheduled run asks for the requests changed in this many hours before it (`{from}`/`{to}` in the URL). */
  lookbackHours: z.number().int("must be an integer").min(1, "must be at least 1").max(2_160, "must be at most 2160 (90 days)").default(48),
  provenance: provenanceOption,
});
export type Open311Options = z.output<typeof open311OptionsSchema>;

/** The fields of a business registry row; the column map names the header of each. */
export const BUSINESS_REGISTRY_FIELDS = ["registryNumber", "taxId", "name", "shortName", "activityCode", "activityName", "address", "city", "status"] as const;
export type BusinessRegistryField = (typeof BUSINESS_REGISTRY_FIELDS)[number];

export const businessRegistryCsvOptionsSchema = z.strictObject({
  ...fetchOptions,
  // A registry export of tens of thousands of rows is tens of MiB; it is streamed, never held whole.
  maxBytes: fetchOptions.maxBytes.default(256 * MIB),
  // Streamed: the rows are stored while the body arrives, so the time limit covers the import too.
  timeoutMs: z.number().int("must be an integer").min(1_000, "must be at least 1000 (ms)").max(3_600_000, "must be at most 3600000 (ms)").default(1_800_000),
  /** Header names for fields whose column is not named as in the APR export (workers/README.md). */
  columns: z.partialRecord(z.enum(BUSINESS_REGISTRY_FIELDS), z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters")).default({}),
  /** The cell separator; `auto` takes the one the header row uses. */
  delimiter: z.enum([";", ",", "auto"]).default("auto"),
  /**
   * Where a business the platform does not know yet is placed, `[longitude, latitude]` (the registry
   * has addresses, no coordinates): e.g. the city hall, until the business sets its own location.
   */
  newBusinessLocation: z.tuple([z.number().min(-180, "longitude must be -180 to 180").max(180, "longitude must be -180 to 180"), z.number().min(-90, "latitude must be -90 to 90").max(90, "latitude must be -90 to 90")]),
  provenance: provenanceOption,
});
export type BusinessRegistryCsvOptions = z.output<typeof businessRegistryCsvOptionsSchema>;

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const ring = z.array(position).min(4, "a ring needs at least 4 positions");
const areaGeometry = z.union([
  z.strictObject({ type: z.literal("Polygon"), coordinates: z.array(ring).min(1) }),
  z.strictObject({ type: z.literal("MultiPolygon"), coordinates: z.array(z.array(ring).min(1)).min(1) }),
]);

export const gtfsRealtimeOptionsSchema = z.strictObject({
  ...fetchOptions,
  /** The transit operator's provider id in the services subgraph; every alert is its outage. */
  providerId: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  /** The area of the outage for an alert on these route ids (GeoJSON Polygon or MultiPolygon). */
  routeAreas: z.record(z.string().trim().min(1).max(200), areaGeometry).default({}),
  /** The area when no informed route is in routeAreas; default the city's districts together. */
  defaultArea: areaGeometry.optional(),
  /** The language of the alert texts to keep (BCP 47, e.g. `sr` or `sr-Latn`); others are the fallback. */
  language: z.string().trim().min(2, "must be a language tag such as sr").max(35, "must be at most 35 characters").default("sr"),
  /** The feed lists every alert in force, so one it no longer lists has ended. */
  fullSnapshot: z.boolean().default(true),
  provenance: provenanceOption,
});
export type GtfsRealtimeOptions = z.output<typeof gtfsRealtimeOptionsSchema>;

export interface ConnectorContract {
  /** What the connector can write. */
  targets: readonly SyncTarget[];
  /** Its options, with their defaults; unknown keys are refused so that a typo is not silently ignored. */
  options: z.ZodType<Record<string, unknown>, Record<string, unknown>>;
}

export const CONNECTOR_CONTRACTS: Readonly<Record<SyncConnectorKind, ConnectorContract>> = Object.freeze({
  [SyncConnectorKind.OPEN311]: { targets: [SyncTarget.SERVICE_REQUESTS], options: open311OptionsSchema },
  [SyncConnectorKind.BUSINESS_REGISTRY_CSV]: { targets: [SyncTarget.BUSINESSES], options: businessRegistryCsvOptionsSchema },
  [SyncConnectorKind.GTFS_REALTIME]: { targets: [SyncTarget.OUTAGES], options: gtfsRealtimeOptionsSchema },
  [SyncConnectorKind.OUTAGE_CSV]: { targets: [SyncTarget.OUTAGES], options: outageCsvOptionsSchema },
  [SyncConnectorKind.SENSOR_COMMUNITY]: { targets: [SyncTarget.READINGS], options: sensorCommunityOptionsSchema },
  [SyncConnectorKind.OPEN_METEO]: { targets: [SyncTarget.READINGS], options: openMeteoOptionsSchema },
  // Air-quality and weather entities become readings, service-disruption Alerts outages: a source writes one of them.
  [SyncConnectorKind.NGSI_LD]: { targets: [SyncTarget.READINGS, SyncTarget.OUTAGES], options: ngsiLdOptionsSchema },
  [SyncConnectorKind.GENERIC]: { targets: [SyncTarget.OUTAGES, SyncTarget.READINGS], options: genericOptionsSchema },
});

export type OptionsCheck = { ok: true; options: Record<string, unknown> } | { ok: false; field: string; message: string };

/** Validates a connector's options; a failure names the option (`options.<name>`) and says why. */
export function checkConnectorOptions(kind: SyncConnectorKind, options: unknown): OptionsCheck {
  const contract = CONNECTOR_CONTRACTS[kind];
  const parsed = contract.options.safeParse(options ?? {});
  if (parsed.success) return { ok: true, options: parsed.data };
  const issue = parsed.error.issues[0]!;
  // A key unknown inside an option (e.g. a column map's) is named with the option's path.
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]].join(".") : issue.path.join(".");
  return { ok: false, field: path ? `options.${path}` : "options", message: issue.code === "unrecognized_keys" ? "is not an option of this connector" : issue.message };
}
