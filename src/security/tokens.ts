import { SignJWT, jwtVerify } from 'jose';

import type { TokenIssuer } from '../app/context.js';

const ALGORITHM = 'HS256';
/** The contract's token lifetime: 4 hours. */
const DEFAULT_LIFETIME_SECONDS = 4 * 3600;
const MAX_CLOCK_TOLERANCE_SECONDS = 5;
/** `sub` is a user id: a positive 32-bit integer written without sign or leading zeros. */
const USER_ID = /^[1-9][0-9]{0,9}$/;
const MAX_USER_ID = 2_147_483_647;

export interface TokenIssuerConfig {
  /** HMAC key (JWT_SECRET), at least 32 bytes in production (checked by config). */
  secret: Uint8Array;
  issuer: string;
  audience: string;
  /** Default 14400 (4 h). */
  lifetimeSeconds?: number;
  /** Clock, for tests; default the system clock. */
  now?: () => Date;
}

export interface TokenVerifierConfig {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  /** Allowed clock skew for exp/iat/nbf, clamped to 0..5 s; default 5. */
  clockToleranceSeconds?: number;
  /** Clock, for tests; default the system clock. */
  now?: () => Date;
}

export interface TokenVerifier {
  /** The token's user, or null for any token that is not valid; never throws. */
  verify(token: string): Promise<{ userId: number } | null>;
}

/** Signs HS256 access tokens with claims sub (user id), name, email, iss, aud, iat, exp. */
export function createTokenIssuer(config: TokenIssuerConfig): TokenIssuer {
  const lifetime = config.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  const now = config.now ?? (() => new Date());

  return {
    async issue(user) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const expiresAt = issuedAt + lifetime;
      const token = await new SignJWT({ name: user.username, email: user.email })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(String(user.id))
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(config.secret);

      return { token, expiresAt: new Date(expiresAt * 1000).toISOString() };
    },
  };
}

/**
 * Verifies access tokens: signature with the configured secret, algorithm pinned to HS256
 * (so `none`, RS256-with-the-secret-as-public-key and other confusions fail), issuer and
 * audience, exp required. The key never comes from the token (no `jku`/`jwk` fetching).
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const tolerance = Math.min(
    MAX_CLOCK_TOLERANCE_SECONDS,
    Math.max(0, config.clockToleranceSeconds ?? MAX_CLOCK_TOLERANCE_SECONDS),
  );

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, config.secret, {
          algorithms: [ALGORITHM],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'exp', 'iat'],
          ...(config.now === undefined ? {} : { currentDate: config.now() }),
        });

        const subject = payload.sub;
        if (subject === undefined || !USER_ID.test(subject) || Number(subject) > MAX_USER_ID) {
          return null;
        }

        return { userId: Number(subject) };
      } catch {
        // Malformed, forged, expired, wrong issuer: all the same to the caller.
        return null;
      }
    },
  };
}
