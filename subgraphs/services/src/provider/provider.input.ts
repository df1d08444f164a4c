import { Field, ID, InputType } from "type-graphql";
import { OutageAreaInput } from "../outage/outage.input.js";
import { ServiceKind } from "./provider.model.js";

@InputType({ description: "A named point of contact: a phone, an e-mail or both" })
export class ProviderContactInput {
  @Field(() => String)
  label!: string;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;
}

@InputType({ description: "A new provider (admins only)" })
export class ProviderCreateInput {
  @Field(() => ID, { description: 'Stable lower-case slug, e.g. "jkp-vodovod-krusevac"; it is what API keys and outages name' })
  id!: string;

  @Field(() => String, { description: "Official name, in Serbian Cyrillic" })
  name!: string;

  @Field(() => ServiceKind)
  kind!: ServiceKind;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "An http(s) URL" })
  website?: string | null;

  @Field(() => [ProviderContactInput], { nullable: true })
  contacts?: ProviderContactInput[] | null;

  @Field(() => OutageAreaInput, { nullable: true, description: "Where it supplies its service: valid, not self-intersecting, inside the city" })
  serviceArea?: OutageAreaInput | null;
}

@InputType({
  description:
    "Changes to a provider; fields left out stay as they are, null clears. A provider's own key may change only its contacts (phone, email, website, contacts) and service area; name and kind are for admins",
})
export class ProviderUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => ServiceKind, { nullable: true })
  kind?: ServiceKind | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  website?: string | null;

  @Field(() => [ProviderContactInput], { nullable: true, description: "Replaces the whole list; null or [] clears it" })
  contacts?: ProviderContactInput[] | null;

  @Field(() => OutageAreaInput, { nullable: true, description: "Replaces the service area; null clears it" })
  serviceArea?: OutageAreaInput | null;
}
