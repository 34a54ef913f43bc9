import type { TestApp } from './app.js';
import { call, type Reply } from './client.js';
import type { FastUser } from './fast-users.js';
import { readyMedia } from './world.js';

/** POST /posts with one ready photo; the raw reply (some tests expect failures). */
export async function postPhoto(t: TestApp, user: FastUser): Promise<Reply> {
  const media = await readyMedia(t, user.id);
  return call(t.app, 'POST', '/api/v1/posts', { token: user.token, body: { mediaIds: [media] } });
}

/** A published post's id; anything but 201 throws. */
export async function createPostId(t: TestApp, user: FastUser): Promise<string> {
  const reply = await postPhoto(t, user);
  if (reply.status !== 201) throw new Error(`post failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.id as string;
}

/** A user's whole feed through the API, page by page; anything but 200 throws. */
export async function wholeFeed(t: TestApp, user: FastUser, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const reply: Reply<{ posts: { id: string }[]; nextCursor: string | null }> = await call(
      t.app,
      'GET',
      `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { token: user.token },
    );
    if (reply.status !== 200) throw new Error(`feed failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    ids.push(...reply.body.posts.map((p) => p.id));
    cursor = reply.body.nextCursor;
  } while (cursor);
  return ids;
}

/** Nothing left in the outbox to publish and nothing waiting in a work queue. */
export async function queuesDrained(t: TestApp): Promise<boolean> {
  const { n } = await t.infra.store.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('published_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(n) > 0) return false;
  return (await t.infra.queue.stats()).every((s) => s.ready === 0);
}
