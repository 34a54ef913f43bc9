import { sql } from 'kysely';
import type { TestApp } from './app.js';
import { call, registerUser, type TestUser } from './client.js';

/** A media row that is already processed, so posts can use it without running the pipeline. */
export async function readyMedia(
  t: TestApp,
  ownerId: string,
  size = { width: 1200, height: 800 },
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
    VALUES (next_id(shard_of(${ownerId}::bigint)), ${ownerId}, 'ready', 'image/jpeg', 1000, ${size.width}, ${size.height},
            'LKO2?U%2Tw=w', '#808080')
    RETURNING id`.execute(t.infra.store.db);
  return rows[0]!.id;
}

export async function createPost(t: TestApp, user: TestUser, body: Record<string, unknown> = {}) {
  const mediaIds = (body.mediaIds as string[] | undefined) ?? [await readyMedia(t, user.user.id)];
  const reply = await call(t.app, 'POST', '/api/v1/posts', {
    token: user.accessToken,
    body: { mediaIds, ...body },
  });
  if (reply.status !== 201) throw new Error(`post failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as { id: string; status: string };
}

export async function makePrivate(t: TestApp, user: TestUser, isPrivate = true) {
  const reply = await call(t.app, 'PATCH', '/api/v1/me', { token: user.accessToken, body: { isPrivate } });
  if (reply.status !== 200) throw new Error(`patch failed: ${reply.status}`);
}

export const follow = (t: TestApp, who: TestUser, whom: TestUser) =>
  call(t.app, 'POST', `/api/v1/users/${whom.user.id}/follow`, { token: who.accessToken });

export { registerUser };
