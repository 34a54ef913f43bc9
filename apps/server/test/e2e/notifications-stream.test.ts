/**
 * The live stream across processes: two API processes, a worker and a relay of main.ts, on one
 * PostgreSQL database, Redis and RabbitMQ. The stream is open on API process A; the actions
 * hit API process B; the worker creates the notification and publishes it on Redis; A delivers
 * it. Also: the query-string token never reaches A's logs (at trace level), and A shuts down
 * cleanly with the stream still open.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { http, startServer, type ServerProcess } from '../support/process.js';
import { deleteProcessQueues } from '../support/rabbitmq.js';
import {
  AMQP_URL,
  createTestDatabase,
  postgresAvailable,
  rabbitmqAvailable,
  REDIS_URL,
  redisAvailable,
  testKeyPrefix,
  uniqueName,
} from '../support/services.js';
import { openSse, payloadOf } from '../support/sse.js';

const services = (await postgresAvailable()) && (await redisAvailable()) && (await rabbitmqAvailable());

describe.runIf(services)('notifications stream across API processes', { timeout: 180_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('an action on API process B reaches a stream open on API process A', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const keys = testKeyPrefix();
    cleanups.push(keys.clean);
    const queuePrefix = `${uniqueName('n')}.`;
    cleanups.push(() => deleteProcessQueues(queuePrefix));
    const dataDir = await mkdtemp(join(tmpdir(), 'glimpse-sse-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL,
      REDIS_KEY_PREFIX: keys.prefix,
      AMQP_URL,
      AMQP_QUEUE_PREFIX: queuePrefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
      NOTIFICATIONS_HEARTBEAT_SECONDS: '1',
      SHUTDOWN_GRACE_SECONDS: '30',
    };
    // One process first: it applies the migrations (the others would wait on its lock anyway).
    const a = await startServer('serve', { ...env, LOG_LEVEL: 'trace' });
    const others = await Promise.all([
      startServer('serve', env),
      startServer('worker', env),
      startServer('relay', env),
    ]);
    const [b] = others as [ServerProcess, ServerProcess, ServerProcess];
    cleanups.push(async () => Promise.all([a, ...others].map((p) => p.stop('SIGKILL'))));

    const register = async (on: ServerProcess, name: string) => {
      const reply = await http(on.url, 'POST', '/api/v1/auth/register', {
        username: name,
        email: `${name}@example.com`,
        password: 'stream passphrase',
      });
      expect(reply.status).toBe(201);
      return reply.body as { user: { id: string }; accessToken: string };
    };
    const alice = await register(a, 'alice_sse');
    const bob = await register(b, 'bob_sse');

    // The browser way: EventSource cannot send headers, so the token rides in the query.
    const sse = await openSse(`${a.url}/api/v1/notifications/stream?access_token=${alice.accessToken}`);
    expect(sse.status).toBe(200);
    const onA = async (type: string, action: () => Promise<{ status: number }>) => {
      const from = sse.events.length;
      const started = Date.now();
      expect((await action()).status).toBeLessThan(300);
      const event = await sse.next(
        (e) => e.event === 'notification' && payloadOf(e).type === type,
        30_000,
        from,
      );
      console.info(`${type} on B → event on A in ${Date.now() - started} ms`);
      return payloadOf(event);
    };

    const follow = await onA('follow', () =>
      http(b.url, 'POST', `/api/v1/users/${alice.user.id}/follow`, undefined, bob.accessToken),
    );
    expect(follow).toMatchObject({ actor: { id: bob.user.id }, post: null, read: false });

    const client = new pg.Client(db.url);
    await client.connect();
    const { rows } = await client
      .query<{ id: string }>(
        `INSERT INTO media (id, owner_id, status, content_type, size_bytes, width, height, blurhash, dominant_color)
         VALUES (next_id(shard_of($1::bigint)), $1, 'ready', 'image/jpeg', 1000, 1200, 800, 'LKO2?U%2Tw=w', '#808080')
         RETURNING id`,
        [alice.user.id],
      )
      .finally(() => client.end());
    const posted = await http(a.url, 'POST', '/api/v1/posts', { mediaIds: [rows[0]!.id] }, alice.accessToken);
    expect(posted.status).toBe(201);
    const postId = posted.body.id as string;

    const like = await onA('like', () =>
      http(b.url, 'POST', `/api/v1/posts/${postId}/like`, undefined, bob.accessToken),
    );
    expect(like).toMatchObject({ actor: { id: bob.user.id }, post: { id: postId, likeCount: 1 } });
    const comment = await onA('comment', () =>
      http(
        b.url,
        'POST',
        `/api/v1/posts/${postId}/comments`,
        { body: 'from the other side' },
        bob.accessToken,
      ),
    );
    expect(comment.comment).toMatchObject({ body: 'from the other side', author: { id: bob.user.id } });

    // What A delivered is what its list says.
    const listed = await http(a.url, 'GET', '/api/v1/notifications', undefined, alice.accessToken);
    expect(listed.body.notifications.map((n: { id: string }) => n.id)).toEqual([
      comment.id,
      like.id,
      follow.id,
    ]);

    // Idle for a while: heartbeats flow and the stream stays open.
    const beats = sse.comments.length;
    await sse.comment(beats + 2, 10_000);
    expect(sse.isEnded()).toBe(false);

    // SIGTERM with the stream open: it is told why and ended, and A exits 0 promptly.
    expect(await a.stop()).toBe(0);
    expect(JSON.parse((await sse.next((e) => e.event === 'close')).data)).toEqual({ reason: 'shutdown' });
    await sse.ended;
    const logs = a.output();
    // The stream's request was logged (so the check below means something), without its query.
    expect(logs).toContain('"route":"/api/v1/notifications/stream","url":"/api/v1/notifications/stream"');
    expect(logs).not.toContain(alice.accessToken);
    expect(logs).not.toContain(alice.accessToken.split('.')[2]);
  });
});
