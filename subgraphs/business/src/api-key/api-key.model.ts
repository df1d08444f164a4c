import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ description: "An API key just issued: the key is shown this once and cannot be recovered" })
export class IssuedApiKey {
  @Field(() => ID)
  businessId!: string;

  @Field(() => String, { description: "Send as the API key header to the gateway; store it safely" })
  key!: string;

  @Field(() => ID, { description: "The key's id in the platform's key list" })
  keyId!: string;
}
