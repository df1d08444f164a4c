import type { PointGeometry } from "@situation/city-subgraph/seed-data";
import { GeoPoint } from "@situation/subgraph-kit";
import { ArgsType, Directive, Field, ID, Int, ObjectType } from "type-graphql";
import type { BusinessContext } from "../context.js";
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

/** A business as stored in the `businesses` collection of the `business` database. */
export interface BusinessDocument {
  _id: string;
  name: string;
  /** Matični broj: the 8-digit number of the Serbian business registry; unique. */
  registryNumber: string;
  activity: BusinessActivityValue;
  address: AddressValue;
  location: PointGeometry;
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

// The registry fields below are public data (the business registry publishes them), so no
// @Authorized: operational data added later carries its roles and an ownership check on businessId.
@ObjectType({ description: "A business registered in the city" })
@Directive('@key(fields: "id")')
export class Business {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Registered name" })
  name!: string;

  @Field(() => String, { description: "Matični broj: the 8-digit registry number" })
  registryNumber!: string;

  @Field(() => BusinessActivity, { description: "Main registered activity" })
  activity!: BusinessActivityValue;

  @Field(() => Address)
  address!: AddressValue;

  @Field(() => GeoPoint)
  location!: PointGeometry;

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

  @Field(() => Int, { description: "How many businesses match, on all pages" })
  totalCount!: number;
}

export function toBusiness(document: BusinessDocument): Business {
  return {
    id: document._id,
    name: document.name,
    registryNumber: document.registryNumber,
    activity: document.activity,
    address: document.address,
    location: document.location,
  };
}

@ArgsType()
export class BusinessPageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}` })
  first!: number | null;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page" })
  after!: string | null;
}
