/**
 * Demonstration data for Kruševac. The providers are the city's real public utilities (names as
 * they are publicly known; contact details are left out or are placeholders on `.example` domains,
 * not real addresses); the outages are invented, placed around the city centre so that the demo
 * districts of the city subgraph find some of them. None of it is operational information.
 */
import { OutageStatus, type PolygonGeometry } from "../outage/outage.model.js";
import type { OutageFeedRecord } from "../outage/outage.repository.js";
import { ServiceKind } from "../provider/provider.model.js";
import type { ProviderInput } from "../provider/provider.repository.js";

/** The `source` of the demo outages, so they are told apart from real feed imports. */
export const DEMO_SOURCE = "demo-seed";

export const KRUSEVAC_CENTRE = { longitude: 21.3336, latitude: 43.58 } as const;

export const DEMO_PROVIDERS: readonly ProviderInput[] = [
  { id: "jkp-vodovod-krusevac", name: "ЈКП „Водовод“ Крушевац", kind: ServiceKind.WATER, email: "info@vodovod-krusevac.example" },
  {
    id: "jkp-gradska-toplana-krusevac",
    name: "ЈКП „Градска топлана“ Крушевац",
    kind: ServiceKind.HEATING,
    email: "info@toplana-krusevac.example",
  },
  { id: "jkp-krusevac", name: "ЈКП „Крушевац“", kind: ServiceKind.WASTE, email: "info@jkp-krusevac.example" },
  {
    id: "elektrodistribucija-krusevac",
    name: "Електродистрибуција Крушевац (Електродистрибуција Србије)",
    kind: ServiceKind.ELECTRICITY,
    email: "info@ed-krusevac.example",
  },
  {
    // A descriptive label rather than a company name: the operator of the city lines changes by tender.
    id: "gradski-prevoz-krusevac",
    name: "Градски превоз Крушевац",
    kind: ServiceKind.TRANSPORT,
    email: "info@prevoz-krusevac.example",
  },
];

const PROVIDER_BY_KIND: Record<ServiceKind, string> = {
  [ServiceKind.WATER]: "jkp-vodovod-krusevac",
  [ServiceKind.HEATING]: "jkp-gradska-toplana-krusevac",
  [ServiceKind.WASTE]: "jkp-krusevac",
  [ServiceKind.ELECTRICITY]: "elektrodistribucija-krusevac",
  [ServiceKind.TRANSPORT]: "gradski-prevoz-krusevac",
};

const DESCRIPTIONS: Record<ServiceKind, { planned: string; unplanned: string }> = {
  [ServiceKind.WATER]: {
    planned: "Планирани радови на водоводној мрежи; без воде у означеном подручју.",
    unplanned: "Хаварија на водоводној цеви; екипе су на терену.",
  },
  [ServiceKind.HEATING]: {
    planned: "Планирано испирање топловодне мреже; обустава грејања.",
    unplanned: "Квар на топловоду; грејање је обустављено до отклањања квара.",
  },
  [ServiceKind.ELECTRICITY]: {
    planned: "Планирани радови на електроенергетској мрежи; искључење напајања.",
    unplanned: "Непланирани прекид напајања електричном енергијом.",
  },
  [ServiceKind.WASTE]: {
    planned: "Измењен распоред одвожења отпада због радова.",
    unplanned: "Одвожење отпада касни због квара возила.",
  },
  [ServiceKind.TRANSPORT]: {
    planned: "Измењена траса линије градског превоза због радова.",
    unplanned: "Линија градског превоза привремено не саобраћа.",
  },
};

const KINDS: readonly ServiceKind[] = [
  ServiceKind.WATER,
  ServiceKind.ELECTRICITY,
  ServiceKind.HEATING,
  ServiceKind.WATER,
  ServiceKind.ELECTRICITY,
  ServiceKind.WASTE,
  ServiceKind.TRANSPORT,
];

const HOUR_MS = 3_600_000;
// About 1 km in degrees at Kruševac's latitude.
const KM_LATITUDE = 1 / 111.2;
const KM_LONGITUDE = 1 / (111.2 * Math.cos((KRUSEVAC_CENTRE.latitude * Math.PI) / 180));

export const DEMO_OUTAGE_COUNT = 36;

/**
 * The demo outages relative to `now`: a third active now, a third announced for the coming days,
 * the rest resolved or cancelled in the past week. Deterministic, so two seeds agree.
 */
export function demoOutages(now: Date): OutageFeedRecord[] {
  const random = seededRandom(20_240_601);
  const records: OutageFeedRecord[] = [];
  for (let index = 0; index < DEMO_OUTAGE_COUNT; index += 1) {
    const kind = KINDS[index % KINDS.length] as ServiceKind;
    const planned = index % 3 !== 1;
    const phase = index % 3;
    // Spread over roughly ±3.5 km around the centre, the inner ring more densely.
    const angle = random() * 2 * Math.PI;
    const distanceKm = 3.5 * Math.sqrt(random());
    const centre = {
      longitude: KRUSEVAC_CENTRE.longitude + Math.cos(angle) * distanceKm * KM_LONGITUDE,
      latitude: KRUSEVAC_CENTRE.latitude + Math.sin(angle) * distanceKm * KM_LATITUDE,
    };
    const radiusKm = 0.2 + random() * 0.5;
    let status: OutageStatus;
    let startsAt: Date;
    let expectedEndAt: Date | null;
    if (phase === 0) {
      status = OutageStatus.ACTIVE;
      startsAt = new Date(now.getTime() - (1 + Math.floor(random() * 5)) * HOUR_MS);
      expectedEndAt = planned ? new Date(now.getTime() + (2 + Math.floor(random() * 8)) * HOUR_MS) : null;
    } else if (phase === 2) {
      status = OutageStatus.ANNOUNCED;
      startsAt = new Date(now.getTime() + (12 + Math.floor(random() * 96)) * HOUR_MS);
      expectedEndAt = new Date(startsAt.getTime() + (3 + Math.floor(random() * 6)) * HOUR_MS);
    } else {
      status = index % 4 === 0 ? OutageStatus.CANCELLED : OutageStatus.RESOLVED;
      startsAt = new Date(now.getTime() - (24 + Math.floor(random() * 144)) * HOUR_MS);
      expectedEndAt = new Date(startsAt.getTime() + (2 + Math.floor(random() * 6)) * HOUR_MS);
    }
    const text = DESCRIPTIONS[kind];
    records.push({
      externalId: `demo-${String(index + 1).padStart(3, "0")}`,
      providerId: PROVIDER_BY_KIND[kind],
      kind,
      planned,
      startsAt,
      expectedEndAt,
      status,
      description: `${planned ? text.planned : text.unplanned} (демонстрациони подаци)`,
      affectedArea: hexagon(centre, radiusKm),
    });
  }
  return records;
}

/** A closed hexagon around a point, `radiusKm` from centre to corner. */
export function hexagon(centre: { longitude: number; latitude: number }, radiusKm: number): PolygonGeometry {
  const ring: number[][] = [];
  for (let corner = 0; corner < 6; corner += 1) {
    const angle = (corner * Math.PI) / 3;
    ring.push([
      round(centre.longitude + Math.cos(angle) * radiusKm * KM_LONGITUDE),
      round(centre.latitude + Math.sin(angle) * radiusKm * KM_LATITUDE),
    ]);
  }
  ring.push([...(ring[0] as number[])]);
  return { type: "Polygon", coordinates: [ring] };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** mulberry32: small, fast and good enough for placing demo data reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}
