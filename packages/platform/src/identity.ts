/**
 * Identity tokens. The gateway authenticates callers and forwards who they are to the subgraphs in a
 * short-lived HS256 token (audience "situation-subgraphs") signed with a secret only the gateway and
 * the subgraphs share. Staff and operators authenticate at the gateway with bearer tokens of the same
 * shape, signed with a different secret and audience "situation-gateway", so that neither kind of
 * token is accepted where the other is expected.
 */
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { z } from "zod";
import { UnauthenticatedError } from "./errors.js";

export const ROLES = ["operator", "city-staff", "provider", "business", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  subject: string;
  roles: Role[];
  /** Set for the provider role: the provider whose data it may change. */
  providerId?: string;
  /** Set for the business role: the business whose data it may change. */
  businessId?: string;
}

export const ANONYMOUS: Identity = Object.freeze({ subject: "anonymous", roles: Object.freeze([]) as unknown as Role[] });

export const IDENTITY_HEADER = "x-situation-identity";

export const TOKEN_ISSUER = "situation-gateway";
export const SUBGRAPH_AUDIENCE = "situation-subgraphs";
export const GATEWAY_AUDIENCE = "situation-gateway";

/** Forwarded identities live only as long as one request's trip through the subgraphs. */
export const DEFAULT_IDENTITY_TTL_SECONDS = 60;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 60 * 60;

// Tolerates small clock differences between processes, not stale tokens.
const CLOCK_TOLERANCE_SECONDS = 5;

const identityClaims = z
  .object({
    sub: z.string().min(1, "subject is missing"),
    roles: z.array(z.enum(ROLES, { message: "unknown role" })),
    providerId: z.string().min(1).optional(),
    businessId: z.string().min(1).optional(),
  })
  .superRefine((claims, context) => {
    // A scoped role without its scope would let ownership checks compare against undefined.
    if (claims.roles.includes("provider") && claims.providerId === undefined)
      context.addIssue({ code: "custom", message: "provider role without providerId", path: ["providerId"] });
    if (claims.roles.includes("business") && claims.businessId === undefined)
      context.addIssue({ code: "custom", message: "business role without businessId", path: ["businessId"] });
  });

export interface SignOptions {
  ttlSeconds?: number;
}

export function signIdentity(identity: Identity, secret: string, options: SignOptions = {}): Promise<string> {
  return sign(identity, secret, SUBGRAPH_AUDIENCE, options.ttlSeconds ?? DEFAULT_IDENTITY_TTL_SECONDS);
}

/** Throws `UnauthenticatedError` naming the reason: expired, wrong audience, bad signature, malformed. */
export function verifyIdentity(token: string, secret: string): Promise<Identity> {
  return verify(token, secret, SUBGRAPH_AUDIENCE, "identity token");
}

/** A bearer token for staff and operators, presented to the gateway. */
export function issueAccessToken(identity: Identity, jwtSecret: string, options: SignOptions = {}): Promise<string> {
  return sign(identity, jwtSecret, GATEWAY_AUDIENCE, options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS);
}

export function verifyAccessToken(token: string, jwtSecret: string): Promise<Identity> {
  return verify(token, jwtSecret, GATEWAY_AUDIENCE, "access token");
}

export function hasRole(identity: Identity, ...roles: Role[]): boolean {
  return identity.roles.some((role) => roles.includes(role));
}

async function sign(identity: Identity, secret: string, audience: string, ttlSeconds: number): Promise<string> {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be positive, got ${ttlSeconds}`);
  const claims = identityClaims.safeParse({ ...claimsOf(identity), sub: identity.subject });
  if (!claims.success) throw new TypeError(`cannot sign an invalid identity: ${describe(claims.error)}`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claimsOf(identity))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(identity.subject)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.ceil(ttlSeconds))
    .sign(keyOf(secret));
}

async function verify(token: string, secret: string, audience: string, kind: string): Promise<Identity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ["HS256"],
      issuer: TOKEN_ISSUER,
      audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "sub"],
    }));
  } catch (error) {
    throw new UnauthenticatedError(`${kind} rejected: ${reasonOf(error)}`, { cause: error });
  }
  const claims = identityClaims.safeParse(payload);
  if (!claims.success) {
    throw new UnauthenticatedError(`${kind} rejected: malformed claims (${describe(claims.error)})`, { cause: claims.error });
  }
  const { sub, roles, providerId, businessId } = claims.data;
  return {
    subject: sub,
    roles,
    ...(providerId === undefined ? {} : { providerId }),
    ...(businessId === undefined ? {} : { businessId }),
  };
}

function claimsOf(identity: Identity): Record<string, unknown> {
  return {
    roles: [...identity.roles],
    ...(identity.providerId === undefined ? {} : { providerId: identity.providerId }),
    ...(identity.businessId === undefined ? {} : { businessId: identity.businessId }),
  };
}

function keyOf(secret: string): Uint8Array {
  if (secret.length === 0) throw new TypeError("the signing secret is empty");
  return new TextEncoder().encode(secret);
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "wrong audience";
    if (error.claim === "iss") return "wrong issuer";
    return `invalid claim ${error.claim} (${error.reason})`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "bad signature";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return "malformed token";
  return "malformed token";
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "claims"}: ${issue.message}`).join("; ");
}
