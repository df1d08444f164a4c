import { UserInputError } from "@situation/platform";
import type { Collection, Db } from "mongodb";
import type { DistrictRepository } from "../district/district.repository.js";
import {
  ASSIGNEE_KINDS,
  REQUEST_FIELDS,
  type Assignee,
  type RequestField,
  type RoutingRule,
  type ServiceCategoryDocument,
} from "./service-catalog.model.js";

export const SERVICE_CATEGORIES_COLLECTION = "serviceCategories";

/** A category as staff submit it; checked field by field before anything is written. */
export interface ServiceCategoryUpsert {
  code: string;
  nameCyrillic: string;
  nameLatin: string;
  responsible: Assignee;
  slaFirstResponseHours: number;
  slaResolutionHours: number;
  requiredFields?: readonly string[] | null;
  routingRules?: readonly RoutingRule[] | null;
  active?: boolean | null;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 120;
const MAX_ID_LENGTH = 100;
/** A year: longer promises are not a service level. */
const MAX_SLA_HOURS = 24 * 365;

/** The only code that reads and writes the `serviceCategories` collection. */
export class ServiceCategoryRepository {
  readonly collection: Collection<ServiceCategoryDocument>;

  constructor(
    db: Db,
    private readonly districts: Pick<DistrictRepository, "findById">,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<ServiceCategoryDocument>(SERVICE_CATEGORIES_COLLECTION);
  }

  /** The code is the `_id`, so MongoDB's own index keeps codes unique; nothing else is queried. */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ active: 1, _id: 1 }, { name: "active_id" });
  }

  async findAll(options: { includeInactive?: boolean } = {}): Promise<ServiceCategoryDocument[]> {
    return this.collection
      .find(options.includeInactive ? {} : { active: true })
      .sort({ _id: 1 })
      .toArray();
  }

  async findByCode(code: string): Promise<ServiceCategoryDocument | undefined> {
    return (await this.collection.findOne({ _id: code })) ?? undefined;
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** Creates or replaces a category by code; every field is checked first, so bad input writes nothing. */
  async upsert(input: ServiceCategoryUpsert): Promise<ServiceCategoryDocument> {
    const document = await this.check(input);
    await this.collection.replaceOne({ _id: document._id }, document, { upsert: true });
    return document;
  }

  /** Writes many categories (the seed); all are checked before the first is written. */
  async upsertMany(inputs: readonly ServiceCategoryUpsert[]): Promise<void> {
    const documents: ServiceCategoryDocument[] = [];
    for (const input of inputs) documents.push(await this.check(input));
    if (documents.length === 0) return;
    await this.collection.bulkWrite(
      documents.map((document) => ({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } })),
      { ordered: false },
    );
  }

  private async check(input: ServiceCategoryUpsert): Promise<ServiceCategoryDocument> {
    const code = typeof input.code === "string" ? input.code.trim() : "";
    if (!SLUG.test(code) || code.length > MAX_ID_LENGTH) {
      throw new UserInputError(`code: ${JSON.stringify(input.code)} is not a slug (lower-case letters and digits, hyphenated)`, {
        field: "code",
      });
    }
    const name = (field: "nameCyrillic" | "nameLatin"): string => {
      const value = typeof input[field] === "string" ? input[field].trim() : "";
      if (value === "" || value.length > MAX_NAME_LENGTH) {
        throw new UserInputError(`${field} must be 1 to ${MAX_NAME_LENGTH} characters`, { field });
      }
      return value;
    };
    const hours = (field: "slaFirstResponseHours" | "slaResolutionHours"): number => {
      const value = input[field];
      if (!Number.isSafeInteger(value) || value < 1 || value > MAX_SLA_HOURS) {
        throw new UserInputError(`${field} must be a whole number of hours from 1 to ${MAX_SLA_HOURS}`, { field });
      }
      return value;
    };
    const nameCyrillic = name("nameCyrillic");
    const nameLatin = name("nameLatin");
    const responsible = checkAssignee(input.responsible, "responsible");
    const slaFirstResponseHours = hours("slaFirstResponseHours");
    const slaResolutionHours = hours("slaResolutionHours");
    if (slaFirstResponseHours > slaResolutionHours) {
      throw new UserInputError("slaFirstResponseHours must not exceed slaResolutionHours", { field: "slaFirstResponseHours" });
    }
    const requiredFields: RequestField[] = [];
    for (const field of input.requiredFields ?? []) {
      if (!(REQUEST_FIELDS as readonly string[]).includes(field)) {
        throw new UserInputError(`requiredFields: ${JSON.stringify(field)} is not one of ${REQUEST_FIELDS.join(", ")}`, {
          field: "requiredFields",
        });
      }
      if (!requiredFields.includes(field as RequestField)) requiredFields.push(field as RequestField);
    }
    const routingRules: RoutingRule[] = [];
    for (const [index, rule] of (input.routingRules ?? []).entries()) {
      const field = `routingRules[${index}]`;
      const districtId = typeof rule?.districtId === "string" ? rule.districtId.trim() : "";
      if (districtId === "" || (await this.districts.findById(districtId)) === null) {
        throw new UserInputError(`${field}.districtId: ${JSON.stringify(rule?.districtId)} is not a district`, {
          field: `${field}.districtId`,
        });
      }
      if (routingRules.some((existing) => existing.districtId === districtId)) {
        throw new UserInputError(`${field}.districtId: a rule for ${districtId} is already given`, { field: `${field}.districtId` });
      }
      routingRules.push({ districtId, responsible: checkAssignee(rule.responsible, `${field}.responsible`) });
    }
    if (input.active !== undefined && input.active !== null && typeof input.active !== "boolean") {
      throw new UserInputError("active must be true or false", { field: "active" });
    }
    return {
      _id: code,
      nameCyrillic,
      nameLatin,
      responsible,
      slaFirstResponseHours,
      slaResolutionHours,
      requiredFields,
      routingRules,
      active: input.active ?? true,
      updatedAt: this.now(),
    };
  }
}

/** A clean copy of an assignee, or a UserInputError naming `field`. */
export function checkAssignee(value: unknown, field: string): Assignee {
  const candidate = (typeof value === "object" && value !== null ? value : {}) as Partial<Assignee>;
  if (!ASSIGNEE_KINDS.includes(candidate.kind as Assignee["kind"])) {
    throw new UserInputError(`${field}.kind must be one of ${ASSIGNEE_KINDS.join(", ")}`, { field: `${field}.kind` });
  }
  const id = typeof candidate.id === "string" ? candidate.id.trim() : "";
  if (!SLUG.test(id) || id.length > MAX_ID_LENGTH) {
    throw new UserInputError(`${field}.id: ${JSON.stringify(candidate.id)} is not a provider or department id`, {
      field: `${field}.id`,
    });
  }
  return { kind: candidate.kind as Assignee["kind"], id };
}
