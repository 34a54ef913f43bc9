/**
 * Discovery on both shapes: user search (prefix, typos, ranking, blocks), hashtag search,
 * caption search through the visibility policy, hashtag pages, explore (score, decay, the
 * recompute job, mutes, blocks, private and deleted posts, paging across a recompute) and
 * trending hashtags. Every list is walked page by page with small pages to catch repeats.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { jobs } from '../../src/jobs/catalogue.js';
import { recomputeDiscovery } from '../../src/search/search.worker.js';
import { createJobHandlers } from '../../src/wiring.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, type Reply } from '../support/client.js';
import { insertUsers, type FastUser } from '../support/fast-users.js';
import { readyMedia } from '../support/world.js';

interface Person {
  username: string;
  displayName?: string;
  followers?: number;
  isPrivate?: boolean;
}

/** Users with chosen names and follower counts (the ranking reads the counter). */
async function people<const T extends readonly Person[]>(
  t: TestApp,
  specs: T,
): Promise<{ -readonly [K in keyof T]: FastUser }> {
  const users = await insertUsers(
    t,
    specs.map((s) => ({ isPrivate: s.isPrivate ?? false })),
  );
  await sql`
    UPDATE users SET username = x.username, display_name = x.display_name, follower_count = x.followers
      FROM unnest(${users.map((u) => u.id)}::bigint[], ${specs.map((s) => s.username)}::text[],
                  ${specs.map((s) => s.displayName ?? '')}::text[], ${specs.map((s) => s.followers ?? 0)}::int[])
           AS x (id, username, display_name, followers)
     WHERE users.id = x.id`.execute(t.infra.store.db);
  return users.map((u, i) => ({ ...u, username: specs[i]!.username })) as {
    -readonly [K in keyof T]: FastUser;
  };
}

