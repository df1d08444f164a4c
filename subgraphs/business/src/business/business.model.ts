import type { PointGeometry } from "@situation/city-subgraph/seed-data";
import { GeoPoint } from "@situation/subgraph-kit";
import { ArgsType, Directive, Field, ID, Int, ObjectType } from "type-graphql";
import type { BusinessContext } from "../context.js";
import type { OpeningHoursValue, OpeningPeriod as OpeningPeriodValue } from "../registry/opening-hours.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./business-page-limits.js";

export interface BusinessActivityValue {
  /** Class of the Serbian classification of activities (KD 2010, which follows NACE Rev. 2), e.g. "47.73". */
  code: string;
  label: string;
}

export interface AddressValue {
  street: string;
  /** House number as written, e.g. "12a" or "bb" (bez broja, no number). */
  number: string;
  city: string;
}

export interface ContactsValue {
  phone?: string;
  email?: string;
  website?: string;
}

/** A business as stored in the `businesses` collection of the `business` database. */
export interface BusinessDocument {
  _id: string;
  /** Registered (legal) name. */
  name: string;
  /** The name over the door, when it differs from the registered one. */
  tradingName?: string;
  /** Matični broj: the 8-digit number of the Serbian business registry, check digit valid; unique. */
  registryNumber: string;
  /** PIB: the 9-digit tax id, check digit valid. */
  taxId: string;
  activity: BusinessActivityValue;
  address: AddressValue;
  location: PointGeometry;
  contacts: ContactsValue;
  openingHours?: OpeningHoursValue;
  /** Every prefix of every word of name and trading name, normalised (see registry/search-key.ts); multikey-indexed. */
  searchKeys: string[];
  /** The platform API key the business currently holds (its id in `platform.apiKeys`), if one was issued. */
  apiKeyId?: string;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType({ description: "A registered activity: its class code in the Serbian classification (KD 2010) and its name" })
export class BusinessActivity {
  @Field(() => String, { description: 'Class code, e.g. "47.73"' })
  code!: string;

  @Field(() => String, { description: "Name of the class, in Serbian" })
  label!: string;
}

// Shared by design (DESIGN §4): other subgraphs may return addresses of the same shape.
@ObjectType({ description: "A postal address" })
@Directive("@shareable")
export class Address {
  @Field(() => String)
  street!: string;

  @Field(() => String, { description: 'House number as written, e.g. "12a" or "bb"' })
  number!: string;

  @Field(() => String)
  city!: string;
}

@ObjectType({ description: "How to reach a business; each part only if the business gave it" })
export class BusinessContacts {
  @Field(() => String, { nullable: true })
  phone?: string | undefined;

  @Field(() => String, { nullable: true })
  email?: string | undefined;

  @Field(() => String, { nullable: true })
  website?: string | undefined;
}

@ObjectType({ description: "One open period of a day of the week" })
export class OpeningPeriod {
  @Field(() => String, { description: "Mon, Tue, Wed, Thu, Fri, Sat or Sun" })
  day!: OpeningPeriodValue["day"];

  @Field(() => String, { description: '"HH:MM"' })
  opens!: string;

  @Field(() => String, { description: '"HH:MM", after opens; "24:00" is the end of the day' })
  closes!: string;
}

@ObjectType({ description: "Weekly opening hours" })
export class OpeningHours {
  @Field(() => String, { description: 'As written, canonically: e.g. "Mon-Fri 08:00-20:00; Sat 08:00-14:00"' })
  text!: string;

  @Field(() => [OpeningPeriod], { description: "Every open period, by day and time; days not listed are closed" })
  periods!: OpeningPeriodValue[];
}

// The registry fields below are public data (the business registry publishes them), so no
// @Authorized: operational data added later carries its roles and an ownership check on businessId.
@ObjectType({ description: "A business registered in the city" })
@Directive('@key(fields: "id")')
export class Business {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Registered name" })
  name!: string;

  @Field(() => String, { nullable: true, description: "The name over the door, when it differs from the registered one" })
  tradingName!: string | null;

  @Field(() => String, { description: "Matični broj: the 8-digit registry number (its last digit a check digit)" })
  registryNumber!: string;

  @Field(() => String, { description: "PIB: the 9-digit tax id" })
  taxId!: string;

  @Field(() => BusinessActivity, { description: "Main registered activity" })
  activity!: BusinessActivityValue;

  @Field(() => Address)
  address!: AddressValue;

  @Field(() => GeoPoint)
  location!: PointGeometry;

  @Field(() => BusinessContacts)
  contacts!: ContactsValue;

  @Field(() => OpeningHours, { nullable: true, description: "Null if the business has not given them" })
  openingHours!: OpeningHoursValue | null;

  /** How the gateway's `_entities` finds a business that another subgraph refers to by id. */
  static resolveReference(reference: { id?: unknown }, context: BusinessContext): Promise<Business | null> {
    return typeof reference.id === "string" ? context.businesses.findById(reference.id) : Promise.resolve(null);
  }
}

@ObjectType({ description: "A business and the cursor that points at it" })
export class BusinessEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Business)
  node!: Business;
}

// Named for businesses rather than a shared `PageInfo`: a same-named value type in two subgraphs must
// be declared @shareable in both, and the kit does not offer one yet.
@ObjectType()
export class BusinessPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "Pass as `after` to get the next page; null on an empty page" })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of businesses, by id" })
export class BusinessConnection {
  @Field(() => [BusinessEdge])
  edges!: BusinessEdge[];

  @Field(() => [Business])
  nodes!: Business[];

  @Field(() => BusinessPageInfo)
  pageInfo!: BusinessPageInfo;

  // Null only when the client did not select it (the resolvers then skip counting), so never sent as null.
  @Field(() => Int, { description: "How many businesses match, on all pages" })
  totalCount!: number | null;
}

export function toBusiness(document: BusinessDocument): Business {
  return {
    id: document._id,
    name: document.name,
    tradingName: document.tradingName ?? null,
    registryNumber: document.registryNumber,
    taxId: document.taxId,
    activity: document.activity,
    address: document.address,
    location: document.location,
    contacts: document.contacts ?? {},
    openingHours: document.openingHours ?? null,
  };
}

@ArgsType()
export class BusinessPageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}` })
  first!: number | null;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page" })
  after!: string | null;
}
