/**
 * Creating and changing providers: admins create them and may change anything; a provider's own key
 * may change its contacts and service area. Every field is checked before anything is written, and a
 * provider is one document, so a rejected write leaves nothing behind.
 */
import { ConflictError, ForbiddenError, hasRole, NotFoundError, UserInputError, type Identity } from "@situation/platform";
import type { CityArea } from "../outage/city-area.js";
import { checkArea, type Problem } from "../outage/outage-push.js";
import type { ProviderContactInput, ProviderCreateInput, ProviderUpdateInput } from "./provider.input.js";
import type { Provider, ProviderContact, ProviderDocument } from "./provider.model.js";
import type { ProviderChange, ProviderRepository } from "./provider.repository.js";

export interface ProviderWriteDependencies {
  identity: Identity;
  providers: ProviderRepository;
  city: CityArea;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_ID = 100;
const MAX_NAME = 200;
const MAX_LABEL = 100;
const MAX_CONTACTS = 20;
// Digits with the usual separators, optionally international: "+381 37 123-456", "(037) 123 456".
const PHONE = /^\+?[0-9][0-9 ()/.-]{2,29}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL = 254;
const MAX_URL = 500;

/** The fields a provider's own key may change; the rest (name, kind) are the city's to set. */
const SELF_SERVICE_FIELDS = new Set<keyof ProviderUpdateInput>(["phone", "email", "website", "contacts", "serviceArea"]);

export async function createProvider(deps: ProviderWriteDependencies, input: ProviderCreateInput): Promise<Provider> {
  const problems: Problem[] = [];
  const id = input.id.trim();
  if (!SLUG.test(id) || id.length > MAX_ID) {
    problems.push({ field: "id", message: `must be a lower-case slug (letters, digits, hyphens) of at most ${MAX_ID} characters` });
  }
  const name = checkName(input.name, problems);
  const phone = checkPhone(input.phone, "phone", problems);
  const email = checkEmail(input.email, "email", problems);
  const website = checkWebsite(input.website, problems);
  const contacts = checkContacts(input.contacts, problems);
  const serviceArea = input.serviceArea == null ? undefined : checkArea(input.serviceArea, "serviceArea", deps.city, problems);
  throwFirst(problems);
  if (await deps.providers.findById(id)) {
    throw new UserInputError(`id: a provider ${JSON.stringify(id)} already exists`, { field: "id" });
  }
  const document: Omit<ProviderDocument, "createdAt" | "updatedAt"> = {
    _id: id,
    name,
    kind: input.kind,
    phone,
    email,
    website,
    contacts,
    ...(serviceArea ? { serviceArea } : {}),
  };
  try {
    return await deps.providers.insert(document);
  } catch (error) {
    if (isDuplicateKey(error)) throw new ConflictError(`id: provider ${JSON.stringify(id)} was created concurrently`, { cause: error });
    throw error;
  }
}

export async function updateProvider(deps: ProviderWriteDependencies, rawId: string, input: ProviderUpdateInput): Promise<Provider> {
  const id = rawId.trim();
  const { identity } = deps;
  if (!hasRole(identity, "admin")) {
    if (!(identity.roles.includes("provider") && identity.providerId === id)) {
      throw new ForbiddenError(`not allowed to change provider ${id}`);
    }
    const field = (Object.keys(input) as (keyof ProviderUpdateInput)[]).find(
      (key) => input[key] !== undefined && !SELF_SERVICE_FIELDS.has(key),
    );
    if (field) throw new ForbiddenError(`${field}: only an admin may change a provider's ${field}`, { details: { field } });
  }
  const problems: Problem[] = [];
  const change: ProviderChange = { set: {}, unset: [] };
  if (input.name !== undefined) {
    if (input.name === null) problems.push({ field: "name", message: "must not be empty" });
    else change.set.name = checkName(input.name, problems);
  }
  if (input.kind != null) change.set.kind = input.kind;
  else if (input.kind === null) problems.push({ field: "kind", message: "must not be null" });
  if (input.phone !== undefined) change.set.phone = checkPhone(input.phone, "phone", problems);
  if (input.email !== undefined) change.set.email = checkEmail(input.email, "email", problems);
  if (input.website !== undefined) change.set.website = checkWebsite(input.website, problems);
  if (input.contacts !== undefined) change.set.contacts = checkContacts(input.contacts, problems);
  if (input.serviceArea === null) change.unset.push("serviceArea");
  else if (input.serviceArea !== undefined) change.set.serviceArea = checkArea(input.serviceArea, "serviceArea", deps.city, problems);
  throwFirst(problems);
  const updated = await deps.providers.update(id, change);
  if (!updated) throw new NotFoundError(`no provider ${JSON.stringify(id)}`);
  return updated;
}

/** A point for `providersServing`, checked against its argument names. */
export function checkPoint(longitude: number, latitude: number): { type: "Point"; coordinates: [number, number] } {
  if (!(longitude >= -180 && longitude <= 180)) throw new UserInputError("longitude must be within -180…180", { field: "longitude" });
  if (!(latitude >= -90 && latitude <= 90)) throw new UserInputError("latitude must be within -90…90", { field: "latitude" });
  return { type: "Point", coordinates: [longitude, latitude] };
}

function checkName(value: string, problems: Problem[]): string {
  const name = value.trim().replace(/\s+/g, " ");
  if (name === "" || name.length > MAX_NAME) problems.push({ field: "name", message: `must be 1 to ${MAX_NAME} characters` });
  return name;
}

/** An empty or blank value means "none". */
function optional(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

function checkPhone(value: string | null | undefined, field: string, problems: Problem[]): string | null {
  const phone = optional(value);
  if (phone !== null && !PHONE.test(phone)) {
    problems.push({ field, message: "must be a telephone number: digits, spaces, ( ) / . - and an optional leading +" });
  }
  return phone;
}

function checkEmail(value: string | null | undefined, field: string, problems: Problem[]): string | null {
  const email = optional(value);
  if (email !== null && (!EMAIL.test(email) || email.length > MAX_EMAIL)) problems.push({ field, message: "must be an e-mail address" });
  return email;
}

function checkWebsite(value: string | null | undefined, problems: Problem[]): string | null {
  const website = optional(value);
  if (website === null) return null;
  let url: URL | undefined;
  try {
    url = new URL(website);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || website.length > MAX_URL) {
    problems.push({ field: "website", message: `must be an http(s) URL of at most ${MAX_URL} characters` });
  }
  return website;
}

function checkContacts(value: readonly ProviderContactInput[] | null | undefined, problems: Problem[]): ProviderContact[] {
  const contacts = value ?? [];
  if (contacts.length > MAX_CONTACTS) problems.push({ field: "contacts", message: `at most ${MAX_CONTACTS} contacts` });
  return contacts.map((contact, index) => {
    const field = `contacts[${index}]`;
    const label = contact.label.trim().replace(/\s+/g, " ");
    if (label === "" || label.length > MAX_LABEL) problems.push({ field: `${field}.label`, message: `must be 1 to ${MAX_LABEL} characters` });
    const phone = checkPhone(contact.phone, `${field}.phone`, problems);
    const email = checkEmail(contact.email, `${field}.email`, problems);
    if (phone === null && email === null) problems.push({ field, message: "needs a phone, an e-mail or both" });
    return { label, phone, email };
  });
}

function throwFirst(problems: readonly Problem[]): void {
  const first = problems[0];
  if (first) throw new UserInputError(`${first.field}: ${first.message}`, { field: first.field });
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}
