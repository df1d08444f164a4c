import { GeoMultiPolygon } from "@situation/subgraph-kit";
import { Directive, Field, ID, ObjectType, registerEnumType } from "type-graphql";
import type { ServicesContext } from "../context.js";
import type { MultiPolygonGeometry } from "../outage/outage.model.js";

/** What a provider supplies; outages carry the same kind so clients can filter them without a join. */
export enum ServiceKind {
  WATER = "water",
  HEATING = "heating",
  ELECTRICITY = "electricity",
  WASTE = "waste",
  TRANSPORT = "transport",
}

registerEnumType(ServiceKind, {
  name: "ServiceKind",
  description: "The public service a provider supplies and an outage interrupts",
});

export const SERVICE_KINDS: readonly ServiceKind[] = Object.values(ServiceKind);

/** A named point of contact of a provider, e.g. its 24-hour dispatch; it has a phone, an e-mail or both. */
export interface ProviderContact {
  label: string;
  phone: string | null;
  email: string | null;
}

/** A provider as stored in the `providers` collection of the `services` database. */
export interface ProviderDocument {
  _id: string;
  name: string;
  kind: ServiceKind;
  phone: string | null;
  email: string | null;
  website: string | null;
  /** Absent on providers stored before contacts existed. */
  contacts?: ProviderContact[];
  /** Where it supplies its service; absent when not given (a 2dsphere index skips such providers). */
  serviceArea?: MultiPolygonGeometry;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType("ProviderContact", { description: "A named point of contact of a provider" })
export class ProviderContactType {
  @Field(() => String, { description: 'What the contact is for, e.g. "Дежурна служба"' })
  label!: string;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;
}

@ObjectType({ description: "A utility or public enterprise that supplies a public service" })
@Directive('@key(fields: "id")')
export class Provider {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Official name, in Serbian Cyrillic" })
  name!: string;

  @Field(() => ServiceKind)
  kind!: ServiceKind;

  @Field(() => String, { nullable: true, description: "Public contact telephone" })
  phone!: string | null;

  @Field(() => String, { nullable: true, description: "Public contact e-mail" })
  email!: string | null;

  @Field(() => String, { nullable: true })
  website!: string | null;

  @Field(() => [ProviderContactType], { description: "Named points of contact besides the public phone and e-mail" })
  contacts!: ProviderContact[];

  @Field(() => GeoMultiPolygon, { nullable: true, description: "Where the provider supplies its service; null when not given" })
  serviceArea!: MultiPolygonGeometry | null;

  /** How the gateway finds a provider that another subgraph (city's requests and SLAs) refers to. */
  static async resolveReference(reference: { id?: unknown }, context: ServicesContext): Promise<Provider | null> {
    return typeof reference.id === "string" ? context.providers.findById(reference.id) : null;
  }
}

export function toProvider(document: ProviderDocument): Provider {
  return {
    id: document._id,
    name: document.name,
    kind: document.kind,
    phone: document.phone,
    email: document.email,
    website: document.website,
    contacts: document.contacts ?? [],
    serviceArea: document.serviceArea ?? null,
  };
}
