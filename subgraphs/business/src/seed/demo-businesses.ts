/**
 * Demo businesses of Kruševac: plausible names, registry numbers and activities, placed inside the
 * city subgraph's demo districts.
 *
 * DEMONSTRATION DATA: the businesses are invented. Registry numbers are random 7-digit bodies with the
 * registry's mod-11 check digit, and tax ids "1" + that body with the PIB check digit, so both pass
 * validation; either may coincide with a real one by chance. Streets are common Serbian street names,
 * not matched to where the point lies. Generated from a fixed seed, so
 * every run produces the same businesses and re-seeding is idempotent.
 */
import { boundingBox, isPointInMultiPolygon, KRUSEVAC_DISTRICTS, type DistrictSeed, type Position } from "@situation/city-subgraph/seed-data";
import type { BusinessInput } from "../business/business.repository.js";
import { registryNumberCheckDigit, taxIdCheckDigit } from "../registry/registry-numbers.js";

export const DEMO_BUSINESS_COUNT = 300;

export interface DemoBusiness extends BusinessInput {
  location: { type: "Point"; coordinates: Position };
  /** The demo district the business was placed in; tests compare it with what `$geoWithin` finds. */
  districtId: string;
}

interface ActivityTemplate {
  code: string;
  label: string;
  /** How the name starts, e.g. "Apoteka". */
  prefix: string;
  /** Registered as a company (d.o.o.) rather than as a sole trader. */
  company: boolean;
  /** Relative frequency in the demo set. */
  weight: number;
  /** Typical weekly hours of such a business. */
  hours: string;
}

// Classes of KD 2010, the Serbian classification of activities (NACE Rev. 2).
const ACTIVITIES: readonly ActivityTemplate[] = [
  { code: "47.73", label: "Trgovina na malo farmaceutskim proizvodima u specijalizovanim prodavnicama – apotekama", prefix: "Apoteka", company: false, weight: 3, hours: "Mon-Fri 07:00-21:00; Sat 08:00-15:00" },
  { code: "10.71", label: "Proizvodnja hleba, svežeg peciva i kolača", prefix: "Pekara", company: false, weight: 4, hours: "Mon-Sat 06:00-20:00; Sun 07:00-13:00" },
  { code: "47.30", label: "Trgovina na malo motornim gorivima u specijalizovanim prodavnicama", prefix: "Benzinska pumpa", company: true, weight: 1, hours: "Mon-Sun 00:00-24:00" },
  { code: "47.11", label: "Trgovina na malo u nespecijalizovanim prodavnicama, pretežno hranom, pićima i duvanom", prefix: "Market", company: false, weight: 5, hours: "Mon-Sat 07:00-22:00; Sun 08:00-14:00" },
  { code: "55.10", label: "Hoteli i sličan smeštaj", prefix: "Hotel", company: true, weight: 1, hours: "Mon-Sun 00:00-24:00" },
  { code: "56.10", label: "Delatnosti restorana i pokretnih ugostiteljskih objekata", prefix: "Restoran", company: false, weight: 3, hours: "Mon-Sun 10:00-23:00" },
  { code: "56.30", label: "Usluge pripremanja i posluživanja pića", prefix: "Kafe", company: false, weight: 4, hours: "Mon-Thu 08:00-23:00; Fri-Sat 08:00-24:00; Sun 09:00-23:00" },
  { code: "96.02", label: "Delatnost frizerskih i kozmetičkih salona", prefix: "Frizerski salon", company: false, weight: 3, hours: "Tue-Fri 09:00-19:00; Sat 08:00-14:00; Sun,Mon closed" },
  { code: "45.20", label: "Održavanje i popravka motornih vozila", prefix: "Auto servis", company: false, weight: 2, hours: "Mon-Fri 08:00-17:00; Sat 08:00-13:00" },
  { code: "86.23", label: "Stomatološka praksa", prefix: "Stomatološka ordinacija", company: false, weight: 2, hours: "Mon-Fri 08:00-14:00,16:00-20:00" },
  { code: "47.22", label: "Trgovina na malo mesom i proizvodima od mesa u specijalizovanim prodavnicama", prefix: "Mesara", company: false, weight: 2, hours: "Mon-Sat 07:00-19:00" },
  { code: "47.52", label: "Trgovina na malo metalnom robom, bojama i staklom u specijalizovanim prodavnicama", prefix: "Gvožđara", company: false, weight: 1, hours: "Mon-Fri 08:00-19:00; Sat 08:00-14:00" },
  { code: "69.20", label: "Računovodstveni, knjigovodstveni i revizorski poslovi; poresko savetovanje", prefix: "Knjigovodstvena agencija", company: true, weight: 2, hours: "Mon-Fri 08:00-16:00" },
  { code: "62.01", label: "Računarsko programiranje", prefix: "Softverska kuća", company: true, weight: 1, hours: "Mon-Fri 09:00-17:00" },
];

