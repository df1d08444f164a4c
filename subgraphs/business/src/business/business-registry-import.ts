/**
 * The business registry import's write path (the workers' business-registry-csv connector): upserts
 * businesses keyed by registry number (matični broj) through BusinessRepository.upsertMany, writing
 * only those whose registry fields changed, so that re-importing an unchanged export writes nothing.
 */
import { ConflictError, UserInputError } from "@situation/platform";
import type { BusinessDocument } from "./business.model.js";
import type { BusinessInput, BusinessRepository } from "./business.repository.js";

/** A business as the registry lists it: its legal identity, activity and seat, never its contacts or location. */
export interface RegistryRecord {
  registryNumber: string;
  taxId: string;
  name: string;
  /** The registered short name, when there is one; it becomes the trading name. */
  shortName: string | null;
  activity: { code: string; label: string };
  address: { street: string; number: string; city: string };
}

export interface RegistryImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records the repository refused, naming the field (as BusinessInput names it). */
  refused: { registryNumber: string; field: string; reason: string }[];
}

/** The id a business first known from the registry gets. */
export function registryBusinessId(registryNumber: string): string {
  return `mb-${registryNumber}`;
}

/**
 * Upserts a batch of registry records. A business already known (by registry number, whatever its
 * id) keeps its id, location, contacts and opening hours; one not known yet is created at
 * `newLocation` (the registry has no coordinates). A record the repository refuses is reported on
 * its field and the rest of the batch is still written.
 */
export async function importRegistryRecords(
  repository: BusinessRepository,
  records: readonly RegistryRecord[],
  newLocation: { type: "Point"; coordinates: [number, number] },
): Promise<RegistryImportResult> {
  const result: RegistryImportResult = { inserted: 0, updated: 0, unchanged: 0, refused: [] };
  if (records.length === 0) return result;
  const known = new Map<string, BusinessDocument>();
  const stored = await repository.collection
    .find({ registryNumber: { $in: records.map((record) => record.registryNumber) } }, { projection: { searchKeys: 0 } })
    .toArray();
  for (const document of stored) known.set(document.registryNumber, document);

  const writes: { input: BusinessInput; isNew: boolean }[] = [];
  for (const record of records) {
    const current = known.get(record.registryNumber);
    if (current && sameRegistryFields(current, record)) {
      result.unchanged += 1;
      continue;
    }
    writes.push({
      isNew: !current,
      input: {
        id: current?._id ?? registryBusinessId(record.registryNumber),
        name: record.name,
        // Null keeps a trading name the business chose itself.
        tradingName: record.shortName,
        registryNumber: record.registryNumber,
        taxId: record.taxId,
        activity: record.activity,
        address: record.address,
        location: current?.location ?? newLocation,
      },
    });
  }
  if (writes.length === 0) return result;
  try {
    await repository.upsertMany(writes.map(({ input }) => input));
    for (const { isNew } of writes) result[isNew ? "inserted" : "updated"] += 1;
  } catch (error) {
    if (!(error instanceof UserInputError || error instanceof ConflictError)) throw error;
    // upsertMany checks the whole batch before writing: find the records at fault one by one.
    for (const { input, isNew } of writes) {
      try {
        await repository.upsertMany([input]);
        result[isNew ? "inserted" : "updated"] += 1;
      } catch (single) {
        if (single instanceof UserInputError) result.refused.push({ registryNumber: input.registryNumber, field: single.field, reason: single.message });
        else if (single instanceof ConflictError) result.refused.push({ registryNumber: input.registryNumber, field: "registryNumber", reason: single.message });
        else throw single;
      }
    }
  }
  return result;
}

function sameRegistryFields(document: BusinessDocument, record: RegistryRecord): boolean {
  return (
    document.name === record.name &&
    (record.shortName === null || document.tradingName === record.shortName) &&
    document.taxId === record.taxId &&
    document.activity.code === record.activity.code &&
    document.activity.label === record.activity.label &&
    document.address.street === record.address.street &&
    document.address.number === record.address.number &&
    document.address.city === record.address.city
  );
}
