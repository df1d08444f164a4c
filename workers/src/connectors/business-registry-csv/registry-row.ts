/**
 * The business registry's CSV export (APR, Agencija za privredne registre): which column is which,
 * and one row read into a RegistryRecord. Headers are matched in either script and without
 * diacritics ("Матични број" = "Maticni broj"), so the Cyrillic and the Latin export both read.
 */
import type { BusinessRegistryCsvOptions, BusinessRegistryField } from "@situation/city-subgraph";
import { normaliseForSearch, registryNumberProblem, taxIdProblem, type RegistryRecord } from "@situation/business-subgraph";

/** The header names of the APR export (and common variants), in their search form. */
export const DEFAULT_REGISTRY_HEADERS: Readonly<Record<BusinessRegistryField, readonly string[]>> = Object.freeze({
  registryNumber: ["maticni broj", "mb", "maticni broj privrednog subjekta"],
  taxId: ["pib", "poreski identifikacioni broj"],
  name: ["poslovno ime", "naziv", "puno poslovno ime"],
  shortName: ["skraceno poslovno ime", "skraceno ime"],
  activityCode: ["sifra delatnosti", "sifra pretezne delatnosti"],
  activityName: ["naziv delatnosti", "pretezna delatnost", "delatnost"],
  address: ["adresa", "adresa sedista", "ulica i broj"],
  city: ["mesto", "sediste", "opstina", "mesto sedista"],
  status: ["status", "status privrednog subjekta"],
});

const REQUIRED: readonly BusinessRegistryField[] = ["registryNumber", "taxId", "name", "activityCode", "address", "city"];

export type ColumnIndexes = Partial<Record<BusinessRegistryField, number>>;

/** Where each field is in the header; the required ones missing are the format's problem. */
export function locateColumns(header: readonly string[], configured: BusinessRegistryCsvOptions["columns"]): { columns: ColumnIndexes; missing: string[] } {
  const normalised = header.map((name) => normaliseForSearch(name));
  const columns: ColumnIndexes = {};
  const missing: string[] = [];
  const fields = Object.keys(DEFAULT_REGISTRY_HEADERS) as BusinessRegistryField[];
  // Configured names first, so that a column they claim is not also taken by another field's default name.
  const claimed = new Set<number>();
  for (const field of [...fields.filter((name) => configured[name] !== undefined), ...fields.filter((name) => configured[name] === undefined)]) {
    const names = configured[field] !== undefined ? [normaliseForSearch(configured[field])] : DEFAULT_REGISTRY_HEADERS[field];
    const index = normalised.findIndex((name, at) => !claimed.has(at) && names.includes(name));
    if (index >= 0) {
      columns[field] = index;
      claimed.add(index);
    } else if (REQUIRED.includes(field)) missing.push(configured[field] ?? field);
  }
  return { columns, missing };
}

export type RowOutcome =
  | { kind: "record"; record: RegistryRecord }
  | { kind: "struck-off" }
  | { kind: "reject"; field: BusinessRegistryField; reason: string };

const STRUCK_OFF = /^(obrisan|izbrisan|brisan)/;
const ACTIVITY = /^(\d{2})\.?(\d{1,2})$/;
const HOUSE_NUMBER = /^(.*?\S)[\s,]+(\d+[\p{L}]?(?:[/-]\d*[\p{L}]?)?|bb|бб|BB|ББ)$/u;

/** Reads one data row; the first problem names its field. */
export function readRegistryRow(cells: readonly string[], columns: ColumnIndexes): RowOutcome {
  const cell = (field: BusinessRegistryField) => {
    const index = columns[field];
    return index === undefined ? "" : (cells[index] ?? "").replace(/\s+/g, " ").trim();
  };
  const status = normaliseForSearch(cell("status"));
  if (STRUCK_OFF.test(status)) return { kind: "struck-off" };

  // Spreadsheets drop leading zeros; the check digit still guards what the padding gives.
  const registryNumber = padDigits(cell("registryNumber"), 8);
  const registryProblem = registryNumberProblem(registryNumber);
  if (registryProblem !== undefined) return { kind: "reject", field: "registryNumber", reason: registryProblem };
  const taxId = padDigits(cell("taxId"), 9);
  const taxProblem = taxIdProblem(taxId);
  if (taxProblem !== undefined) return { kind: "reject", field: "taxId", reason: taxProblem };
  const name = cell("name");
  if (name === "") return { kind: "reject", field: "name", reason: "must not be empty" };
  if (name.length > 500) return { kind: "reject", field: "name", reason: "must be at most 500 characters" };
  const shortName = cell("shortName");
  const activity = ACTIVITY.exec(cell("activityCode"));
  if (!activity) return { kind: "reject", field: "activityCode", reason: `must be a KD 2010 class such as 4773 or 47.73, not ${JSON.stringify(cell("activityCode"))}` };
  const code = `${activity[1]}.${activity[2]}`;
  const addressText = cell("address");
  if (addressText === "") return { kind: "reject", field: "address", reason: "must not be empty" };
  const city = cell("city");
  if (city === "") return { kind: "reject", field: "city", reason: "must not be empty" };
  const split = HOUSE_NUMBER.exec(addressText);
  return {
    kind: "record",
    record: {
      registryNumber,
      taxId,
      name,
      shortName: shortName === "" || shortName === name ? null : shortName.slice(0, 500),
      activity: { code, label: cell("activityName") || code },
      // "bb" (bez broja) is how Serbian addresses write "no number".
      address: split ? { street: split[1]!, number: /^(bb|бб)$/i.test(split[2]!) ? "bb" : split[2]!, city } : { street: addressText, number: "bb", city },
    },
  };
}

function padDigits(value: string, length: number): string {
  return /^\d{1,}$/.test(value) && value.length < length ? value.padStart(length, "0") : value;
}
