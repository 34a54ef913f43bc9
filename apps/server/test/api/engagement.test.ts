/**
 * Likes, comments and saves on both shapes: idempotency and exact counters (also under 200
 * concurrent likers and like/unlike storms), likedByMe/savedByMe on every Post the API returns,
 * likers, comments and saved posts paged with cursors, delete rights, blocks hiding comments
 * and likers both ways, private accounts, deleted posts, outbox events and rate limits (shared
 * by two API processes in the service shape).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/http/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createServices, openInfrastructure } from '../../src/wiring.js';
import { availableShapes, startTestApp, TEST_QUEUE_RETRY, type TestApp } from '../support/app.js';
import { call, type Reply } from '../support/client.js';
import { insertUsers, type FastUser } from '../support/fast-users.js';
import { createPostId } from '../support/feed.js';

type Method = 'GET' | 'POST' | 'DELETE';
const api = <T = any>(app: App, method: Method, path: string, user?: FastUser, body?: unknown) =>
  call<T>(app, method, `/api/v1${path}`, {
    ...(user ? { token: user.token } : {}),
    ...(body !== undefined ? { body } : {}),
  });

/** Every page of a list, following nextCursor; anything but 200 throws. */
async function walk<T>(app: App, path: string, key: string, user?: FastUser, limit = 2): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const reply: Reply = await api(
      app,
      'GET',
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      user,
    );
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    const page = reply.body[key] as T[];
    // Pages are full but for the last one: filtering happens in SQL, not after the fact.
    if (reply.body.nextCursor) expect(page).toHaveLength(limit);
    items.push(...page);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return items;
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

