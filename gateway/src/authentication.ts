/**
 * Who is calling: a bearer JWT (staff and operators), an API key (providers and businesses, looked up
 * by its hash), or nobody (anonymous citizens). A credential that is present but invalid is an error,
 * never a silent downgrade to anonymous: a caller with an expired token must learn that it expired.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Db } from "mongodb";
import {
  ANONYMOUS,
  findIdentityByApiKey,
  UnauthenticatedError,
  UpstreamError,
  verifyAccessToken,
  type Identity,
} from "@situation/platform";
import { createVerifiedTokenCache, type VerifyToken } from "./performance/verified-token-cache.js";

export const API_KEY_HEADER = "x-api-key";

export interface AuthenticationOptions {
  jwtSecret: string;
  /** The database that holds the hashed API keys (`platform`). */
  apiKeys: () => Db;
}

export type Authenticate = (headers: IncomingHttpHeaders) => Promise<Identity>;

/** Throws `UnauthenticatedError` for a bad credential and `UpstreamError` when the key store fails. */
export function createAuthentication(options: AuthenticationOptions): Authenticate {
  // Verification is a tenth of a small request's CPU and a client repeats its token: see performance/.
  const verifyToken = createVerifiedTokenCache({ verify: (token) => verifyAccessToken(token, options.jwtSecret) });
  return async (headers) => {
    const authorization = single(headers.authorization);
    const apiKey = single(headers[API_KEY_HEADER]);
    if (authorization !== undefined && apiKey !== undefined) {
      // Two credentials could name two different callers; refuse rather than pick one.
      throw new UnauthenticatedError("send either a bearer token or an API key, not both");
    }
    if (authorization !== undefined) return verifyBearer(authorization, verifyToken);
    if (apiKey !== undefined) return lookUpApiKey(apiKey, options.apiKeys);
    return ANONYMOUS;
  };
}

async function verifyBearer(authorization: string, verifyToken: VerifyToken): Promise<Identity> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
  return verifyToken(match[1]!);
}

async function lookUpApiKey(key: string, apiKeys: () => Db): Promise<Identity> {
  let identity: Identity | undefined;
  try {
    identity = await findIdentityByApiKey(apiKeys(), key.trim());
  } catch (error) {
    throw new UpstreamError("the API key store is unavailable", { cause: error });
  }
  if (identity === undefined) throw new UnauthenticatedError("API key rejected: unknown or revoked");
  return identity;
}

function single(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === "" ? undefined : text;
}
