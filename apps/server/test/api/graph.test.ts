import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createPost, follow, makePrivate } from '../support/world.js';

for (const shape of await availableShapes()) {
  describe(`people and the social graph (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape);
    });
    afterAll(() => t?.close());

    const user = (u: TestUser, viewer?: TestUser) =>
      call(t.app, 'GET', `/api/v1/users/${u.user.id}`, { token: viewer?.accessToken });
    const list = (u: TestUser, which: 'followers' | 'following', viewer?: TestUser, query = '') =>
      call(t.app, 'GET', `/api/v1/users/${u.user.id}/${which}${query}`, { token: viewer?.accessToken });
    const ids = (reply: { body: { users: { id: string }[] } }) => reply.body.users.map((u) => u.id);
    /** Every user's counters must equal a COUNT(*) of the edges they count. */
    const countersExact = async () => {
      const { rows } = await sql<{ id: string }>`
        SELECT u.id FROM users u
         WHERE u.follower_count <> (SELECT count(*) FROM follows f WHERE f.followee_id = u.id AND f.state = 'accepted')
            OR u.following_count <> (SELECT count(*) FROM follows f WHERE f.follower_id = u.id AND f.state = 'accepted')`.execute(
        t.infra.store.db,
      );
      return rows.map((r) => r.id);
    };

    it('looks people up by username or id, anonymously too, with the viewer\u2019s relationship', async () => {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      const byName = await call(
        t.app,
        'GET',
        `/api/v1/users/lookup?username=${a.user.username.toUpperCase()}`,
      );
      expect(byName.status).toBe(200);
      expect(byName.body).toMatchObject({ id: a.user.id, username: a.user.username });
      expect(byName.body).not.toHaveProperty('relationship');
      expect(byName.body).not.toHaveProperty('email');
      await follow(t, b, a);
      expect((await user(a, b)).body.relationship).toEqual({
        following: true,
        followedBy: false,
        requested: false,
        blocking: false,
        muting: false,
      });
      expect((await user(b, a)).body.relationship).toMatchObject({ following: false, followedBy: true });
      expect((await call(t.app, 'GET', '/api/v1/users/lookup?username=nobody_at_all')).status).toBe(404);
    });

    it('follows a public account at once and a private one by request; approve, reject, withdraw', async () => {
      const fan = await registerUser(t.app);
      const star = await registerUser(t.app);
      const shy = await registerUser(t.app);
      await makePrivate(t, shy);
      expect((await follow(t, fan, star)).body).toEqual({ status: 'following' });
      expect((await follow(t, fan, star)).body).toEqual({ status: 'following' }); // idempotent
      expect((await user(star)).body.followerCount).toBe(1);
      expect((await follow(t, fan, shy)).body).toEqual({ status: 'requested' });
      expect((await user(shy, fan)).body.relationship).toMatchObject({ following: false, requested: true });
      expect((await user(shy)).body.followerCount).toBe(0);
      const inbox = await call(t.app, 'GET', '/api/v1/me/follow-requests', { token: shy.accessToken });
      expect(ids(inbox)).toEqual([fan.user.id]);
      expect(
        (
          await call(t.app, 'POST', `/api/v1/me/follow-requests/${fan.user.id}/approve`, {
            token: shy.accessToken,
          })
        ).status,
      ).toBe(204);
      expect((await user(shy, fan)).body).toMatchObject({
        followerCount: 1,
        relationship: { following: true, requested: false },
      });
      expect(
        (
          await call(t.app, 'POST', `/api/v1/me/follow-requests/${fan.user.id}/approve`, {
            token: shy.accessToken,
          })
        ).status,
      ).toBe(404);

      const other = await registerUser(t.app);
      await follow(t, other, shy);
      expect(
        (
          await call(t.app, 'POST', `/api/v1/me/follow-requests/${other.user.id}/reject`, {
            token: shy.accessToken,
          })
        ).status,
      ).toBe(204);
      expect((await user(shy, other)).body.relationship).toMatchObject({
        following: false,
        requested: false,
      });
      await follow(t, other, shy);
      expect(
        (await call(t.app, 'DELETE', `/api/v1/users/${shy.user.id}/follow`, { token: other.accessToken }))
          .body,
      ).toEqual({ status: 'none' });
      expect(ids(await call(t.app, 'GET', '/api/v1/me/follow-requests', { token: shy.accessToken }))).toEqual(
        [],
      );
      expect(
        (await call(t.app, 'DELETE', `/api/v1/users/${star.user.id}/follow`, { token: fan.accessToken }))
          .body,
      ).toEqual({ status: 'none' });
      expect((await user(star)).body.followerCount).toBe(0);
      expect(await countersExact()).toEqual([]);
    });

    it('refuses to follow yourself (400) and someone who blocks you (404)', async () => {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      const self = await follow(t, a, a);
      expect([self.status, self.body.error.code]).toEqual([400, 'cannot_follow_self']);
      await call(t.app, 'POST', `/api/v1/users/${a.user.id}/block`, { token: b.accessToken });
      const blocked = await follow(t, a, b);
      expect([blocked.status, blocked.body.error.code]).toEqual([404, 'not_found']);
      // Indistinguishable from an account that does not exist.
      const missing = await call(t.app, 'POST', '/api/v1/users/123456789/follow', { token: a.accessToken });
      expect(missing.body).toEqual(blocked.body);
    });

    it('hides follower lists of private accounts from non-followers', async () => {
      const owner = await registerUser(t.app);
      const friend = await registerUser(t.app);
      const outsider = await registerUser(t.app);
      await follow(t, friend, owner);
      await makePrivate(t, owner);
      for (const which of ['followers', 'following'] as const) {
        expect((await list(owner, which)).status).toBe(404);
        expect((await list(owner, which, outsider)).status).toBe(404);
        expect((await list(owner, which, friend)).status).toBe(200);
        expect((await list(owner, which, owner)).status).toBe(200);
      }
      expect(ids(await list(owner, 'followers', friend))).toEqual([friend.user.id]);
    });

    it('pages follower lists newest first, without skips or repeats', async () => {
      const owner = await registerUser(t.app);
      const fans: string[] = [];
      for (let i = 0; i < 7; i++) {
        const fan = await registerUser(t.app);
        await follow(t, fan, owner);
        fans.push(fan.user.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const reply = await list(
          owner,
          'followers',
          undefined,
          `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...ids(reply));
        cursor = reply.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...fans].reverse());
    });

    it('a block removes follows both ways, hides both from each other, and blocks following back', async () => {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      const c = await registerUser(t.app);
      await follow(t, a, b);
      await follow(t, b, a);
      await follow(t, c, a);
      const post = await createPost(t, a);
      expect(
        (await call(t.app, 'POST', `/api/v1/users/${b.user.id}/block`, { token: a.accessToken })).status,
      ).toBe(204);
      expect(
        (await call(t.app, 'POST', `/api/v1/users/${b.user.id}/block`, { token: a.accessToken })).status,
      ).toBe(204);
      expect((await user(a)).body).toMatchObject({ followerCount: 1, followingCount: 0 });
      expect((await user(b)).body).toMatchObject({ followerCount: 0, followingCount: 0 });
      // Neither sees the other: profile, posts, lists.
      expect((await user(a, b)).status).toBe(404);
      expect((await user(b, a)).status).toBe(404);
      expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`, { token: b.accessToken })).status).toBe(
        404,
      );
      expect(
        (await call(t.app, 'GET', `/api/v1/users/${a.user.id}/posts`, { token: b.accessToken })).status,
      ).toBe(404);
      // And never inside someone else's list.
      await follow(t, b, c);
      expect(ids(await list(c, 'followers', a))).not.toContain(b.user.id);
      expect(ids(await list(c, 'followers'))).toContain(b.user.id);
      expect((await follow(t, b, a)).status).toBe(404);
      expect((await follow(t, a, b)).status).toBe(404);
      // Unblocking restores visibility, not the old follows.
      expect(
        (await call(t.app, 'DELETE', `/api/v1/users/${b.user.id}/block`, { token: a.accessToken })).status,
      ).toBe(204);
      expect((await user(a, b)).body.relationship).toMatchObject({
        following: false,
        followedBy: false,
        blocking: false,
      });
      expect(await countersExact()).toEqual([]);
    });

    it('lists the accounts I blocked (id and username only), paged, and only mine', async () => {
      const me = await registerUser(t.app);
      const others = [await registerUser(t.app), await registerUser(t.app), await registerUser(t.app)];
      const stranger = await registerUser(t.app);
      for (const other of others)
        await call(t.app, 'POST', `/api/v1/users/${other.user.id}/block`, { token: me.accessToken });
      // Someone else's block of me is not on my list.
      await call(t.app, 'POST', `/api/v1/users/${me.user.id}/block`, { token: stranger.accessToken });
      const blocks = (query = '') =>
        call(t.app, 'GET', `/api/v1/me/blocks${query}`, { token: me.accessToken });

      const first = await blocks('?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.accounts).toHaveLength(2);
      expect(Object.keys(first.body.accounts[0]).sort()).toEqual(['blockedAt', 'id', 'username']);
      const second = await blocks(`?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.nextCursor).toBeNull();
      const listed = [...first.body.accounts, ...second.body.accounts];
      const newestFirst = [...others].reverse();
      expect(listed.map((a: { id: string }) => a.id)).toEqual(newestFirst.map((o) => o.user.id));
      expect(listed.map((a: { username: string }) => a.username)).toEqual(
        newestFirst.map((o) => o.user.username),
      );

      await call(t.app, 'DELETE', `/api/v1/users/${others[1]!.user.id}/block`, { token: me.accessToken });
      expect((await blocks()).body.accounts.map((a: { id: string }) => a.id)).toEqual([
        others[2]!.user.id,
        others[0]!.user.id,
      ]);
      expect((await call(t.app, 'GET', '/api/v1/me/blocks', { token: others[0]!.accessToken })).body).toEqual(
        {
          accounts: [],
          nextCursor: null,
        },
      );
    });

    it('a mute changes nothing but the relationship flag', async () => {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      await follow(t, a, b);
      const post = await createPost(t, b);
      expect(
        (await call(t.app, 'POST', `/api/v1/users/${b.user.id}/mute`, { token: a.accessToken })).status,
      ).toBe(204);
      expect((await user(b, a)).body.relationship).toMatchObject({ following: true, muting: true });
      expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`, { token: a.accessToken })).status).toBe(
        200,
      );
      expect(
        (await call(t.app, 'DELETE', `/api/v1/users/${b.user.id}/mute`, { token: a.accessToken })).status,
      ).toBe(204);
      expect((await user(b, a)).body.relationship.muting).toBe(false);
    });

    it('graph changes leave outbox events for the feed', async () => {
      const a = await registerUser(t.app);
      const b = await registerUser(t.app);
      await follow(t, a, b);
      await call(t.app, 'POST', `/api/v1/users/${b.user.id}/mute`, { token: a.accessToken });
      await call(t.app, 'POST', `/api/v1/users/${b.user.id}/block`, { token: a.accessToken });
      const { rows } = await sql<{ topic: string }>`
        SELECT topic FROM outbox WHERE payload->>'followerId' = ${a.user.id} OR payload->>'muterId' = ${a.user.id} OR payload->>'blockerId' = ${a.user.id}
         ORDER BY id`.execute(t.infra.store.db);
      expect(rows.map((r) => r.topic)).toEqual([
        'follow.created',
        'mute.created',
        'follow.removed',
        'block.created',
      ]);
    });

    it('50 concurrent follow/unfollow toggles keep every counter equal to its edges', async () => {
      const people = await Promise.all(Array.from({ length: 6 }, () => registerUser(t.app)));
      const ops = Array.from({ length: 50 }, (_, i) => {
        const from = people[i % 6]!;
        const to = people[(i * 7 + 1) % 6]!;
        const method = i % 3 === 0 ? 'DELETE' : 'POST';
        return from === to
          ? null
          : call(t.app, method, `/api/v1/users/${to.user.id}/follow`, { token: from.accessToken });
      });
      const replies = await Promise.all(ops.filter(Boolean));
      expect(replies.every((r) => r!.status === 200)).toBe(true);
      expect(await countersExact()).toEqual([]);
    });
  });
}
