import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createPost, follow, makePrivate, readyMedia } from '../support/world.js';

/**
 * The IDOR sweep: every route that takes an {id}, called by someone who has no business with
 * that object. Each must answer as the contract says (404 for what the caller may not see, 403
 * for what they see but may not change) and must change nothing: the database is compared
 * before and after every mutating call.
 */
for (const shape of await availableShapes()) {
  describe(`IDOR sweep (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let owner: TestUser; // public account, owns everything below
    let hidden: TestUser; // private account
    let intruder: TestUser;
    let ids: {
      publicPost: string;
      privatePost: string;
      media: string;
      hiddenMedia: string;
      requester: TestUser;
      /** The owner's comment on their public post; the hidden account's on its private one. */
      publicComment: string;
      privateComment: string;
    };

    /** Everything a mutation could touch, as one comparable value. */
    const snapshot = async () => {
      const db = t.infra.store.db;
      const q = (text: ReturnType<typeof sql>) => text.execute(db).then((r) => r.rows);
      return JSON.stringify(
        await Promise.all([
          q(sql`SELECT id, caption, location, status, deleted_at, edited_at FROM posts ORDER BY id`),
          q(sql`SELECT id, status, owner_id FROM media ORDER BY id`),
          q(sql`SELECT follower_id, followee_id, state FROM follows ORDER BY 1, 2`),
          q(sql`SELECT blocker_id, blocked_id FROM blocks ORDER BY 1, 2`),
          q(sql`SELECT muter_id, muted_id FROM mutes ORDER BY 1, 2`),
          q(
            sql`SELECT id, display_name, is_private, post_count, follower_count, following_count FROM users ORDER BY id`,
          ),
          q(sql`SELECT post_id, user_id FROM likes ORDER BY 1, 2`),
          q(sql`SELECT id, post_id, author_id, body FROM comments ORDER BY id`),
          q(sql`SELECT user_id, post_id FROM saves ORDER BY 1, 2`),
          q(sql`SELECT id, like_count, comment_count FROM posts ORDER BY id`),
          q(sql`SELECT id, notifications_read_upto FROM users ORDER BY id`),
        ]),
      );
    };

    beforeAll(async () => {
      t = await startTestApp(shape);
      owner = await registerUser(t.app);
      hidden = await registerUser(t.app);
      intruder = await registerUser(t.app);
      const requester = await registerUser(t.app);
      await makePrivate(t, hidden);
      await follow(t, requester, hidden); // a pending request to `hidden`
      const media = await readyMedia(t, owner.user.id);
      const publicPost = (await createPost(t, owner)).id;
      const privatePost = (await createPost(t, hidden)).id;
      const comment = async (user: TestUser, post: string) =>
        (
          (
            await call(t.app, 'POST', `/api/v1/posts/${post}/comments`, {
              token: user.accessToken,
              body: { body: 'mine' },
            })
          ).body as { id: string }
        ).id;
      ids = {
        publicPost,
        privatePost,
        media,
        hiddenMedia: await readyMedia(t, hidden.user.id),
        requester,
        publicComment: await comment(owner, publicPost),
        privateComment: await comment(hidden, privatePost),
      };
    });
    afterAll(() => t?.close());

    type Probe = [
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: () => string,
      status: number,
      body?: unknown,
    ];
    const probes: Probe[] = [
      ['GET', () => `/api/v1/media/${ids.media}`, 404],
      ['POST', () => `/api/v1/media/${ids.media}/complete`, 404],
      ['GET', () => `/api/v1/media/${ids.hiddenMedia}`, 404],
      ['GET', () => `/api/v1/posts/${ids.privatePost}`, 404],
      ['PATCH', () => `/api/v1/posts/${ids.publicPost}`, 403, { caption: 'hijacked' }],
      ['DELETE', () => `/api/v1/posts/${ids.publicPost}`, 403],
      ['PATCH', () => `/api/v1/posts/${ids.privatePost}`, 404, { caption: 'hijacked' }],
      ['DELETE', () => `/api/v1/posts/${ids.privatePost}`, 404],
      ['GET', () => `/api/v1/users/${hidden.user.id}/posts`, 404],
      ['GET', () => `/api/v1/users/${hidden.user.id}/followers`, 404],
      ['GET', () => `/api/v1/users/${hidden.user.id}/following`, 404],
      // Someone else's follow request cannot be decided by the intruder.
      ['POST', () => `/api/v1/me/follow-requests/${ids.requester.user.id}/approve`, 404],
      ['POST', () => `/api/v1/me/follow-requests/${ids.requester.user.id}/reject`, 404],
      // Unfollowing the owner only touches the intruder's own (absent) edge.
      ['DELETE', () => `/api/v1/users/${owner.user.id}/follow`, 200],
      ['DELETE', () => `/api/v1/users/${owner.user.id}/block`, 204],
      ['DELETE', () => `/api/v1/users/${owner.user.id}/mute`, 204],
      // Engagement on a post the intruder may not see, and other people's comments.
      ['POST', () => `/api/v1/posts/${ids.privatePost}/like`, 404],
      ['DELETE', () => `/api/v1/posts/${ids.privatePost}/like`, 404],
      ['GET', () => `/api/v1/posts/${ids.privatePost}/likes`, 404],
      ['POST', () => `/api/v1/posts/${ids.privatePost}/comments`, 404, { body: 'hello' }],
      ['GET', () => `/api/v1/posts/${ids.privatePost}/comments`, 404],
      ['POST', () => `/api/v1/posts/${ids.privatePost}/save`, 404],
      ['DELETE', () => `/api/v1/posts/${ids.privatePost}/save`, 404],
      ['DELETE', () => `/api/v1/comments/${ids.privateComment}`, 404],
      ['DELETE', () => `/api/v1/comments/${ids.publicComment}`, 403],
      // Reading and marking notifications only ever touches the caller's own.
      ['POST', () => `/api/v1/notifications/read`, 204, { upTo: '9223372036854775807' }],
    ];

    it.each(
      probes.map((p) => ({
        method: p[0],
        url: p[1],
        status: p[2],
        body: p[3],
        name: `${p[0]} ${p[1].toString().replace(/.*`(.*)`.*/s, '$1')}`,
      })),
    )('$name → $status, and nothing changes', async ({ method, url, status, body }) => {
      const before = await snapshot();
      const reply = await call(t.app, method, url(), {
        token: intruder.accessToken,
        ...(body ? { body } : {}),
      });
      expect(reply.status).toBe(status);
      expect(await snapshot()).toBe(before);
    });

    it("a private account's renditions need a signature (no direct id access)", async () => {
      const reply = await call(t.app, 'GET', `/media/${ids.hiddenMedia}/large.webp`);
      expect(reply.status).toBe(403);
    });

    it('an anonymous caller gets 401 on every mutating route and changes nothing', async () => {
      const before = await snapshot();
      for (const [method, url] of probes.filter(([m]) => m !== 'GET')) {
        expect((await call(t.app, method, url(), { body: {} })).status).toBe(401);
      }
      expect(await snapshot()).toBe(before);
    });
  });
}