const NAME_STEMS: readonly string[] = [
  "Zora", "Lipa", "Javor", "Rasina", "Morava", "Jastrebac", "Kruna", "Sloga", "Izvor", "Vidovdan",
  "Lazar", "Milica", "Jugović", "Kosovka", "Ravanica", "Kopaonik", "Župa", "Zvezda", "Sunce", "Duga",
  "Hrast", "Ruža", "Lala", "Dunja", "Jelena", "Miloš", "Kneginja", "Tri brata", "Stari grad", "Domaćin",
  "Ognjište", "Vrelo", "Bistrica", "Trešnja", "Jabuka", "Šljiva", "Vinogradi", "Despot", "Gradac", "Bagrem",
  "Neven", "Lasta", "Galeb", "Sokol", "Orao", "Jelen", "Bela lađa", "Dva goluba", "Kod Mike", "Kod Jovana",
];

const STREETS: readonly string[] = [
  "Vidovdanska", "Kosovska", "Cara Lazara", "Majke Jugovića", "Nemanjina", "Karađorđeva", "Kneza Miloša",
  "Vuka Karadžića", "Njegoševa", "Svetog Save", "Cara Dušana", "Vojvode Putnika", "Balkanska", "Jug Bogdanova",
  "Kralja Petra I", "Miloša Obilića", "Ćirila i Metodija", "Dositejeva", "Topličina", "Beogradska",
];

/** The businesses of the demo set, the same on every call. */
export function demoBusinesses(count: number = DEMO_BUSINESS_COUNT): DemoBusiness[] {
  const random = mulberry32(0x4b525553); // "KRUS"
  const names = new Set<string>();
  const registryNumbers = new Set<string>();
  const totalActivityWeight = ACTIVITIES.reduce((sum, activity) => sum + activity.weight, 0);
  // More businesses where more people live, and the centre twice as busy again.
  const districtWeight = (district: DistrictSeed) => district.population * (district.id === "centar" ? 2 : 1);
  const totalDistrictWeight = KRUSEVAC_DISTRICTS.reduce((sum, district) => sum + districtWeight(district), 0);

  const businesses: DemoBusiness[] = [];
  for (let index = 0; index < count; index++) {
    const activity = pickWeighted(ACTIVITIES, (item) => item.weight, totalActivityWeight, random);
    const district = pickWeighted(KRUSEVAC_DISTRICTS, districtWeight, totalDistrictWeight, random);

    let name = `${activity.prefix} ${pick(NAME_STEMS, random)}`;
    if (names.has(name)) name = `${name} ${district.nameLatin}`;
    for (let suffix = 2; names.has(name); suffix++) name = `${name.replace(/ \d+$/, "")} ${suffix}`;
    names.add(name);

    // The same draws as before check digits were required, so the rest of the set did not move;
    // the eighth digit is replaced by the check digit, and a body that admits none is drawn again.
    let registryNumber: string;
    do registryNumber = withRegistryCheckDigit(String(Math.floor(random() * 100_000_000)).padStart(8, "0").slice(0, 7));
    while (registryNumber === "" || registryNumbers.has(registryNumber));
    registryNumbers.add(registryNumber);
    const taxBody = `1${registryNumber.slice(0, 7)}`;

    businesses.push({
      id: `business-${String(index + 1).padStart(4, "0")}`,
      name: activity.company ? `${name} d.o.o.` : name,
      registryNumber,
      taxId: `${taxBody}${taxIdCheckDigit(taxBody)}`,
      activity: { code: activity.code, label: activity.label },
      address: { street: pick(STREETS, random), number: String(1 + Math.floor(random() * 120)), city: "Kruševac" },
      location: { type: "Point", coordinates: pointInside(district, random) },
      contacts: { phone: `+381 37 ${String(400_000 + index * 37).slice(0, 3)} ${String(1000 + index).slice(-3)}` },
      openingHours: activity.hours,
      districtId: district.id,
    });
  }
  return businesses;
}

/** The 8-digit MB of a 7-digit body, or "" when the body admits no check digit. */
function withRegistryCheckDigit(body: string): string {
  const check = registryNumberCheckDigit(body);
  return check === undefined ? "" : `${body}${check}`;
}

/** A random point well inside the district (away from its edges, where districts meet). */
function pointInside(district: DistrictSeed, random: () => number): Position {
  const box = boundingBox(district.boundary);
  // About 80 m at this latitude: keeps points clear of neighbouring districts' shared edges.
  const margin = 0.001;
  for (;;) {
    const point: Position = [
      round(box.west + margin + random() * (box.east - box.west - 2 * margin)),
      round(box.south + margin + random() * (box.north - box.south - 2 * margin)),
    ];
    const shifted = (dx: number, dy: number): Position => [point[0] + dx, point[1] + dy];
    const clearOfEdges = [shifted(margin, 0), shifted(-margin, 0), shifted(0, margin), shifted(0, -margin)].every((nearby) =>
      isPointInMultiPolygon(nearby, district.boundary),
    );
    if (clearOfEdges) return point;
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function pickWeighted<T>(items: readonly T[], weight: (item: T) => number, total: number, random: () => number): T {
  let remaining = random() * total;
  for (const item of items) {
    remaining -= weight(item);
    if (remaining < 0) return item;
  }
  return items[items.length - 1]!;
}

/** A small deterministic PRNG (mulberry32): the demo set must not change between runs. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
