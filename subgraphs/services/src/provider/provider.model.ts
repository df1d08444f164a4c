import { Directive, Field, ID, ObjectType, registerEnumType } from "type-graphql";
import type { ServicesContext } from "../context.js";

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

/** A provider as stored in the `providers` collection of the `services` database. */
export interface ProviderDocument {
  _id: string;
  name: string;
  kind: ServiceKind;
  phone: string | null;
  email: string | null;
  website: string | null;
  createdAt: Date;
  updatedAt: Date;
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
  };
}
