import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { ownBusinessId } from "../business/business.resolver.js";
import type { BusinessContext } from "../context.js";
import { IssuedApiKey } from "./api-key.model.js";

const API_KEY_SUBJECT = /^api-key:([0-9a-f]{24})$/;

@Resolver(() => IssuedApiKey)
export class BusinessApiKeyResolver {
  @Authorized("city-staff")
  @Mutation(() => IssuedApiKey, { description: "Issues a business a new API key (e.g. a lost one); its previous key stops working" })
  issueBusinessApiKey(@Arg("businessId", () => ID) businessId: string, @Ctx() context: BusinessContext): Promise<IssuedApiKey> {
    return context.apiKeys.issue(businessId);
  }

  @Authorized("business")
  @Mutation(() => IssuedApiKey, { description: "A business replaces its own API key: the new one is returned, the one used for this call stops working" })
  rotateMyApiKey(@Ctx() context: BusinessContext): Promise<IssuedApiKey> {
    const businessId = ownBusinessId(context.identity);
    // The gateway names the key a caller authenticated with in the subject ("api-key:<id>").
    const presented = API_KEY_SUBJECT.exec(context.identity.subject)?.[1];
    return context.apiKeys.issue(businessId, presented === undefined ? {} : { alsoRevoke: presented });
  }
}
