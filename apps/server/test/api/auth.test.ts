import { SignJWT, base64url } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/accounts/tokens.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, randomIp, registerUser } from '../support/client.js';

for (const shape of await availableShapes()) {
  describe(`accounts and sessions (${shape})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape);
    });
    afterAll(() => t?.close());

    it('register → login → /me → refresh → logout, as in API.md', async () => {
      const ip = randomIp();
      const reg = await call(t.app, 'POST', '/api/v1/auth/register', {
        ip,
        body: { username: '  Flow.User_1 ', email: 'Flow@Example.com', password: 'a long passphrase' },
      });
      expect(reg.status).toBe(201);
      expect(reg.body.user).toMatchObject({
        username: 'flow.user_1',
        email: 'Flow@Example.com',
        displayName: '',
        bio: '',
        avatar: null,
        isPrivate: false,
        postCount: 0,
        followerCount: 0,
        followingCount: 0,
      });
      expect(reg.body.user.id).toMatch(/^[1-9]\d+$/);
      expect(reg.body.expiresIn).toBe(900);
      expect(reg.body.user).not.toHaveProperty('passwordHash');

      const login = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip,
        body: { login: 'flow@example.COM', password: 'a long passphrase' },
      });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(reg.body.user.id);

      const me = await call(t.app, 'GET', '/api/v1/me', { token: login.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(reg.body.user);

      const refreshed = await call(t.app, 'POST', '/api/v1/auth/refresh', {
        ip,
        body: { refreshToken: login.body.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
      expect((await call(t.app, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).status).toBe(
        200,
      );

      const out = await call(t.app, 'POST', '/api/v1/auth/logout', {
        body: { refreshToken: refreshed.body.refreshToken },
      });
      expect(out.status).toBe(204);
      expect(
        (await call(t.app, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).body.error.code,
      ).toBe('session_revoked');
      const after = await call(t.app, 'POST', '/api/v1/auth/refresh', {
        ip,
        body: { refreshToken: refreshed.body.refreshToken },
      });
      expect(after.status).toBe(401);
      // The registration's own session is separate and still alive.
      expect((await call(t.app, 'GET', '/api/v1/me', { token: reg.body.accessToken })).status).toBe(200);
      expect(
        (
          await call(t.app, 'POST', '/api/v1/auth/logout', {
            body: { refreshToken: refreshed.body.refreshToken },
          })
        ).status,
      ).toBe(204);
    });

    it('usernames and emails are unique without regard to case', async () => {
      const user = await registerUser(t.app);
      const dupName = await call(t.app, 'POST', '/api/v1/auth/register', {
        ip: randomIp(),
        body: {
          username: user.user.username.toUpperCase(),
          email: 'other@example.com',
          password: 'another passphrase',
        },
      });
      expect(dupName.status).toBe(409);
      expect(dupName.body.error.code).toBe('username_taken');
      const dupEmail = await call(t.app, 'POST', '/api/v1/auth/register', {
        ip: randomIp(),
        body: {
          username: 'someone_else_x',
          email: user.user.email.toUpperCase(),
          password: 'another passphrase',
        },
      });
      expect(dupEmail.status).toBe(409);
      expect(dupEmail.body.error.code).toBe('email_taken');
    });

    it('of 8 simultaneous sign-ups for one username, exactly one wins', async () => {
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          call(t.app, 'POST', '/api/v1/auth/register', {
            ip: randomIp(),
            body: { username: 'raced_name', email: `race${i}@example.com`, password: 'race passphrase' },
          }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(
        replies.filter((r) => r.status === 409).every((r) => r.body.error.code === 'username_taken'),
      ).toBe(true);
    });

    it('answers an unknown user and a wrong password identically', async () => {
      const user = await registerUser(t.app);
      const wrong = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: randomIp(),
        body: { login: user.user.username, password: 'not the password' },
      });
      const unknown = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: randomIp(),
        body: { login: 'nobody_here_at_all', password: 'not the password' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body.error.code).toBe('invalid_credentials');
      expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
    });

    it('reusing a spent refresh token ends the whole session', async () => {
      const user = await registerUser(t.app);
      const first = await call(t.app, 'POST', '/api/v1/auth/refresh', {
        ip: user.ip,
        body: { refreshToken: user.refreshToken },
      });
      expect(first.status).toBe(200);
      const replay = await call(t.app, 'POST', '/api/v1/auth/refresh', {
        ip: user.ip,
        body: { refreshToken: user.refreshToken },
      });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('refresh_token_reused');
      // The thief's copy and the rightful new pair are both dead now.
      const next = await call(t.app, 'POST', '/api/v1/auth/refresh', {
        ip: user.ip,
        body: { refreshToken: first.body.refreshToken },
      });
      expect(next.status).toBe(401);
      expect(next.body.error.code).toBe('session_revoked');
      expect((await call(t.app, 'GET', '/api/v1/me', { token: first.body.accessToken })).status).toBe(401);
      expect((await call(t.app, 'GET', '/api/v1/me', { token: user.accessToken })).status).toBe(401);
    });

    it('two simultaneous refreshes with one token: one rotates, the other is reuse', async () => {
      const user = await registerUser(t.app);
      const replies = await Promise.all(
        [1, 2].map(() =>
          call(t.app, 'POST', '/api/v1/auth/refresh', {
            ip: user.ip,
            body: { refreshToken: user.refreshToken },
          }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('a password change keeps this session and ends every other one', async () => {
      const user = await registerUser(t.app);
      const other = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: user.ip,
        body: { login: user.user.username, password: user.password },
      });
      const wrong = await call(t.app, 'POST', '/api/v1/me/password', {
        token: user.accessToken,
        body: { currentPassword: 'not it at all', newPassword: 'brand new passphrase' },
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.code).toBe('wrong_password');
      const changed = await call(t.app, 'POST', '/api/v1/me/password', {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: 'brand new passphrase' },
      });
      expect(changed.status).toBe(204);
      expect((await call(t.app, 'GET', '/api/v1/me', { token: user.accessToken })).status).toBe(200);
      expect(
        (await call(t.app, 'GET', '/api/v1/me', { token: other.body.accessToken })).body.error.code,
      ).toBe('session_revoked');
      expect(
        (
          await call(t.app, 'POST', '/api/v1/auth/refresh', {
            ip: user.ip,
            body: { refreshToken: other.body.refreshToken },
          })
        ).status,
      ).toBe(401);
      expect(
        (
          await call(t.app, 'POST', '/api/v1/auth/refresh', {
            ip: user.ip,
            body: { refreshToken: user.refreshToken },
          })
        ).status,
      ).toBe(200);
      const oldLogin = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: user.ip,
        body: { login: user.user.username, password: user.password },
      });
      expect(oldLogin.status).toBe(401);
      const newLogin = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: user.ip,
        body: { login: user.user.username, password: 'brand new passphrase' },
      });
      expect(newLogin.status).toBe(200);
    });

    it('edits the profile, and an avatar must be my own ready photo', async () => {
      const user = await registerUser(t.app);
      const stranger = await registerUser(t.app);
      const patched = await call(t.app, 'PATCH', '/api/v1/me', {
        token: user.accessToken,
        body: { displayName: '  Ada Lovelace ', bio: 'first line\nsecond line', isPrivate: true },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        displayName: 'Ada Lovelace',
        bio: 'first line\nsecond line',
        isPrivate: true,
      });

      const db = t.infra.store.db;
      const media = async (owner: string, status: 'processing' | 'ready') => {
        const { rows } = await sql<{ id: string }>`
          INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
          VALUES (next_id(shard_of(${owner}::bigint)), ${owner}, ${status}, 'image/jpeg', 1000, 4000, 3000, 'LKO2?U%2Tw=w', '#a0b0c0')
          RETURNING id`.execute(db);
        return rows[0]!.id;
      };
      const mine = await media(user.user.id, 'ready');
      const processing = await media(user.user.id, 'processing');
      const theirs = await media(stranger.user.id, 'ready');

      const other = await call(t.app, 'PATCH', '/api/v1/me', {
        token: user.accessToken,
        body: { avatarMediaId: theirs },
      });
      expect(other.status).toBe(404);
      const busy = await call(t.app, 'PATCH', '/api/v1/me', {
        token: user.accessToken,
        body: { avatarMediaId: processing },
      });
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe('media_not_ready');
      const set = await call(t.app, 'PATCH', '/api/v1/me', {
        token: user.accessToken,
        body: { avatarMediaId: mine },
      });
      expect(set.status).toBe(200);
      expect(set.body.avatar).toMatchObject({
        id: mine,
        status: 'ready',
        width: 4000,
        height: 3000,
        dominantColor: '#a0b0c0',
      });
      expect(set.body.avatar.variants.thumb).toMatchObject({ width: 150, height: 150, format: 'webp' });
      // The account is private now: its media URLs are signed and expire.
      expect(set.body.avatar.variants.thumb.url).toMatch(
        new RegExp(`^${t.config.mediaBaseUrl}/${mine}/thumb\\.webp\\?exp=\\d+&sig=[\\w-]+$`),
      );
      expect(set.body.avatar.variants.large).toMatchObject({ width: 1080, height: 810 });
      const cleared = await call(t.app, 'PATCH', '/api/v1/me', {
        token: user.accessToken,
        body: { avatarMediaId: null },
      });
      expect(cleared.body.avatar).toBeNull();
    });

    it('limits password guessing per account, even from many addresses, and tells when to retry', async () => {
      const user = await registerUser(t.app);
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const r = await call(t.app, 'POST', '/api/v1/auth/login', {
          ip: randomIp(),
          body: { login: user.user.username, password: `guess ${i} nope` },
        });
        statuses.push(r.status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      const blocked = await call(t.app, 'POST', '/api/v1/auth/login', {
        ip: randomIp(),
        body: { login: user.user.username, password: user.password },
      });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // The same limit covers unknown names, so 429s do not reveal which accounts exist.
      for (let i = 0; i < 10; i++)
        await call(t.app, 'POST', '/api/v1/auth/login', {
          ip: randomIp(),
          body: { login: 'ghost_account', password: 'whatever it is' },
        });
      expect(
        (
          await call(t.app, 'POST', '/api/v1/auth/login', {
            ip: randomIp(),
            body: { login: 'ghost_account', password: 'whatever it is' },
          })
        ).status,
      ).toBe(429);
    });

    it('limits login attempts per address', async () => {
      const ip = randomIp();
      const statuses: number[] = [];
      const started = Date.now();
      for (let i = 0; i < 34; i++) {
        const reply = await call(t.app, 'POST', '/api/v1/auth/login', {
          ip,
          body: { login: `someone${i}`, password: 'irrelevant pw' },
        });
        statuses.push(reply.status);
      }
      // 30 per minute with a burst of 30: the first 30 pass, then one slot frees every 2 s.
      const refilled = Math.ceil((Date.now() - started) / 2_000);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(30 + refilled);
      expect(statuses.at(-1)).toBe(429);
    });

    describe('access tokens', () => {
      let user: Awaited<ReturnType<typeof registerUser>>;
      beforeAll(async () => {
        user = await registerUser(t.app);
      });
      const me = (token: string) => call(t.app, 'GET', '/api/v1/me', { token });

      it('rejects alg "none"', async () => {
        const [, body] = user.accessToken.split('.');
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
        const reply = await me(`${header}.${body}.`);
        expect(reply.status).toBe(401);
        expect(reply.body.error.code).toBe('invalid_token');
        expect((await me(`${header}.${body}.x`)).status).toBe(401);
      });

      it('rejects algorithm confusion and foreign keys', async () => {
        const claims = { sid: 'x', sub: user.user.id, iss: 'glimpse', aud: 'glimpse-api' };
        const hs512 = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS512', typ: 'at+jwt' })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(t.infra.jwtSecret);
        expect((await me(hs512)).body.error.code).toBe('invalid_token');
        const otherKey = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(new Uint8Array(32).fill(7));
        expect((await me(otherKey)).body.error.code).toBe('invalid_token');
        const [h, p, s] = user.accessToken.split('.');
        const rs = base64url.encode(JSON.stringify({ alg: 'RS256', typ: 'at+jwt' }));
        expect((await me(`${rs}.${p}.${s}`)).status).toBe(401);
        const tampered = base64url.encode(
          JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(p!))), sub: '1' }),
        );
        expect((await me(`${h}.${tampered}.${s}`)).status).toBe(401);
      });

      it('rejects a JWT of another type signed with the right key', async () => {
        const [, p] = user.accessToken.split('.');
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
        const idToken = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(t.infra.jwtSecret);
        expect((await me(idToken)).body.error.code).toBe('invalid_token');
      });

      it('says token_expired for an expired token so the client refreshes', async () => {
        const [, p] = user.accessToken.split('.');
        const sessionId = JSON.parse(new TextDecoder().decode(base64url.decode(p!))).sid as string;
        const old = await new AccessTokens(t.infra.jwtSecret, () => Date.now() - 3_600_000).issue({
          userId: user.user.id,
          sessionId,
        });
        const reply = await me(old);
        expect(reply.status).toBe(401);
        expect(reply.body.error.code).toBe('token_expired');
        expect(reply.headers['www-authenticate']).toContain('Bearer');
      });
    });
  });
}
