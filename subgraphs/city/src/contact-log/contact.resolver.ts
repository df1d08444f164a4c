import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, Field, GraphQLISODateTime, ID, InputType, Int, Mutation, Query, Resolver } from "type-graphql";
import type { CityContext } from "../context.js";
import { Contact, ContactChannel, ContactConnection, ContactOutcome } from "./contact.model.js";
import { InvalidContactCursorError } from "./contact.repository.js";

export const DEFAULT_CONTACT_PAGE_SIZE = 50;
export const MAX_CONTACT_PAGE_SIZE = 200;

@InputType({ description: "A contact to add to the call archive" })
export class LogContactInput {
  @Field(() => String, { nullable: true, description: "Who took the contact; defaults to the caller" })
  agent?: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "When the contact began; defaults to now" })
  at?: Date | null;

  @Field(() => Int, { description: "How long it lasted, in whole seconds (0 for an e-mail)" })
  durationSeconds!: number;

  @Field(() => ContactChannel)
  channel!: ContactChannel;

  @Field(() => ContactOutcome)
  outcome!: ContactOutcome;

  @Field(() => ID, { nullable: true, description: "The service request the contact concerned; it must exist" })
  requestId?: string | null;

  @Field(() => String, { nullable: true, description: "Free text, at most 2000 characters" })
  note?: string | null;
}

// The call archive is the contact center's own record: staff and operators write and read it (admin
// passes every check).
@Resolver(() => Contact)
export class ContactResolver {
  @Authorized("city-staff", "operator")
  @Mutation(() => Contact, { description: "Logs a contact (call, e-mail, visit) in the call archive" })
  logContact(@Arg("input", () => LogContactInput) input: LogContactInput, @Ctx() context: CityContext): Promise<Contact> {
    return context.contacts.log(input, context.identity);
  }

  @Authorized("city-staff", "operator")
  @Query(() => ContactConnection, { description: "The call archive, newest first: contacts with from <= at < to" })
  async contacts(
    @Arg("from", () => GraphQLISODateTime, { nullable: true }) from: Date | null | undefined,
    @Arg("to", () => GraphQLISODateTime, { nullable: true }) to: Date | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: DEFAULT_CONTACT_PAGE_SIZE }) first: number | null | undefined,
    @Arg("after", () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: CityContext,
  ): Promise<ContactConnection> {
    const pageSize = first ?? DEFAULT_CONTACT_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_CONTACT_PAGE_SIZE) {
      throw new UserInputError(`first must be between 1 and ${MAX_CONTACT_PAGE_SIZE}`, { field: "first" });
    }
    if (from && to && from.getTime() > to.getTime()) {
      throw new UserInputError("from must not be after to", { field: "from" });
    }
    let page;
    try {
      page = await context.contacts.findPage({ from: from ?? null, to: to ?? null, first: pageSize, after: after ?? null });
    } catch (error) {
      if (error instanceof InvalidContactCursorError) {
        throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
      }
      throw error;
    }
    return {
      edges: page.contacts.map((node, index) => ({ node, cursor: page.cursors[index] as string })),
      nodes: page.contacts,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
    };
  }
}
