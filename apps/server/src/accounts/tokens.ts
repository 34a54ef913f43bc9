import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

/** Access tokens live 15 minutes; refresh tokens carry sessions beyond that. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
const ISSUER = 'glimpse';
const AUDIENCE = 'glimpse-api';
/** RFC 9068's type for access tokens: a JWT minted for another purpose is not accepted as one. */
const TOKEN_TYPE = 'at+jwt';
/** Verified tokens remembered per process (a client sends the same one for its 15 minutes). */
const VERIFIED_TOKENS_KEPT = 10_000;

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
  /**
   * Tokens that passed `jwtVerify`, with their expiry (oldest first). A token's signature and
   * claims cannot change, so it stays valid until `exp`; revocation is the session check that
   * follows every verification. jose spends ~0.2 ms of CPU per check (WebCrypto jobs); a
   * remembered token costs a lookup.
   */
  readonly #verified = new Map<string, { claims: AccessClaims; exp: number }>();

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
    const known = this.#verified.get(token);
    if (known) {
      // jose's own rule: expired once `exp` is not after the current second.
      if (known.exp > Math.floor(this.now() / 1000)) return known.claims;
      this.#verified.delete(token);
      throw new TokenError('expired');
    }
    const { claims, exp } = await this.#check(token);
    if (this.#verified.size >= VERIFIED_TOKENS_KEPT)
      this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, { claims, exp });
    return claims;
  }

  async #check(token: string): Promise<{ claims: AccessClaims; exp: number }> {
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
      return { claims: { userId: payload.sub, sessionId: payload.sid }, exp: payload.exp! };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenError('expired');
      throw new TokenError('invalid');
    }
  }
}
