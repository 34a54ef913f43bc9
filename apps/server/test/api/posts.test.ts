import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../contracts/job-queue.contract.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createSlot, putUpload, settled, uploadPhoto } from '../support/media.js';
import { createPost, follow, makePrivate, readyMedia } from '../support/world.js';

for (const shape of await availableShapes()) {
  describe(`posts (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    beforeAll(async () => {
      t = await startTestApp(shape, {}, { workers: true });
      alice = await registerUser(t.app, { username: `alice_${shape}` });
      bob = await registerUser(t.app, { username: `bob_${shape}` });
    });
    afterAll(() => t?.close());

    const me = async (user: TestUser) =>
      (await call(t.app, 'GET', '/api/v1/me', { token: user.accessToken })).body;

    it('creates a post from ready photos: published at once, in order, with alt texts, hashtags and mentions', async () => {
      const m1 = await readyMedia(t, alice.user.id, { width: 4000, height: 3000 });
      const m2 = await readyMedia(t, alice.user.id, { width: 1000, height: 1500 });
      const reply = await call(t.app, 'POST', '/api/v1/posts', {
        token: alice.accessToken,
        body: {
          mediaIds: [m2, m1],
          altTexts: ['a tall one', 'a wide one'],
          caption: `  Sunset at #Plage, #CAFÉ time with @${bob.user.username} and @nobody_here #café #1  `,
          location: ' Biarritz ',
        },
      });
      expect(reply.status).toBe(201);
      const post = reply.body;
      expect(post).toMatchObject({
        status: 'published',
        caption: `Sunset at #Plage, #CAFÉ time with @${bob.user.username} and @nobody_here #café #1`,
        location: 'Biarritz',
        hashtags: ['café', 'plage'],
        mentions: [bob.user.username],
        likeCount: 0,
        commentCount: 0,
        likedByMe: false,
        savedByMe: false,
        editedAt: null,
        error: null,
      });
      expect(post.author).toMatchObject({ id: alice.user.id, username: alice.user.username });
      expect(post.media.map((m: { id: string; altText: string }) => [m.id, m.altText])).toEqual([
        [m2, 'a tall one'],
        [m1, 'a wide one'],
      ]);
      expect(post.media[1].variants.large).toMatchObject({ width: 1080, height: 810 });
      expect((await me(alice)).postCount).toBe(1);
      expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`)).body.id).toBe(post.id);
    });

    it('stays processing until its last photo is ready, then publishes (and fails with a failed photo)', async () => {
      const photo = await readFile('/work/shared/corpus/formats/valid_jpg_large.jpg');
      const slot = await createSlot(t, alice, photo);
      expect(await putUpload(t, slot.upload, photo)).toBe(200);
      const other = await readyMedia(t, alice.user.id);
      const countBefore = (await me(alice)).postCount;
      // Not completed yet: still uploading.
      const early = await call(t.app, 'POST', '/api/v1/posts', {
        token: alice.accessToken,
        body: { mediaIds: [other, slot.media.id] },
      });
      expect([early.status, early.body.error.code]).toEqual([409, 'media_not_uploaded']);

      await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, { token: alice.accessToken });
      const created = await call(t.app, 'POST', '/api/v1/posts', {
        token: alice.accessToken,
        body: { mediaIds: [other, slot.media.id] },
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      // Outsiders do not see an unpublished post; the author does.
      if (created.body.status === 'processing') {
        expect((await call(t.app, 'GET', `/api/v1/posts/${id}`, { token: bob.accessToken })).status).toBe(
          404,
        );
      }
      const published = await waitFor(async () => {
        const reply = await call(t.app, 'GET', `/api/v1/posts/${id}`, { token: alice.accessToken });
        return reply.body.status === 'published' ? reply.body : undefined;
      });
      expect(published.media.map((m: { status: string }) => m.status)).toEqual(['ready', 'ready']);
      expect((await me(alice)).postCount).toBe(countBefore + 1);

      const html = Buffer.from('<html>not a photo</html>');
      const bad = await createSlot(t, alice, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), html]));
      await putUpload(t, bad.upload, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), html]));
      await call(t.app, 'POST', `/api/v1/media/${bad.media.id}/complete`, { token: alice.accessToken });
      const doomed = await call(t.app, 'POST', '/api/v1/posts', {
        token: alice.accessToken,
        body: { mediaIds: [bad.media.id] },
      });
      const failedPost = doomed.status === 201 ? doomed.body.id : null;
      if (failedPost) {
        const failed = await waitFor(async () => {
          const reply = await call(t.app, 'GET', `/api/v1/posts/${failedPost}`, { token: alice.accessToken });
          return reply.body.status === 'failed' ? reply.body : undefined;
        });
        expect(failed.error.code).toBe('decode_failed');
      } else {
        // The photo failed before the post was made: then the post is refused with its code.
        expect([doomed.status, doomed.body.error.code, doomed.body.error.details.code]).toEqual([
          409,
          'media_failed',
          'decode_failed',
        ]);
      }
    });

    it("refuses another user's photo (403), unknown photos (404), duplicates and a wrong number of alt texts (400)", async () => {
      const bobs = await readyMedia(t, bob.user.id);
      const mine = await readyMedia(t, alice.user.id);
      const post = (body: unknown) =>
        call(t.app, 'POST', '/api/v1/posts', { token: alice.accessToken, body });
      expect((await post({ mediaIds: [bobs] })).body.error.code).toBe('media_not_owned');
      expect((await post({ mediaIds: [bobs] })).status).toBe(403);
      expect((await post({ mediaIds: ['123456789'] })).status).toBe(404);
      expect((await post({ mediaIds: [mine, mine] })).body.error.code).toBe('duplicate_media');
      const alts = await post({ mediaIds: [mine], altTexts: ['one', 'two'] });
      expect([alts.status, Object.keys(alts.body.error.details.fields)]).toEqual([400, ['altTexts']]);
    });

    it('edits caption and location (author only) and re-parses hashtags; others get 403, the invisible 404', async () => {
      const post = await createPost(t, alice, { caption: '#one #two' });
      const edited = await call(t.app, 'PATCH', `/api/v1/posts/${post.id}`, {
        token: alice.accessToken,
        body: { caption: 'now #three', location: null },
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ caption: 'now #three', hashtags: ['three'], location: null });
      expect(edited.body.editedAt).not.toBeNull();
      const counts = await sql<{
        name: string;
        post_count: number;
      }>`SELECT name, post_count FROM hashtags WHERE name IN ('one', 'two', 'three') ORDER BY name`.execute(
        t.infra.store.db,
      );
      expect(counts.rows).toEqual([
        { name: 'one', post_count: 0 },
        { name: 'three', post_count: 1 },
        { name: 'two', post_count: 0 },
      ]);
      const byBob = await call(t.app, 'PATCH', `/api/v1/posts/${post.id}`, {
        token: bob.accessToken,
        body: { caption: 'mine now' },
      });
      expect([byBob.status, byBob.body.error.code]).toEqual([403, 'not_author']);
      expect(
        (await call(t.app, 'DELETE', `/api/v1/posts/${post.id}`, { token: bob.accessToken })).status,
      ).toBe(403);
    });

    it('deletes: gone at once everywhere, counters follow, and the photos are cleaned up', async () => {
      const photo = await readFile('/work/shared/corpus/exif-orientation/Landscape_2.jpg');
      const media = await settled(t, alice, (await uploadPhoto(t, alice, photo)).id);
      const post = await createPost(t, alice, { mediaIds: [media.id], caption: '#gone' });
      const before = (await me(alice)).postCount;
      expect(
        (await call(t.app, 'DELETE', `/api/v1/posts/${post.id}`, { token: alice.accessToken })).status,
      ).toBe(204);
      expect(
        (await call(t.app, 'GET', `/api/v1/posts/${post.id}`, { token: alice.accessToken })).status,
      ).toBe(404);
      expect(
        (await call(t.app, 'DELETE', `/api/v1/posts/${post.id}`, { token: alice.accessToken })).status,
      ).toBe(404);
      const list = await call(t.app, 'GET', `/api/v1/users/${alice.user.id}/posts`, {
        token: alice.accessToken,
        headers: {},
      });
      expect(list.body.posts.map((p: { id: string }) => p.id)).not.toContain(post.id);
      expect((await me(alice)).postCount).toBe(before - 1);
      // The cleanup job removes the rows, then the photo's files (no other post uses it).
      await waitFor(
        async () =>
          !(await t.infra.store.db
            .selectFrom('posts')
            .select('id')
            .where('id', '=', post.id)
            .executeTakeFirst()),
      );
      await waitFor(async () => (await t.infra.objects.head(`media/${media.id}/large.webp`)) === null);
      expect(await t.infra.objects.head(`media/${media.id}/original`)).toBeNull();
    });

    it('lists a user\u2019s posts newest first with a cursor that never skips or repeats', async () => {
      const carol = await registerUser(t.app);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await createPost(t, carol, { caption: `post ${i}` })).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const reply: { body: { posts: { id: string }[]; nextCursor: string | null } } = await call(
          t.app,
          'GET',
          `/api/v1/users/${carol.user.id}/posts?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...reply.body.posts.map((p) => p.id));
        cursor = reply.body.nextCursor;
        // A post arriving between pages lands before the cursor and does not disturb them.
        if (seen.length === 3) await createPost(t, carol, { caption: 'late' });
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      expect(
        (await call(t.app, 'GET', `/api/v1/users/${carol.user.id}/posts?cursor=garbage`)).body.error.code,
      ).toBe('invalid_cursor');
    });

    it('a private account\u2019s posts are for approved followers only; turning public opens them and accepts requests', async () => {
      const dana = await registerUser(t.app);
      const eve = await registerUser(t.app);
      await makePrivate(t, dana);
      const post = await createPost(t, dana);
      for (const viewer of [undefined, eve.accessToken]) {
        expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`, { token: viewer })).status).toBe(404);
        expect(
          (await call(t.app, 'GET', `/api/v1/users/${dana.user.id}/posts`, { token: viewer })).status,
        ).toBe(404);
      }
      expect((await follow(t, eve, dana)).body).toEqual({ status: 'requested' });
      expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`, { token: eve.accessToken })).status).toBe(
        404,
      );
      await makePrivate(t, dana, false);
      expect((await call(t.app, 'GET', `/api/v1/posts/${post.id}`)).status).toBe(200);
      const rel = await call(t.app, 'GET', `/api/v1/users/${dana.user.id}`, { token: eve.accessToken });
      expect(rel.body.relationship).toMatchObject({ following: true, requested: false });
      expect(rel.body.followerCount).toBe(1);
    });

    it('GET /media/{id} answers viewers of a post that shows it, and nobody else', async () => {
      const mediaId = await readyMedia(t, alice.user.id);
      const stranger = await registerUser(t.app);
      expect(
        (await call(t.app, 'GET', `/api/v1/media/${mediaId}`, { token: stranger.accessToken })).status,
      ).toBe(404);
      await createPost(t, alice, { mediaIds: [mediaId] });
      expect(
        (await call(t.app, 'GET', `/api/v1/media/${mediaId}`, { token: stranger.accessToken })).status,
      ).toBe(200);
    });

    it('50 concurrent post creations leave post_count equal to the posts', async () => {
      const frank = await registerUser(t.app);
      const media = await Promise.all(Array.from({ length: 50 }, () => readyMedia(t, frank.user.id)));
      const replies = await Promise.all(
        media.map((id) =>
          call(t.app, 'POST', '/api/v1/posts', {
            token: frank.accessToken,
            body: { mediaIds: [id], caption: '#burst' },
          }),
        ),
      );
      expect(replies.every((r) => r.status === 201)).toBe(true);
      const { rows } = await sql<{ post_count: number; actual: string; tag: number }>`
        SELECT u.post_count,
               (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.status = 'published' AND p.deleted_at IS NULL) AS actual,
               (SELECT post_count FROM hashtags WHERE name = 'burst') AS tag
          FROM users u WHERE u.id = ${frank.user.id}`.execute(t.infra.store.db);
      expect(rows[0]).toEqual({ post_count: 50, actual: '50', tag: 50 });
    });
  });
}
