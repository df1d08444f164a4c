import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from "type-graphql";

/** How the citizen reached the contact center; stored as the lower-case value. */
export enum ContactChannel {
  PHONE = "phone",
  EMAIL = "email",
  WALK_IN = "walk-in",
  WEB = "web",
}

registerEnumType(ContactChannel, {
  name: "ContactChannel",
  description: "How the citizen reached the contact center: a call, an e-mail, a visit to the desk, a web chat",
});

/** What came of a contact (docs/contact-center.md); stored as the lower-case value. */
export enum ContactOutcome {
  RESOLVED = "resolved",
  REQUEST_CREATED = "request-created",
  FORWARDED = "forwarded",
  INFORMATION_GIVEN = "information-given",
  NO_ANSWER = "no-answer",
}

registerEnumType(ContactOutcome, {
  name: "ContactOutcome",
  description: "What came of a contact: the matter resolved, a request created, forwarded, information given, or no answer",
});

export const CONTACT_CHANNELS: readonly ContactChannel[] = Object.values(ContactChannel);
export const CONTACT_OUTCOMES: readonly ContactOutcome[] = Object.values(ContactOutcome);

/** A contact as stored in the `contacts` collection of the `city` database (docs/contact-center.md). */
export interface ContactDocument {
  _id: string;
  /** Who took the contact: the agent's subject. */
  agent: string;
  at: Date;
  durationSeconds: number;
  channel: ContactChannel;
  outcome: ContactOutcome;
  /** The service request (its `_id`) the contact concerned, if any. */
  requestId?: string;
  note?: string;
  /** Set while the contact is not yet recorded as its request's first contact (ContactRepository.log); internal. */
  firstContactPending?: true;
}

@ObjectType({ description: "One logged contact with a citizen: a call, an e-mail, a visit" })
export class Contact {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Who took the contact (the agent's subject)" })
  agent!: string;

  @Field(() => GraphQLISODateTime, { description: "When the contact began" })
  at!: Date;

  @Field(() => Int)
  durationSeconds!: number;

  @Field(() => ContactChannel)
  channel!: ContactChannel;

  @Field(() => ContactOutcome)
  outcome!: ContactOutcome;

  @Field(() => ID, { nullable: true, description: "The service request the contact concerned" })
  requestId!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;
}

@ObjectType({ description: "A contact and the cursor that points at it" })
export class ContactEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Contact)
  node!: Contact;
}

// Named for contacts rather than a shared `PageInfo`: a same-named value type in two subgraphs must be
// declared @shareable in both.
@ObjectType()
export class ContactPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of contacts, newest first" })
export class ContactConnection {
  @Field(() => [ContactEdge])
  edges!: ContactEdge[];

  @Field(() => [Contact])
  nodes!: Contact[];

  @Field(() => ContactPageInfo)
  pageInfo!: ContactPageInfo;
}

export function toContact(document: ContactDocument): Contact {
  return {
    id: document._id,
    agent: document.agent,
    at: document.at,
    durationSeconds: document.durationSeconds,
    channel: document.channel,
    outcome: document.outcome,
    requestId: document.requestId ?? null,
    note: document.note ?? null,
  };
}
