/** The GraphQL inputs of business registration, update and search. Checked in the repository, not here. */
import { ArgsType, Field, Float, ID, InputType } from "type-graphql";
import { BusinessPageArgs } from "./business.model.js";

@InputType({ description: "A KD 2010 class and its name" })
export class BusinessActivityInput {
  @Field(() => String, { description: 'e.g. "47.73"' })
  code!: string;

  @Field(() => String)
  label!: string;
}

@InputType()
export class AddressInput {
  @Field(() => String)
  street!: string;

  @Field(() => String, { description: 'As written, e.g. "12a" or "bb"' })
  number!: string;

  @Field(() => String)
  city!: string;
}

@InputType({ description: "A point in WGS 84 degrees" })
export class LocationInput {
  @Field(() => Float)
  longitude!: number;

  @Field(() => Float)
  latitude!: number;
}

@InputType({ description: "How to reach a business; null or empty leaves a part out" })
export class BusinessContactsInput {
  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "An http(s) address" })
  website?: string | null;
}

@InputType({ description: "A business as city staff register it" })
export class RegisterBusinessInput {
  @Field(() => String, { description: "Registered (legal) name" })
  name!: string;

  @Field(() => String, { nullable: true })
  tradingName?: string | null;

  @Field(() => String, { description: "Matični broj: 8 digits, the last a check digit" })
  registryNumber!: string;

  @Field(() => String, { description: "PIB: 9 digits, the last an ISO 7064 MOD 11,10 check digit" })
  taxId!: string;

  @Field(() => BusinessActivityInput)
  activity!: BusinessActivityInput;

  @Field(() => AddressInput)
  address!: AddressInput;

  @Field(() => LocationInput)
  location!: LocationInput;

  @Field(() => BusinessContactsInput, { nullable: true })
  contacts?: BusinessContactsInput | null;

  @Field(() => String, { nullable: true, description: 'Weekly hours, e.g. "Mon-Fri 08:00-20:00; Sat 08:00-14:00; Sun closed"' })
  openingHours?: string | null;
}

@InputType({
  description:
    "Changes to a business; omitted fields stay as they are, null clears an optional one. A business may change " +
    "tradingName, contacts and openingHours; the registry fields are city staff's.",
})
export class UpdateBusinessInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  tradingName?: string | null;

  @Field(() => String, { nullable: true })
  taxId?: string | null;

  @Field(() => BusinessActivityInput, { nullable: true })
  activity?: BusinessActivityInput | null;

  @Field(() => AddressInput, { nullable: true })
  address?: AddressInput | null;

  @Field(() => LocationInput, { nullable: true })
  location?: LocationInput | null;

  @Field(() => BusinessContactsInput, { nullable: true, description: "Replaces all contacts" })
  contacts?: BusinessContactsInput | null;

  @Field(() => String, { nullable: true })
  openingHours?: string | null;
}

@InputType({ description: "A circle: a point and a radius" })
export class NearInput {
  @Field(() => Float)
  longitude!: number;

  @Field(() => Float)
  latitude!: number;

  @Field(() => Float, { description: "In metres, up to 50 000" })
  radiusMeters!: number;
}

@ArgsType()
export class BusinessSearchArgs extends BusinessPageArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Words in Latin or Cyrillic, diacritics optional; each must begin a word of the name or trading name ("krus" finds "Крушевац")',
  })
  query?: string | null;

  @Field(() => String, { nullable: true, description: 'A KD 2010 class, e.g. "47.73"' })
  activityCode?: string | null;

  @Field(() => ID, { nullable: true, description: "Only businesses inside this district" })
  districtId?: string | null;

  @Field(() => NearInput, { nullable: true, description: "Only businesses within this circle" })
  near?: NearInput | null;
}
