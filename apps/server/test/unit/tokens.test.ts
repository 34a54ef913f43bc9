import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_SECONDS, AccessTokens, TokenError } from '../../src/accounts/tokens.js';

const secret = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');
const claims = { userId: '42', sessionId: '7' };

describe('access tokens', () => {
  it('remembers a verified token only until it expires', async () => {
    let now = 1_700_000_000_000;
    const tokens = new AccessTokens(secret, () => now);
    const token = await tokens.issue(claims);
    expect(await tokens.verify(token)).toEqual(claims);
    expect(await tokens.verify(token)).toEqual(claims);
    now += ACCESS_TOKEN_TTL_SECONDS * 1000;
    await expect(tokens.verify(token)).rejects.toEqual(new TokenError('expired'));
    await expect(tokens.verify(token)).rejects.toEqual(new TokenError('expired'));
  });

  it('never remembers a token that failed, nor trusts a changed copy of one that passed', async () => {
    const tokens = new AccessTokens(secret);
    const token = await tokens.issue(claims);
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature![0] === 'A' ? 'B' : 'A'}${signature!.slice(1)}`;
    await expect(tokens.verify(forged)).rejects.toEqual(new TokenError('invalid'));
    expect(await tokens.verify(token)).toEqual(claims);
    await expect(tokens.verify(forged)).rejects.toEqual(new TokenError('invalid'));
    const other = await new AccessTokens(new TextEncoder().encode('x'.repeat(32))).issue(claims);
    await expect(tokens.verify(other)).rejects.toEqual(new TokenError('invalid'));
  });
});
