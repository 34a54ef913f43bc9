import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

/** Access tokens live 15 minutes; refresh tokens carry sessions beyond that. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
const ISSUER = 'glimpse';
const AUDIENCE = 'glimpse-api';
/** RFC 9068's type for access tokens: a JWT minted for another purpose is not accepted as one. */
const TOKEN_TYPE = 'at+jwt';

export interface AccessClaims {
  readonly userId: string;
  readonly sessionId: string;
}

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'The access token has expired.' : 'The access token is not valid.');
  }
}

/**
 * HS256 JWTs signed and checked by jose. Verification pins the algorithm, so `alg: none` and
 * algorithm confusion (an RS/ES token, or HS with another hash) are rejected before any claim
 * is read.
 */
export class AccessTokens {
  /** Imported once: handing jose raw bytes would re-import the key on every sign and verify. */
  readonly #key: KeyObject;

  constructor(
    secret: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error('the JWT secret must be at least 32 bytes');
    this.#key = createSecretKey(secret);
  }

  issue(claims: AccessClaims): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
      .sign(this.#key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        currentDate: new Date(this.now()),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new TokenError('invalid');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenError('expired');
      throw new TokenError('invalid');
    }
  }
}
