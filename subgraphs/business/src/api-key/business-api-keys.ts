/**
 * A business's API key: issued by city staff when they register it (or again later), rotated by the
 * business itself. Keys are the platform's (`createApiKey`/`revokeApiKey`, stored hashed in the
 * platform database, where the gateway looks them up); the business document remembers which key is
 * current, so issuing or rotating revokes the one before.
 */
import { createApiKey, PLATFORM_DATABASE, revokeApiKey, type MongoConnection } from "@situation/platform";
import type { Db } from "mongodb";
import type { BusinessRepository } from "../business/business.repository.js";

export interface IssuedKey {
  businessId: string;
  /** The key itself: shown once, never stored. */
  key: string;
  /** Its id in the platform's key list (what revocation names). */
  keyId: string;
}

export class BusinessApiKeys {
  constructor(
    private readonly platformDb: Db,
    private readonly businesses: BusinessRepository,
  ) {}

  static open(mongo: Pick<MongoConnection, "db">, businesses: BusinessRepository, databaseName = PLATFORM_DATABASE): BusinessApiKeys {
    return new BusinessApiKeys(mongo.db(databaseName), businesses);
  }

  /**
   * A new key for the business, scoped to it (role `business`); the key it held before, if any, and
   * `alsoRevoke` (the key a rotation was called with) stop working. `NotFoundError` for an unknown business.
   */
  async issue(businessId: string, options: { alsoRevoke?: string } = {}): Promise<IssuedKey> {
    const previous = await this.businesses.findApiKeyId(businessId);
    const { key, id: keyId } = await createApiKey(this.platformDb, { roles: ["business"], businessId, label: `business ${businessId}` });
    await this.businesses.setApiKeyId(businessId, keyId);
    // Revoked after the new key is recorded: a failure in between leaves two live keys, never none.
    for (const old of new Set([previous, options.alsoRevoke])) {
      if (old !== undefined && old !== keyId) await revokeApiKey(this.platformDb, old);
    }
    return { businessId, key, keyId };
  }
}