for (const shape of await availableShapes()) {
  describe(`engagement (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape);
    });
    afterAll(() => t?.close());

    const users = (n: number, spec: { isPrivate?: boolean } = {}) =>
      insertUsers(
        t,
        Array.from({ length: n }, () => spec),
      );
    const post = (user: FastUser) => createPostId(t, user);
    const getPost = (id: string, user?: FastUser) => api(t.app, 'GET', `/posts/${id}`, user);
    const outbox = async (topic: string, postId: string) =>
      (
        await t.infra.store.db
          .selectFrom('outbox')
          .select('payload')
          .where('topic', '=', topic)
          .where('aggregate_id', '=', postId)
          .execute()
      ).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
    const likeRows = async (postId: string) =>
      Number(
        (
          await t.infra.store.db
            .selectFrom('likes')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('post_id', '=', postId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('likes and unlikes idempotently, with an exact count and one like.created per new like', async () => {
      const [author, fan, other] = await users(3);
      const id = await post(author!);
      for (let i = 0; i < 2; i++) {
        const liked = await api(t.app, 'POST', `/posts/${id}/like`, fan);
        expect([liked.status, liked.body]).toEqual([200, { likeCount: 1, likedByMe: true }]);
      }
      expect(await outbox('like.created', id)).toEqual([{ postId: id, userId: fan!.id }]);
      expect((await getPost(id, fan)).body).toMatchObject({ likeCount: 1, likedByMe: true });
      expect((await getPost(id, other)).body).toMatchObject({ likeCount: 1, likedByMe: false });
      expect((await getPost(id)).body).toMatchObject({ likeCount: 1, likedByMe: false });

      expect((await api(t.app, 'POST', `/posts/${id}/like`, other)).body.likeCount).toBe(2);
      for (let i = 0; i < 2; i++) {
        const unliked = await api(t.app, 'DELETE', `/posts/${id}/like`, fan);
        expect([unliked.status, unliked.body]).toEqual([200, { likeCount: 1, likedByMe: false }]);
      }
      expect((await getPost(id, fan)).body).toMatchObject({ likeCount: 1, likedByMe: false });
      expect(await likeRows(id)).toBe(1);
      // A new like after an unlike is a new row, so it is a new event (notifications dedupe).
      await api(t.app, 'POST', `/posts/${id}/like`, fan);
      expect(await outbox('like.created', id)).toHaveLength(3);
    });

    it('shows likedByMe and savedByMe on GET /posts/{id}, /feed, /users/{id}/posts and /me/saved', async () => {
      const [me, stranger] = await users(2);
      const liked = await post(me!);
      const saved = await post(me!);
      const both = await post(me!);
      const neither = await post(me!);
      for (const id of [liked, both]) await api(t.app, 'POST', `/posts/${id}/like`, me);
      for (const id of [saved, both]) await api(t.app, 'POST', `/posts/${id}/save`, me);
      const expected = {
        [liked]: [true, false],
        [saved]: [false, true],
        [both]: [true, true],
        [neither]: [false, false],
      };
      const flags = (posts: { id: string; likedByMe: boolean; savedByMe: boolean }[]) =>
        Object.fromEntries(posts.map((p) => [p.id, [p.likedByMe, p.savedByMe]]));
      const single = await Promise.all([liked, saved, both, neither].map((id) => getPost(id, me)));
      expect(flags(single.map((r) => r.body))).toEqual(expected);
      expect(flags((await api(t.app, 'GET', '/feed', me)).body.posts)).toEqual(expected);
      expect(flags((await api(t.app, 'GET', `/users/${me!.id}/posts`, me)).body.posts)).toEqual(expected);
      const mine = (await api(t.app, 'GET', '/me/saved', me)).body.posts;
      expect(ids(mine)).toEqual([both, saved]);
      expect(flags(mine)).toEqual({ [both]: [true, true], [saved]: [false, true] });
      // Nobody else's flags: another viewer and an anonymous one see none of them.
      const theirs = (await api(t.app, 'GET', `/users/${me!.id}/posts`, stranger)).body.posts;
      expect(
        theirs.every((p: { likedByMe: boolean; savedByMe: boolean }) => !p.likedByMe && !p.savedByMe),
      ).toBe(true);
      expect((await getPost(both)).body).toMatchObject({ likedByMe: false, savedByMe: false, likeCount: 1 });
    });

    it('saves and unsaves idempotently; /me/saved pages newest save first and drops deleted or hidden posts', async () => {
      const [me, friend, blocker] = await users(3);
      const posts: string[] = [];
      for (let i = 0; i < 4; i++) posts.push(await post(friend!));
      const blocked = await post(blocker!);
      const deleted = await post(friend!);
      for (const id of [posts[0]!, blocked, posts[1]!, deleted, posts[2]!, posts[3]!]) {
        for (let i = 0; i < 2; i++) {
          const reply = await api(t.app, 'POST', `/posts/${id}/save`, me);
          expect([reply.status, reply.body]).toEqual([200, { savedByMe: true }]);
        }
      }
      const unsave = await api(t.app, 'DELETE', `/posts/${posts[3]}/save`, me);
      expect([unsave.status, unsave.body]).toEqual([200, { savedByMe: false }]);
      expect((await api(t.app, 'DELETE', `/posts/${posts[3]}/save`, me)).body).toEqual({ savedByMe: false });
      expect(ids(await walk(t.app, '/me/saved', 'posts', me))).toEqual([
        posts[2],
        deleted,
        posts[1],
        blocked,
        posts[0],
      ]);

      await api(t.app, 'DELETE', `/posts/${deleted}`, friend);
      await api(t.app, 'POST', `/users/${me!.id}/block`, blocker);
      // Both drop out, and pages of 2 stay full: the filter is in SQL, not after the fact.
      expect(ids(await walk(t.app, '/me/saved', 'posts', me))).toEqual([posts[2], posts[1], posts[0]]);
      expect(ids(await walk(t.app, '/me/saved', 'posts', me, 1))).toEqual([posts[2], posts[1], posts[0]]);
      // Saves are private: nobody sees anyone else's.
      expect((await api(t.app, 'GET', '/me/saved', friend)).body.posts).toEqual([]);
    });

    it('lists likers newest first across pages, without users a block separates from the viewer', async () => {
      const [author, viewer, ...likers] = await users(7);
      const id = await post(author!);
      for (const liker of likers) await api(t.app, 'POST', `/posts/${id}/like`, liker);
      const newestFirst = likers.map((l) => l.id).reverse();
      expect(ids(await walk(t.app, `/posts/${id}/likes`, 'users', viewer))).toEqual(newestFirst);

      // The viewer blocks one liker, another liker blocks the viewer: both leave the list.
      await api(t.app, 'POST', `/users/${likers[1]!.id}/block`, viewer);
      await api(t.app, 'POST', `/users/${viewer!.id}/block`, likers[3]);
      const hidden = new Set([likers[1]!.id, likers[3]!.id]);
      const seen = await walk<{ id: string; relationship: unknown }>(
        t.app,
        `/posts/${id}/likes`,
        'users',
        viewer,
      );
      expect(ids(seen)).toEqual(newestFirst.filter((u) => !hidden.has(u)));
      expect(seen[0]!.relationship).toBeDefined();
      // The count stays the post's own: likes are not removed by a block between two others.
      expect((await getPost(id, viewer)).body.likeCount).toBe(5);
      expect(ids(await walk(t.app, `/posts/${id}/likes`, 'users', author))).toEqual(newestFirst);
    });

    it('creates comments (trimmed, with an exact count and comment.created) and lists them oldest first', async () => {
      const [author, a, b] = await users(3);
      const id = await post(author!);
      const created: { id: string }[] = [];
      for (const [user, body] of [
        [a, '  first!  '],
        [b, `nice one @${author!.username}`],
        [a, 'third'],
        [author, 'thanks both'],
        [b, 'ünïcödé 🎉'],
      ] as const) {
        const reply = await api(t.app, 'POST', `/posts/${id}/comments`, user, { body });
        expect(reply.status).toBe(201);
        created.push(reply.body);
      }
      expect(created[0]).toMatchObject({ postId: id, body: 'first!', author: { id: a!.id } });
      expect(Object.keys(created[0]!).sort()).toEqual(['author', 'body', 'createdAt', 'id', 'postId']);
      expect((await getPost(id)).body.commentCount).toBe(5);

      const anonymous = await walk<{ id: string; body: string }>(t.app, `/posts/${id}/comments`, 'comments');
      expect(ids(anonymous)).toEqual(ids(created));
      expect(anonymous.map((c) => c.body)).toEqual([
        'first!',
        `nice one @${author!.username}`,
        'third',
        'thanks both',
        'ünïcödé 🎉',
      ]);
      expect(ids(await walk(t.app, `/posts/${id}/comments`, 'comments', a, 3))).toEqual(ids(created));
      expect(
        (await outbox('comment.created', id)).map((p: { commentId: string }) => p.commentId).sort(),
      ).toEqual(ids(created).sort());
      expect((await outbox('comment.created', id))[0]).toEqual({
        commentId: created[0]!.id,
        postId: id,
        authorId: a!.id,
      });
      // The reader other engineers use (notifications) sees what the list sees.
      const read = await t.services.engagement.commentReader.many(null, [created[1]!.id, '123']);
      expect([...read.keys()]).toEqual([created[1]!.id]);
    });

    it("deletes a comment by its author or the post's author (204), not by someone else (403)", async () => {
      const [author, commenter, bystander] = await users(3);
      const id = await post(author!);
      const comment = async (user: FastUser) =>
        (await api(t.app, 'POST', `/posts/${id}/comments`, user, { body: 'hello' })).body.id as string;
      const own = await comment(commenter!);
      const moderated = await comment(commenter!);
      const kept = await comment(bystander!);
      const refused = await api(t.app, 'DELETE', `/comments/${own}`, bystander);
      expect([refused.status, refused.body.error.code]).toEqual([403, 'not_allowed']);
      expect((await api(t.app, 'DELETE', `/comments/${own}`, commenter)).status).toBe(204);
      expect((await api(t.app, 'DELETE', `/comments/${moderated}`, author)).status).toBe(204);
      const again = await api(t.app, 'DELETE', `/comments/${own}`, commenter);
      expect([again.status, again.body.error.code]).toEqual([404, 'not_found']);
      expect(ids((await api(t.app, 'GET', `/posts/${id}/comments`)).body.comments)).toEqual([kept]);
      expect((await getPost(id)).body.commentCount).toBe(1);
    });

    it('hides comments between two users who block each other, both ways, and refuses likes and comments across the block', async () => {
      const [author, x, y, bystander] = await users(4);
      const id = await post(author!);
      const say = async (user: FastUser, body: string) =>
        (await api(t.app, 'POST', `/posts/${id}/comments`, user, { body })).body.id as string;
      const cx1 = await say(x!, 'x1');
      const cy1 = await say(y!, 'y1');
      const cb = await say(bystander!, 'b');
      const cy2 = await say(y!, 'y2');
      const cx2 = await say(x!, 'x2');
      const xPost = await post(x!);
      const yPost = await post(y!);
      await api(t.app, 'POST', `/users/${y!.id}/block`, x);

      expect(ids(await walk(t.app, `/posts/${id}/comments`, 'comments', x))).toEqual([cx1, cb, cx2]);
      expect(ids(await walk(t.app, `/posts/${id}/comments`, 'comments', y))).toEqual([cy1, cb, cy2]);
      expect(ids(await walk(t.app, `/posts/${id}/comments`, 'comments', bystander))).toEqual([
        cx1,
        cy1,
        cb,
        cy2,
        cx2,
      ]);
      // Neither can delete (or learn about) the other's comments; the reader hides them too.
      expect((await api(t.app, 'DELETE', `/comments/${cy1}`, x)).status).toBe(404);
      expect((await t.services.engagement.commentReader.many(x!.id, [cy1, cx1])).has(cy1)).toBe(false);
      // Across the block, in both directions: likes, comments, saves and lists are 404.
      for (const [who, target] of [
        [x, yPost],
        [y, xPost],
      ] as const) {
        for (const [method, path, body] of [
          ['POST', `/posts/${target}/like`, undefined],
          ['POST', `/posts/${target}/comments`, { body: 'hi' }],
          ['POST', `/posts/${target}/save`, undefined],
          ['GET', `/posts/${target}/comments`, undefined],
          ['GET', `/posts/${target}/likes`, undefined],
        ] as const) {
          const reply = await api(t.app, method, path, who, body);
          expect([path, reply.status, reply.body.error?.code]).toEqual([path, 404, 'not_found']);
        }
      }
    });

    it('private accounts: a non-follower gets 404 everywhere, an approved follower engages', async () => {
      const [owner] = await users(1, { isPrivate: true });
      const [follower, outsider] = await users(2);
      const id = await post(owner!);
      const comment = (await api(t.app, 'POST', `/posts/${id}/comments`, owner, { body: 'mine' })).body.id;
      expect((await api(t.app, 'POST', `/users/${owner!.id}/follow`, follower)).body.status).toBe(
        'requested',
      );
      expect((await api(t.app, 'POST', `/users/${owner!.id}/follow`, outsider)).body.status).toBe(
        'requested',
      );
      // A pending request sees nothing yet: the same 404 as for a post that does not exist.
      for (const who of [outsider!, follower!]) {
        for (const [method, path, body] of [
          ['POST', `/posts/${id}/like`, undefined],
          ['DELETE', `/posts/${id}/like`, undefined],
          ['POST', `/posts/${id}/save`, undefined],
          ['POST', `/posts/${id}/comments`, { body: 'hi' }],
          ['GET', `/posts/${id}/comments`, undefined],
          ['GET', `/posts/${id}/likes`, undefined],
          ['DELETE', `/comments/${comment}`, undefined],
        ] as const) {
          const reply = await api(t.app, method, path, who, body);
          expect([path, reply.status, reply.body.error?.code]).toEqual([path, 404, 'not_found']);
        }
      }
      expect((await api(t.app, 'GET', `/posts/${id}/comments`)).status).toBe(404);
      await api(t.app, 'POST', `/me/follow-requests/${follower!.id}/approve`, owner);
      expect((await api(t.app, 'POST', `/posts/${id}/like`, follower)).body).toEqual({
        likeCount: 1,
        likedByMe: true,
      });
      expect((await api(t.app, 'POST', `/posts/${id}/comments`, follower, { body: 'hi' })).status).toBe(201);
      expect((await api(t.app, 'POST', `/posts/${id}/save`, follower)).status).toBe(200);
      expect((await api(t.app, 'GET', `/posts/${id}/comments`, follower)).body.comments).toHaveLength(2);
      expect(ids((await api(t.app, 'GET', `/posts/${id}/likes`, follower)).body.users)).toEqual([
        follower!.id,
      ]);
      // A non-follower still may not delete the owner's comment: it is invisible to them (404).
      expect((await api(t.app, 'DELETE', `/comments/${comment}`, outsider)).status).toBe(404);
      expect((await api(t.app, 'DELETE', `/comments/${comment}`, follower)).status).toBe(403);
    });

    it('a deleted post takes no likes, comments or saves and lists nothing (404)', async () => {
      const [author, fan] = await users(2);
      const id = await post(author!);
      await api(t.app, 'POST', `/posts/${id}/like`, fan);
      const comment = (await api(t.app, 'POST', `/posts/${id}/comments`, fan, { body: 'hi' })).body.id;
      expect((await api(t.app, 'DELETE', `/posts/${id}`, author)).status).toBe(204);
      for (const [method, path, body] of [
        ['POST', `/posts/${id}/like`, undefined],
        ['DELETE', `/posts/${id}/like`, undefined],
        ['POST', `/posts/${id}/comments`, { body: 'late' }],
        ['GET', `/posts/${id}/comments`, undefined],
        ['GET', `/posts/${id}/likes`, undefined],
        ['POST', `/posts/${id}/save`, undefined],
        ['DELETE', `/posts/${id}/save`, undefined],
        ['DELETE', `/comments/${comment}`, undefined],
      ] as const) {
        const reply = await api(t.app, method, path, fan, body);
        expect([path, reply.status, reply.body.error?.code]).toEqual([path, 404, 'not_found']);
      }
    });

    it('200 concurrent likes by 200 users end with likeCount 200', async () => {
      const [author] = await users(1);
      const likers = await users(200);
      const id = await post(author!);
      const replies = await Promise.all(likers.map((l) => api(t.app, 'POST', `/posts/${id}/like`, l)));
      expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
      // Each answer is the count right after its own like: all different, 1..200.
      expect(new Set(replies.map((r) => r.body.likeCount)).size).toBe(200);
      expect((await getPost(id)).body.likeCount).toBe(200);
      expect(await likeRows(id)).toBe(200);
      expect(await outbox('like.created', id)).toHaveLength(200);
    });

    it('like/unlike storms end consistent: the count equals the rows', async () => {
      const [author] = await users(1);
      const stormers = await users(8);
      const id = await post(author!);
      // 8 users x 40 interleaved likes and unlikes (within the 60-per-minute budget).
      const ops = stormers.flatMap((u) =>
        Array.from({ length: 40 }, (_, i) => [u, i % 3 === 0 ? 'DELETE' : 'POST'] as const),
      );
      const replies = await Promise.all(ops.map(([u, m]) => api(t.app, m, `/posts/${id}/like`, u)));
      expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
      const rows = await likeRows(id);
      expect((await getPost(id)).body.likeCount).toBe(rows);
      // One final like each, one final unlike for half: exact either way.
      await Promise.all(stormers.map((u) => api(t.app, 'POST', `/posts/${id}/like`, u)));
      await Promise.all(stormers.slice(0, 4).map((u) => api(t.app, 'DELETE', `/posts/${id}/like`, u)));
      expect((await getPost(id)).body.likeCount).toBe(4);
      expect(await likeRows(id)).toBe(4);
      const flags = await Promise.all(stormers.map(async (u) => (await getPost(id, u)).body.likedByMe));
      expect(flags).toEqual([false, false, false, false, true, true, true, true]);
    });

    it('keeps commentCount exact under concurrent comments and deletes', async () => {
      const [author] = await users(1);
      const commenters = await users(20);
      const id = await post(author!);
      const created = await Promise.all(
        commenters.map((u) => api(t.app, 'POST', `/posts/${id}/comments`, u, { body: `from ${u.username}` })),
      );
      await Promise.all(
        created
          .slice(0, 10)
          .flatMap((c) => [
            api(t.app, 'DELETE', `/comments/${c.body.id}`, author),
            api(t.app, 'DELETE', `/comments/${c.body.id}`, author),
          ]),
      );
      expect((await getPost(id)).body.commentCount).toBe(10);
      expect(await walk(t.app, `/posts/${id}/comments`, 'comments', undefined, 4)).toHaveLength(10);
    });
  });

  describe(`engagement rate limits (${shape})`, { timeout: 120_000 }, () => {
    // A budget of 3 likes and 2 comments a minute: one unit comes back every 20-30 s, far longer
    // than these tests take, so the assertions do not depend on timing.
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape, { LIKES_PER_MINUTE: '3', COMMENTS_PER_MINUTE: '2' });
    });
    afterAll(() => t?.close());

    it('answers 429 with Retry-After past 3 likes and unlikes, and past 2 comments, per user', async () => {
      const [author, fan, other] = await insertUsers(t, [{}, {}, {}]);
      const id = await createPostId(t, author!);
      expect((await api(t.app, 'POST', `/posts/${id}/like`, fan)).status).toBe(200);
      expect((await api(t.app, 'DELETE', `/posts/${id}/like`, fan)).status).toBe(200);
      expect((await api(t.app, 'POST', `/posts/${id}/like`, fan)).status).toBe(200);
      const limited = await api(t.app, 'DELETE', `/posts/${id}/like`, fan);
      expect([limited.status, limited.body.error.code]).toEqual([429, 'rate_limited']);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // The refused unlike changed nothing; another user's budget is their own.
      expect((await api(t.app, 'GET', `/posts/${id}`, fan)).body).toMatchObject({
        likeCount: 1,
        likedByMe: true,
      });
      expect((await api(t.app, 'POST', `/posts/${id}/like`, other)).body.likeCount).toBe(2);

      for (let i = 0; i < 2; i++)
        expect((await api(t.app, 'POST', `/posts/${id}/comments`, fan, { body: `c${i}` })).status).toBe(201);
      const tooMany = await api(t.app, 'POST', `/posts/${id}/comments`, fan, { body: 'c2' });
      expect([tooMany.status, tooMany.body.error.code]).toEqual([429, 'rate_limited']);
      expect(Number(tooMany.headers['retry-after'])).toBeGreaterThan(0);
      expect((await api(t.app, 'GET', `/posts/${id}`)).body.commentCount).toBe(2);
    });

    it.runIf(shape === 'services')('shares one budget between two API processes (Redis)', async () => {
      // A second API process on the same database, Redis prefix and secret: another instance.
      const log = createLogger(t.config);
      const metrics = createMetrics();
      const infra = await openInfrastructure(t.config, log, metrics, {
        runMigrations: false,
        queueRetry: TEST_QUEUE_RETRY,
      });
      const second = await buildApp({
        log,
        metrics,
        publicUrl: t.config.publicUrl,
        mediaBaseUrl: t.config.mediaBaseUrl,
        trustProxy: t.config.trustProxy,
        dependencies: infra.dependencies,
        services: createServices(infra, t.config, log, metrics),
      });
      try {
        await second.ready();
        const [author, fan] = await insertUsers(t, [{}, {}]);
        const id = await createPostId(t, author!);
        expect((await api(t.app, 'POST', `/posts/${id}/like`, fan)).status).toBe(200);
        expect((await api(second, 'DELETE', `/posts/${id}/like`, fan)).status).toBe(200);
        expect((await api(t.app, 'POST', `/posts/${id}/like`, fan)).status).toBe(200);
        expect((await api(second, 'POST', `/posts/${id}/like`, fan)).status).toBe(429);
        expect((await api(t.app, 'POST', `/posts/${id}/like`, fan)).status).toBe(429);

        expect((await api(second, 'POST', `/posts/${id}/comments`, fan, { body: 'a' })).status).toBe(201);
        expect((await api(t.app, 'POST', `/posts/${id}/comments`, fan, { body: 'b' })).status).toBe(201);
        expect((await api(second, 'POST', `/posts/${id}/comments`, fan, { body: 'c' })).status).toBe(429);
      } finally {
        await second.close();
        await infra.close();
      }
    });
  });
}