async function post(t: TestApp, author: FastUser, caption: string): Promise<string> {
  const media = await readyMedia(t, author.id);
  const reply = await call(t.app, 'POST', '/api/v1/posts', {
    token: author.token,
    body: { mediaIds: [media], caption },
  });
  if (reply.status !== 201) throw new Error(`post failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.id as string;
}

async function act(
  t: TestApp,
  who: FastUser,
  method: 'POST' | 'DELETE' | 'PATCH',
  path: string,
  body?: unknown,
) {
  const reply = await call(t.app, method, `/api/v1${path}`, { token: who.token, ...(body ? { body } : {}) });
  expect(reply.status, `${method} ${path}`).toBeLessThan(300);
}

/** Moves a post back in time (explore and trending read published_at). */
const age = (t: TestApp, postId: string, hours: number) =>
  sql`UPDATE posts SET published_at = now() - ${hours}::double precision * interval '1 hour' WHERE id = ${postId}`.execute(
    t.infra.store.db,
  );

const engage = (t: TestApp, postId: string, likes: number, comments = 0) =>
  sql`UPDATE posts SET like_count = ${likes}, comment_count = ${comments} WHERE id = ${postId}`.execute(
    t.infra.store.db,
  );

/** Every page of a list, checking that no item repeats; returns the keys in order. */
async function walk<T>(
  t: TestApp,
  url: string,
  key: string,
  id: (item: T) => string,
  options: { limit: number; viewer?: FastUser },
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const reply: Reply = await call(
      t.app,
      'GET',
      `${url}${sep}limit=${options.limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      options.viewer ? { token: options.viewer.token } : {},
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const items = reply.body[key] as T[];
    seen.push(...items.map(id));
    cursor = reply.body.nextCursor;
    // Lists filter in SQL: a page with more to come is always full, never thinned afterwards.
    if (cursor) expect(items).toHaveLength(options.limit);
    else expect(items.length).toBeLessThanOrEqual(options.limit);
    if (++pages > 200) throw new Error('runaway paging');
  } while (cursor);
  expect(new Set(seen).size, `repeats in ${seen.join(',')}`).toBe(seen.length);
  return seen;
}

const byId = (x: { id: string }) => x.id;
const byName = (x: { name: string }) => x.name;
const searchUsers = (t: TestApp, q: string, viewer?: FastUser, limit = 2) =>
  walk(t, `/api/v1/search?type=users&q=${encodeURIComponent(q)}`, 'users', byId, {
    limit,
    ...(viewer && { viewer }),
  });
const searchPosts = (t: TestApp, q: string, viewer?: FastUser, limit = 2) =>
  walk(t, `/api/v1/search?type=posts&q=${encodeURIComponent(q)}`, 'posts', byId, {
    limit,
    ...(viewer && { viewer }),
  });
const explore = (t: TestApp, viewer?: FastUser, limit = 100) =>
  walk(t, '/api/v1/explore', 'posts', byId, { limit, ...(viewer && { viewer }) });
const only = (list: string[], ids: string[]) => list.filter((id) => ids.includes(id));

for (const shape of await availableShapes()) {
  describe(`discovery (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape);
    });
    afterAll(() => t?.close());

    describe('user search', () => {
      let u: Record<string, FastUser>;
      beforeAll(async () => {
        const specs: Person[] = [
          { username: 'anna', followers: 1 },
          { username: 'zz_someone', displayName: 'Anna', followers: 0 },
          { username: 'annabelle', followers: 900 },
          { username: 'anna_k', followers: 10 },
          { username: 'hanna', followers: 5000 },
          { username: 'margaretha_w', displayName: 'Margaretha Weiss', followers: 3 },
          { username: 'blocker_anna2', followers: 2 },
          { username: 'blocked_anna3', followers: 2 },
          { username: 'viewer_x' },
        ];
        const list = await people(t, specs);
        u = Object.fromEntries(list.map((p) => [p.username, p]));
      });

      it('ranks exact matches, then prefixes, then fuzzy ones, each by follower count', async () => {
        const found = await searchUsers(t, 'anna', u.viewer_x, 100);
        const ids = (...names: string[]) => names.map((n) => u[n]!.id);
        expect(only(found, ids('anna', 'zz_someone', 'annabelle', 'anna_k', 'hanna'))).toEqual(
          ids('anna', 'zz_someone', 'annabelle', 'anna_k', 'hanna'),
        );
        // Exact and prefix matches come before every fuzzy one, whatever the followers.
        expect(found.indexOf(u.hanna!.id)).toBeGreaterThan(found.indexOf(u.anna_k!.id));
        // Same list page by page, with a leading @, in capitals.
        expect(await searchUsers(t, '@ANNA', u.viewer_x, 2)).toEqual(found);
      });

      it('finds prefixes of usernames and display names, and typos', async () => {
        expect(await searchUsers(t, 'marg')).toContain(u.margaretha_w!.id);
        expect(await searchUsers(t, 'Margaretha W')).toContain(u.margaretha_w!.id);
        // A letter missing, and a word of the display name with a letter missing.
        expect(await searchUsers(t, 'margareta')).toContain(u.margaretha_w!.id);
        expect(await searchUsers(t, 'weis')).toContain(u.margaretha_w!.id);
        expect(await searchUsers(t, 'qqqqzzzz')).toEqual([]);
        // LIKE syntax is literal: "_" does not match any character.
        expect(await searchUsers(t, 'anna_')).toEqual(expect.arrayContaining([u.anna_k!.id]));
        expect(await searchUsers(t, '%')).toEqual([]);
        expect(await searchUsers(t, '_')).toEqual([]);
      });

      it('leaves out accounts with a block either way, for that viewer only', async () => {
        await act(t, u.blocker_anna2!, 'POST', `/users/${u.viewer_x!.id}/block`);
        await act(t, u.viewer_x!, 'POST', `/users/${u.blocked_anna3!.id}/block`);
        const mine = await searchUsers(t, 'anna', u.viewer_x, 1);
        expect(mine).not.toContain(u.blocker_anna2!.id);
        expect(mine).not.toContain(u.blocked_anna3!.id);
        const anonymous = await searchUsers(t, 'anna', undefined, 100);
        expect(anonymous).toEqual(expect.arrayContaining([u.blocker_anna2!.id, u.blocked_anna3!.id]));
        // The blocker does not find the viewer either.
        expect(await searchUsers(t, 'viewer_x', u.blocker_anna2)).toEqual([]);
      });

      it('answers users as the API shows them, with the relationship for a signed-in viewer', async () => {
        const reply = await call(t.app, 'GET', '/api/v1/search?type=users&q=margaretha_w', {
          token: u.viewer_x!.token,
        });
        expect(reply.body).toEqual({ users: [expect.any(Object)], nextCursor: null });
        expect(reply.body.users[0]).toMatchObject({
          id: u.margaretha_w!.id,
          username: 'margaretha_w',
          displayName: 'Margaretha Weiss',
          followerCount: 3,
          relationship: { following: false, blocking: false },
        });
      });
    });

    describe('hashtag search and hashtag pages', () => {
      let a: FastUser, b: FastUser, hidden: FastUser, blocker: FastUser, viewer: FastUser;
      const posts: Record<string, string> = {};
      beforeAll(async () => {
        [a, b, hidden, blocker, viewer] = await people(t, [
          { username: 'tag_a' },
          { username: 'tag_b' },
          { username: 'tag_hidden', isPrivate: true },
          { username: 'tag_blocker' },
          { username: 'tag_viewer' },
        ]);
        posts.s1 = await post(t, a, 'first #sunset');
        posts.s2 = await post(t, b, 'again #Sunset and #sundae');
        posts.s3 = await post(t, a, '#SUNSET #sundae');
        posts.sun = await post(t, b, 'just #sun');
        posts.rise = await post(t, a, '#sunrise');
        posts.gone = await post(t, a, '#sunset soon deleted, #sunbeam too');
        posts.priv = await post(t, hidden, 'private #sunset');
        posts.blk = await post(t, blocker, 'blocking #sunset');
        await act(t, a, 'DELETE', `/posts/${posts.gone}`);
        await act(t, blocker, 'POST', `/users/${viewer.id}/block`);
      });

      it('finds tags by prefix with their post counts: the exact tag, then the most used', async () => {
        const reply = await call(t.app, 'GET', '/api/v1/search?type=hashtags&q=sun');
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({
          hashtags: [
            { name: 'sun', postCount: 1 },
            { name: 'sunset', postCount: 5 },
            { name: 'sundae', postCount: 2 },
            { name: 'sunrise', postCount: 1 },
          ],
          nextCursor: null,
        });
        // Deleted posts do not count, and a tag left without posts is not offered.
        const names = await walk(t, '/api/v1/search?type=hashtags&q=%23SUN', 'hashtags', byName, {
          limit: 1,
        });
        expect(names).toEqual(['sun', 'sunset', 'sundae', 'sunrise']);
        expect(
          await walk(t, '/api/v1/search?type=hashtags&q=sunb', 'hashtags', byName, { limit: 5 }),
        ).toEqual([]);
      });

      it('lists a tag’s visible posts newest first, page by page, whatever case the name has', async () => {
        const visible = [posts.s3!, posts.s2!, posts.s1!];
        expect(await walk(t, '/api/v1/hashtags/sunset/posts', 'posts', byId, { limit: 2, viewer })).toEqual(
          visible,
        );
        expect(await walk(t, '/api/v1/hashtags/SunSet/posts', 'posts', byId, { limit: 1 })).toEqual([
          posts.blk,
          posts.s3,
          posts.s2,
          posts.s1,
        ]);
        // The private account's follower sees its post too.
        const fan = (await people(t, [{ username: 'tag_fan' }]))[0]!;
        await act(t, fan, 'POST', `/users/${hidden.id}/follow`);
        await act(t, hidden, 'POST', `/me/follow-requests/${fan.id}/approve`);
        expect(
          await walk(t, '/api/v1/hashtags/sunset/posts', 'posts', byId, { limit: 3, viewer: fan }),
        ).toEqual([posts.blk, posts.priv, posts.s3, posts.s2, posts.s1]);
      });

      it('answers an unused tag with an empty list, and hydrates posts fully', async () => {
        const reply = await call(t.app, 'GET', '/api/v1/hashtags/neverusedtag/posts');
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ posts: [], nextCursor: null });
        const one = await call(t.app, 'GET', '/api/v1/hashtags/sun/posts');
        expect(one.body.posts).toHaveLength(1);
        expect(one.body.posts[0]).toMatchObject({ id: posts.sun, hashtags: ['sun'], author: { id: b.id } });
      });
    });

    describe('caption search', () => {
      let pub: FastUser, priv: FastUser, fan: FastUser, stranger: FastUser, blocked: FastUser;
      const p: Record<string, string> = {};
      beforeAll(async () => {
        [pub, priv, fan, stranger, blocked] = await people(t, [
          { username: 'cap_pub' },
          { username: 'cap_priv', isPrivate: true },
          { username: 'cap_fan' },
          { username: 'cap_stranger' },
          { username: 'cap_blocked' },
        ]);
        await act(t, fan, 'POST', `/users/${priv.id}/follow`);
        await act(t, priv, 'POST', `/me/follow-requests/${fan.id}/approve`);
        p.beach = await post(t, pub, 'Golden hour at the beach #Golden');
        p.secret = await post(t, priv, 'golden beach, only for friends');
        p.deleted = await post(t, pub, 'golden but deleted');
        p.blocked = await post(t, blocked, 'golden from someone blocked');
        p.cafe = await post(t, pub, 'Café crème à Paris, 東京タワー');
        await act(t, pub, 'DELETE', `/posts/${p.deleted}`);
        await act(t, stranger, 'POST', `/users/${blocked.id}/block`);
      });

      it('finds visible posts only: not private-unfollowed, deleted or blocked ones', async () => {
        expect(await searchPosts(t, 'golden', stranger)).toEqual([p.beach]);
        expect(await searchPosts(t, 'golden', fan)).toEqual([p.blocked, p.secret, p.beach]);
        expect(await searchPosts(t, 'golden')).toEqual([p.blocked, p.beach]);
        expect(await searchPosts(t, 'golden', priv)).toEqual([p.blocked, p.secret, p.beach]);
      });

      it('matches every word, the last one as a prefix, in any language', async () => {
        expect(await searchPosts(t, 'beach gold', fan)).toEqual([p.secret, p.beach]);
        expect(await searchPosts(t, 'GOLDEN   HOUR!', fan)).toEqual([p.beach]);
        expect(await searchPosts(t, 'golden hours', fan)).toEqual([]);
        expect(await searchPosts(t, 'café')).toEqual([p.cafe]);
        expect(await searchPosts(t, 'paris crè')).toEqual([p.cafe]);
        expect(await searchPosts(t, '東京')).toEqual([p.cafe]);
        // Nothing searchable (tsquery syntax, punctuation): nothing found, no error.
        expect(await searchPosts(t, "!:* & | ' ")).toEqual([]);
        expect(await searchPosts(t, "golden' | 'x")).toEqual([]);
      });

      it('pages newest first without repeats while new posts arrive', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await post(t, pub, `pagingword number ${i}`));
        const first = await call(t.app, 'GET', '/api/v1/search?type=posts&q=pagingword&limit=2');
        expect(first.body.posts.map(byId)).toEqual([ids[4], ids[3]]);
        await post(t, pub, 'pagingword arriving late');
        const rest = await call(
          t.app,
          'GET',
          `/api/v1/search?type=posts&q=pagingword&limit=10&cursor=${first.body.nextCursor}`,
        );
        expect(rest.body).toEqual({ posts: expect.any(Array), nextCursor: null });
        expect(rest.body.posts.map(byId)).toEqual([ids[2], ids[1], ids[0]]);
      });
    });

    describe('explore', () => {
      let author: FastUser, other: FastUser, priv: FastUser, muted: FastUser, blocker: FastUser;
      let viewer: FastUser, turning: FastUser;
      const p: Record<string, string> = {};
      const mine = () => Object.values(p);
      beforeAll(async () => {
        [author, other, priv, muted, blocker, viewer, turning] = await people(t, [
          { username: 'ex_author' },
          { username: 'ex_other' },
          { username: 'ex_private', isPrivate: true },
          { username: 'ex_muted' },
          { username: 'ex_blocker' },
          { username: 'ex_viewer' },
          { username: 'ex_turning' },
        ]);
        p.fresh = await post(t, author, 'fresh, commented');
        p.newLow = await post(t, other, 'new, a few likes');
        p.oldPopular = await post(t, author, 'two days old, popular');
        p.tooOld = await post(t, other, 'four days old, very popular');
        p.priv = await post(t, priv, 'private, popular');
        p.muted = await post(t, muted, 'muted, popular');
        p.blocker = await post(t, blocker, 'blocker, popular');
        p.turning = await post(t, turning, 'turns private later');
        p.deleted = await post(t, other, 'deleted later');
        await age(t, p.fresh!, 1);
        await engage(t, p.fresh!, 0, 10); // (0 + 20 + 1) / 3^1.5 ≈ 4.04
        await engage(t, p.newLow!, 3); // (3 + 1) / 2^1.5 ≈ 1.41
        await age(t, p.oldPopular!, 48);
        await engage(t, p.oldPopular!, 50); // 51 / 50^1.5 ≈ 0.14
        await age(t, p.tooOld!, 100);
        await engage(t, p.tooOld!, 100_000);
        for (const id of [p.priv, p.muted, p.blocker, p.turning, p.deleted]) await engage(t, id!, 20);
        await act(t, viewer, 'POST', `/users/${muted.id}/mute`);
        await act(t, blocker, 'POST', `/users/${viewer.id}/block`);
        // Following a private account does not put its posts in explore.
        await act(t, viewer, 'POST', `/users/${priv.id}/follow`);
        await act(t, priv, 'POST', `/me/follow-requests/${viewer.id}/approve`);
      });

      it('is empty until the job has ranked anything', async () => {
        // Nothing ranked yet on a fresh database: requests never score posts themselves.
        expect(only(await explore(t), mine())).toEqual([]);
      });

      it('orders public recent posts by score, decayed by age, and leaves out old and private ones', async () => {
        await recomputeDiscovery(t.infra.store.db);
        const anonymous = only(await explore(t), mine());
        // Equal scores (20 likes, just now) rank the newer post first.
        expect(anonymous).toEqual([
          p.deleted,
          p.turning,
          p.blocker,
          p.muted,
          p.fresh,
          p.newLow,
          p.oldPopular,
        ]);
        expect(anonymous).not.toContain(p.tooOld);
        expect(anonymous).not.toContain(p.priv);
      });

      it('leaves out what the viewer mutes or is blocked from, and what changed since the ranking', async () => {
        await act(t, other, 'DELETE', `/posts/${p.deleted}`);
        await act(t, turning, 'PATCH', '/me', { isPrivate: true });
        const forViewer = only(await explore(t, viewer), mine());
        expect(forViewer).toEqual([p.fresh, p.newLow, p.oldPopular]);
        const anonymous = only(await explore(t), mine());
        expect(anonymous).toEqual([p.blocker, p.muted, p.fresh, p.newLow, p.oldPopular]);
        // Blocking works both ways: the blocker does not see the viewer's posts either.
        const viewersPost = await post(t, viewer, 'viewer posts');
        await engage(t, viewersPost, 1000);
        await recomputeDiscovery(t.infra.store.db);
        expect(await explore(t, blocker)).not.toContain(viewersPost);
        expect(await explore(t, author)).toContain(viewersPost);
        await engage(t, viewersPost, 0);
        await age(t, viewersPost, 200);
      });

      it('changes only when the job recomputes, and a walk keeps its generation across a recompute', async () => {
        await recomputeDiscovery(t.infra.store.db);
        const before = only(await explore(t, viewer), mine());
        expect(before).toEqual([p.fresh, p.newLow, p.oldPopular]);
        await engage(t, p.oldPopular!, 100_000);
        expect(only(await explore(t, viewer), mine())).toEqual(before);

        // A walk started before the recompute continues on its own generation.
        const all = await explore(t, viewer);
        const first = await call(t.app, 'GET', '/api/v1/explore?limit=2', { token: viewer.token });
        await recomputeDiscovery(t.infra.store.db);
        const seen = first.body.posts.map(byId);
        let cursor = first.body.nextCursor as string | null;
        while (cursor) {
          const next = await call(t.app, 'GET', `/api/v1/explore?limit=2&cursor=${cursor}`, {
            token: viewer.token,
          });
          seen.push(...next.body.posts.map(byId));
          cursor = next.body.nextCursor;
        }
        expect(seen).toEqual(all);

        // A fresh walk sees the new ranking.
        expect(only(await explore(t, viewer), mine())).toEqual([p.oldPopular, p.fresh, p.newLow]);
      });

      it('is recomputed by the discovery.rank job on the frequent maintenance tick', async () => {
        expect(jobs['discovery.rank'].topics).toEqual(['maintenance.frequent']);
        const handler = createJobHandlers(t.infra, t.config, pino({ level: 'silent' }), t.metrics)[
          'discovery.rank'
        ];
        const newest = async () =>
          (
            await t.infra.store.db
              .selectFrom('explore_generations')
              .select((eb) => eb.fn.max('generation').as('g'))
              .executeTakeFirstOrThrow()
          ).g;
        const before = await newest();
        await handler(
          { at: new Date().toISOString() },
          {
            id: 'test',
            queue: 'discovery.rank',
            topic: 'maintenance.frequent',
            attempt: 1,
            signal: new AbortController().signal,
          },
        );
        expect(BigInt((await newest())!)).toBeGreaterThan(BigInt(before!));
      });

      it('continues an expired generation’s cursor in the newest one', async () => {
        const first = await call(t.app, 'GET', '/api/v1/explore?limit=1');
        await sql`UPDATE explore_generations SET computed_at = now() - interval '2 hours'`.execute(
          t.infra.store.db,
        );
        await recomputeDiscovery(t.infra.store.db);
        const { n } = await t.infra.store.db
          .selectFrom('explore_generations')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(n)).toBe(1);
        const next = await call(t.app, 'GET', `/api/v1/explore?limit=1&cursor=${first.body.nextCursor}`);
        expect(next.status).toBe(200);
        expect(next.body.posts).toHaveLength(1);
      });
    });

    describe('trending hashtags', () => {
      let a: FastUser, b: FastUser, priv: FastUser;
      const trending = async (limit = 50) => {
        const reply = await call(t.app, 'GET', `/api/v1/hashtags/trending?limit=${limit}`);
        expect(reply.status).toBe(200);
        return reply.body.hashtags as { name: string; postCount: number }[];
      };
      const mineOf = (list: { name: string }[]) => list.filter((h) => h.name.startsWith('tr'));
      beforeAll(async () => {
        [a, b, priv] = await people(t, [
          { username: 'tr_a' },
          { username: 'tr_b' },
          { username: 'tr_priv', isPrivate: true },
        ]);
        for (let i = 0; i < 3; i++) await post(t, i % 2 ? a : b, `#trrising ${i}`);
        for (let i = 0; i < 2; i++) await post(t, a, `#trsmall ${i}`);
        // Busy every day of the baseline week: two a day, two today. Not rising.
        for (let i = 0; i < 16; i++) {
          const id = await post(t, b, `#trsteady ${i}`);
          if (i >= 2) await age(t, id, 24 + 12 * (i - 2));
        }
        for (let i = 0; i < 3; i++) await post(t, priv, `#trprivate ${i}`);
        for (let i = 0; i < 3; i++) await age(t, await post(t, a, `#trold ${i}`), 30);
        await post(t, a, '#tronce');
        const gone = await post(t, a, '#trdeleted #trrising');
        await post(t, b, '#trdeleted');
        await act(t, a, 'DELETE', `/posts/${gone}`);
      });

      it('lists tags rising in the last day, with their public post counts there', async () => {
        expect(mineOf(await trending())).toEqual([]);
        await recomputeDiscovery(t.infra.store.db);
        expect(mineOf(await trending())).toEqual([
          { name: 'trrising', postCount: 3 },
          { name: 'trsmall', postCount: 2 },
        ]);
        expect(await trending(1)).toHaveLength(1);
      });

      it('changes only when the job recomputes', async () => {
        for (let i = 0; i < 4; i++) await post(t, b, `#trsmall later ${i}`);
        expect(mineOf(await trending()).map(byName)).toEqual(['trrising', 'trsmall']);
        await recomputeDiscovery(t.infra.store.db);
        expect(mineOf(await trending())).toEqual([
          { name: 'trsmall', postCount: 6 },
          { name: 'trrising', postCount: 3 },
        ]);
      });
    });
  });
}
