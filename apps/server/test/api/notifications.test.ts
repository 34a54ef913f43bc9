/**
 * Notifications on both shapes: every type created by the worker from outbox events, none for
 * one's own actions, none from blocked or muted actors or about posts the recipient may not see
 * (at creation and at read time), like/unlike/like and redelivery creating one, paging, the
 * unread count and the read marker, a fixed number of queries per page; and the live stream in
 * this process (through Redis in the service shape): events, heartbeats, the query token,
 * Last-Event-ID replay, closing on revoke, expiry and shutdown. Two API processes: the e2e test.
 */
import { UNREAD_COUNT_CAP } from '@glimpse/contract';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/accounts/tokens.js';
import type { App } from '../../src/http/types.js';
import { createNotificationsJob } from '../../src/notifications/notifications.worker.js';
import { MAX_STREAMS_PER_USER } from '../../src/notifications/stream.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser } from '../support/client.js';
import { insertUsers, type FastUser } from '../support/fast-users.js';
import { openSse, payloadOf, type SseStream } from '../support/sse.js';
import { readyMedia } from '../support/world.js';
import { eventually } from '../support/wait.js';
import { notificationsSettled } from '../support/notifications.js';

type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';
const api = (app: App, method: Method, path: string, user: { token: string }, body?: unknown) =>
  call(app, method, `/api/v1${path}`, { token: user.token, ...(body !== undefined ? { body } : {}) });

for (const shape of await availableShapes()) {
  describe(`notifications (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let base: string;
    let closed = false;
    beforeAll(async () => {
      t = await startTestApp(shape, { NOTIFICATIONS_HEARTBEAT_SECONDS: '0.1' }, { workers: true });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(async () => {
      if (!closed) await t?.close();
    });

    const users = (n: number, spec: { isPrivate?: boolean } = {}) =>
      insertUsers(
        t,
        Array.from({ length: n }, () => spec),
      );
    const list = async (user: { token: string }, query = '') => {
      const reply = await api(t.app, 'GET', `/notifications${query}`, user);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body as { notifications: any[]; unreadCount: number; nextCursor: string | null };
    };
    const kinds = async (user: FastUser) =>
      (await list(user, '?limit=100')).notifications.map((n) => `${n.type}:${n.actor.username}`);
    const post = async (author: FastUser, caption = '') => {
      const media = await readyMedia(t, author.id);
      const reply = await api(t.app, 'POST', '/posts', author, { mediaIds: [media], caption });
      expect(reply.status).toBe(201);
      return reply.body.id as string;
    };
    const ok = async (user: FastUser, method: Method, path: string, body?: unknown) => {
      const reply = await api(t.app, method, path, user, body);
      expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBeLessThan(300);
      return reply.body;
    };
    const stream = (user: { token: string }, headers: Record<string, string> = {}) =>
      openSse(`${base}/api/v1/notifications/stream`, { authorization: `Bearer ${user.token}`, ...headers });

    it('notifies a follow, with the follower as actor, and nobody for the follower', async () => {
      const [author, fan] = await users(2);
      await ok(fan!, 'POST', `/users/${author!.id}/follow`);
      await eventually(async () => expect(await kinds(author!)).toEqual([`follow:${fan!.username}`]));
      const [n] = (await list(author!)).notifications;
      expect(n).toMatchObject({ type: 'follow', post: null, comment: null, read: false });
      expect(n.actor).toMatchObject({ id: fan!.id, relationship: { followedBy: true } });
      await notificationsSettled(t);
      expect(await kinds(fan!)).toEqual([]);
    });

    it('notifies a follow request, then the approval to the one who asked', async () => {
      const [owner] = await users(1, { isPrivate: true });
      const [asker] = await users(1);
      expect((await ok(asker!, 'POST', `/users/${owner!.id}/follow`)).status).toBe('requested');
      await eventually(async () =>
        expect(await kinds(owner!)).toEqual([`follow_request:${asker!.username}`]),
      );
      await ok(owner!, 'POST', `/me/follow-requests/${asker!.id}/approve`);
      await eventually(async () =>
        expect(await kinds(asker!)).toEqual([`follow_accepted:${owner!.username}`]),
      );
      await notificationsSettled(t);
      // The approval is not also a "started following you" for the owner.
      expect(await kinds(owner!)).toEqual([`follow_request:${asker!.username}`]);
    });

    it('notifies a like with the post; like/unlike/like and a redelivered event make one', async () => {
      const [author, fan] = await users(2);
      const postId = await post(author!);
      for (const method of ['POST', 'DELETE', 'POST', 'DELETE', 'POST'] as const)
        await ok(fan!, method, `/posts/${postId}/like`);
      await ok(author!, 'POST', `/posts/${postId}/like`); // my own like: nothing
      await notificationsSettled(t);
      const { notifications } = await list(author!);
      expect(notifications.map((n) => `${n.type}:${n.actor.username}`)).toEqual([`like:${fan!.username}`]);
      expect(notifications[0].post).toMatchObject({ id: postId, likeCount: 2, likedByMe: true });

      // The queue delivers at least once: the same event handled again creates nothing.
      const job = createNotificationsJob({
        db: t.infra.store.db,
        bus: t.infra.notificationBus,
        log: silentLog,
      });
      await job({ postId, userId: fan!.id }, delivery('like.created'));
      expect(await kinds(author!)).toEqual([`like:${fan!.username}`]);
    });

    it('notifies a comment with the comment and its post, and mentions in it; not my own', async () => {
      const [author, fan, friend, bystander] = await users(4);
      const postId = await post(author!);
      const body = `nice @${friend!.username} and @${author!.username} @${fan!.username} @nobody_at_all`;
      const comment = await ok(fan!, 'POST', `/posts/${postId}/comments`, { body });
      await ok(author!, 'POST', `/posts/${postId}/comments`, { body: `thanks @${author!.username}` });
      await notificationsSettled(t);
      const { notifications } = await list(author!);
      // The post's author mentioned in a comment on their post hears of it once, as a comment.
      expect(notifications.map((n) => n.type)).toEqual(['comment']);
      expect(notifications[0].comment).toMatchObject({ id: comment.id, body, postId });
      expect(notifications[0].post).toMatchObject({ id: postId, commentCount: 2 });
      const mention = (await list(friend!)).notifications;
      expect(mention.map((n) => `${n.type}:${n.actor.username}`)).toEqual([`mention:${fan!.username}`]);
      expect(mention[0].comment.id).toBe(comment.id);
      expect(mention[0].post.id).toBe(postId);
      expect(await kinds(fan!)).toEqual([]);
      expect(await kinds(bystander!)).toEqual([]);
    });

    it('notifies mentions in a caption, not the author mentioning themself', async () => {
      const [author, named, other] = await users(3);
      const postId = await post(author!, `with @${named!.username} and @${author!.username}, #fun`);
      await eventually(async () => expect(await kinds(named!)).toEqual([`mention:${author!.username}`]));
      expect((await list(named!)).notifications[0].post).toMatchObject({
        id: postId,
        mentions: expect.any(Array),
      });
      await notificationsSettled(t);
      expect(await kinds(author!)).toEqual([]);
      expect(await kinds(other!)).toEqual([]);
    });

    it('never notifies from an account I block or mute, or that blocks me, nor about posts I may not see', async () => {
      const [me, muted, blocked, blocker] = await users(4);
      const [hidden] = await users(1, { isPrivate: true });
      const mine = await post(me!);
      await ok(me!, 'POST', `/users/${muted!.id}/mute`);
      await ok(me!, 'POST', `/users/${blocked!.id}/block`);
      await ok(blocker!, 'POST', `/users/${me!.id}/block`);
      await ok(muted!, 'POST', `/users/${me!.id}/follow`);
      await ok(muted!, 'POST', `/posts/${mine}/like`);
      await ok(muted!, 'POST', `/posts/${mine}/comments`, { body: 'muted voice' });
      await post(muted!, `hey @${me!.username}`);
      await post(blocked!, `hey @${me!.username}`);
      await post(blocker!, `hey @${me!.username}`);
      // A private account I do not follow mentions me: I could not open the post.
      await post(hidden!, `hey @${me!.username}`);
      await notificationsSettled(t);
      expect(await kinds(me!)).toEqual([]);
      // Not created at all (the list's read-time filter would hide them too; this is the worker).
      const stored = await t.infra.store.db
        .selectFrom('notifications')
        .select('type')
        .where('recipient_id', '=', me!.id)
        .execute();
      expect(stored).toEqual([]);
      // The muted account noticed nothing: its follow went through.
      expect((await api(t.app, 'GET', `/users/${me!.id}`, muted!)).body.relationship.following).toBe(true);
    });

    it('hides at read time what became invisible: blocks, mutes, deleted posts, accounts gone private', async () => {
      const [me, fan, other] = await users(3);
      const mine = await post(me!);
      await ok(fan!, 'POST', `/posts/${mine}/like`);
      await ok(other!, 'POST', `/users/${me!.id}/follow`);
      const theirs = await post(other!, `look @${me!.username}`);
      await eventually(async () =>
        expect((await kinds(me!)).sort()).toEqual(
          [`like:${fan!.username}`, `follow:${other!.username}`, `mention:${other!.username}`].sort(),
        ),
      );
      expect((await list(me!)).unreadCount).toBe(3);

      await ok(me!, 'POST', `/users/${fan!.id}/mute`);
      expect(await kinds(me!)).not.toContain(`like:${fan!.username}`);
      expect((await list(me!)).unreadCount).toBe(2);
      await ok(me!, 'DELETE', `/users/${fan!.id}/mute`);
      expect(await kinds(me!)).toContain(`like:${fan!.username}`);

      await ok(fan!, 'POST', `/users/${me!.id}/block`);
      expect(await kinds(me!)).not.toContain(`like:${fan!.username}`);

      // Going private: I do not follow them, so their post (and its mention) is out of my sight.
      await ok(other!, 'PATCH', '/me', { isPrivate: true });
      expect(await kinds(me!)).toEqual([`follow:${other!.username}`]);
      await ok(other!, 'PATCH', '/me', { isPrivate: false });
      expect(await kinds(me!)).toContain(`mention:${other!.username}`);
      await ok(other!, 'DELETE', `/posts/${theirs}`);
      expect(await kinds(me!)).toEqual([`follow:${other!.username}`]);
      expect((await list(me!)).unreadCount).toBe(1);
    });

    it('takes a deleted comment’s notification with it', async () => {
      const [author, fan] = await users(2);
      const postId = await post(author!);
      const comment = await ok(fan!, 'POST', `/posts/${postId}/comments`, { body: 'soon gone' });
      await eventually(async () => expect(await kinds(author!)).toEqual([`comment:${fan!.username}`]));
      await ok(fan!, 'DELETE', `/comments/${comment.id}`);
      expect(await kinds(author!)).toEqual([]);
    });

    it(`counts unread notifications exactly up to ${UNREAD_COUNT_CAP}, then says ${UNREAD_COUNT_CAP}`, async () => {
      const [me, actor] = await users(2);
      const insert = (n: number, from: number) =>
        sql`INSERT INTO notifications (recipient_id, id, type, actor_id, dedupe_key)
            SELECT ${me!.id}::bigint, next_id(shard_of(${me!.id}::bigint)), 'follow', ${actor!.id}::bigint, 'cap:' || i
              FROM generate_series(${from}::int, ${from + n - 1}::int) AS i`.execute(t.infra.store.db);
      await insert(UNREAD_COUNT_CAP - 1, 0);
      expect((await list(me!)).unreadCount).toBe(UNREAD_COUNT_CAP - 1);
      await insert(1, UNREAD_COUNT_CAP);
      expect((await list(me!)).unreadCount).toBe(UNREAD_COUNT_CAP);
      await insert(20, UNREAD_COUNT_CAP + 1);
      const page = await list(me!);
      expect(page.unreadCount).toBe(UNREAD_COUNT_CAP);
      // Reading all but the newest five leaves five.
      await ok(me!, 'POST', '/notifications/read', { upTo: page.notifications[5]!.id });
      expect((await list(me!)).unreadCount).toBe(5);
    });

    it('pages newest first with a cursor, in a fixed number of queries per page', async () => {
      const [star] = await users(1);
      const fans = await users(25);
      for (const fan of fans) await ok(fan, 'POST', `/users/${star!.id}/follow`);
      await eventually(async () => expect((await list(star!, '?limit=100')).notifications).toHaveLength(25));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof list>> = await list(
          star!,
          `?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.notifications).toHaveLength(cursor === null || page.nextCursor ? 10 : 5);
        expect(page.unreadCount).toBe(25);
        seen.push(...page.notifications.map((n) => n.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect([...seen].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1))).toEqual(seen);
      expect(new Set((await list(star!, '?limit=100')).notifications.map((n) => n.actor.id))).toEqual(
        new Set(fans.map((f) => f.id)),
      );

      const count = async (limit: number) =>
        (await t.queries.during(() => list(star!, `?limit=${limit}`))).queries;
      expect(await count(25)).toBe(await count(2));
    });

    it('counts unread above the read marker, which only moves forward and not past the newest', async () => {
      const [me] = await users(1);
      const fans = await users(3);
      for (const fan of fans) await ok(fan, 'POST', `/users/${me!.id}/follow`);
      await eventually(async () => expect((await list(me!)).notifications).toHaveLength(3));
      const [newest, middle, oldest] = (await list(me!)).notifications;
      expect((await list(me!)).unreadCount).toBe(3);

      expect((await api(t.app, 'POST', '/notifications/read', me!, { upTo: middle.id })).status).toBe(204);
      let page = await list(me!);
      expect(page.unreadCount).toBe(1);
      expect(page.notifications.map((n) => n.read)).toEqual([false, true, true]);

      await ok(me!, 'POST', '/notifications/read', { upTo: oldest.id }); // backwards: no change
      expect((await list(me!)).unreadCount).toBe(1);

      // "Everything", with an id from the future, reads what exists, not what comes next.
      await ok(me!, 'POST', '/notifications/read', { upTo: '9223372036854775807' });
      page = await list(me!);
      expect([page.unreadCount, page.notifications.every((n) => n.read)]).toEqual([0, true]);
      const [late] = await users(1);
      await ok(late!, 'POST', `/users/${me!.id}/follow`);
      await eventually(async () => expect((await list(me!)).unreadCount).toBe(1));
      page = await list(me!);
      expect(page.notifications[0]).toMatchObject({ read: false, actor: { id: late!.id } });
      expect(page.notifications.slice(1).map((n) => n.id)).toEqual([newest.id, middle.id, oldest.id]);
    });

    describe('the stream', () => {
      it('delivers each new notification as an event, with the id the list shows', async () => {
        const [me, fan] = await users(2);
        const sse = await stream(me!);
        try {
          expect(sse.status).toBe(200);
          expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
          expect(sse.headers['x-accel-buffering']).toBe('no');
          expect(sse.headers['cache-control']).toContain('no-cache');
          // Hijacked, the response still carries what every answer carries.
          expect(sse.headers['x-request-id']).toBeTruthy();
          expect(sse.headers['x-content-type-options']).toBe('nosniff');
          const started = Date.now();
          await ok(fan!, 'POST', `/users/${me!.id}/follow`);
          const event = await sse.next((e) => e.event === 'notification');
          console.info(`[${shape}] follow → stream event in ${Date.now() - started} ms`);
          const n = payloadOf(event);
          expect(n).toMatchObject({ type: 'follow', actor: { id: fan!.id }, read: false });
          expect(event.id).toBe(n.id);
          expect((await list(me!)).notifications[0].id).toBe(n.id);

          const postId = await post(me!);
          await ok(fan!, 'POST', `/posts/${postId}/like`);
          const like = payloadOf(await sse.next((e) => payloadOf(e).type === 'like'));
          expect(like).toMatchObject({ actor: { id: fan!.id }, post: { id: postId, likeCount: 1 } });
          // Other people's notifications never reach my stream.
          const [other] = await users(1);
          await ok(fan!, 'POST', `/users/${other!.id}/follow`);
          await notificationsSettled(t);
          expect(sse.events.filter((e) => e.event === 'notification')).toHaveLength(2);
        } finally {
          sse.close();
        }
      });

      it('sends heartbeats while idle', async () => {
        const [me] = await users(1);
        const sse = await stream(me!);
        try {
          await sse.comment(4);
          expect(sse.comments.slice(1, 4)).toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
          expect(sse.isEnded()).toBe(false);
        } finally {
          sse.close();
        }
      });

      it('takes the access token as a query parameter (EventSource), and refuses a bad one', async () => {
        const [me, fan] = await users(2);
        const sse = await openSse(`${base}/api/v1/notifications/stream?access_token=${me!.token}`);
        try {
          expect(sse.status).toBe(200);
          await ok(fan!, 'POST', `/users/${me!.id}/follow`);
          expect(payloadOf(await sse.next((e) => e.event === 'notification')).actor.id).toBe(fan!.id);
        } finally {
          sse.close();
        }
        const forged = `${me!.token.slice(0, -4)}AAAA`;
        const bad = await openSse(`${base}/api/v1/notifications/stream?access_token=${forged}`);
        expect([bad.status, bad.body.error.code]).toEqual([401, 'invalid_token']);
        // Only this route takes it: elsewhere a query token is no token at all.
        const elsewhere = await call(t.app, 'GET', `/api/v1/notifications?access_token=${me!.token}`);
        expect(elsewhere.status).toBe(401);
      });

      it('replays what a reconnecting client missed after its Last-Event-ID', async () => {
        const [me, a, b, c] = await users(4);
        const first = await stream(me!);
        await ok(a!, 'POST', `/users/${me!.id}/follow`);
        const seen = await first.next((e) => e.event === 'notification');
        first.close();
        await ok(b!, 'POST', `/users/${me!.id}/follow`);
        await ok(c!, 'POST', `/users/${me!.id}/follow`);
        await eventually(async () => expect((await list(me!)).notifications).toHaveLength(3));
        const again = await stream(me!, { 'last-event-id': seen.id! });
        try {
          await again.next((e) => payloadOf(e).actor.id === c!.id);
          expect(again.events.map((e) => payloadOf(e).actor.id)).toEqual([b!.id, c!.id]);
        } finally {
          again.close();
        }
        // Garbage is ignored (refusing would end EventSource's retries), not a 400.
        const garbled = await stream(me!, { 'last-event-id': 'not-an-id' });
        garbled.close();
        expect([garbled.status, garbled.events]).toEqual([200, []]);
      });

      it('closes when the session is revoked: logout, or a password change elsewhere', async () => {
        const user = await registerUser(t.app);
        const login = async () =>
          (
            await call(t.app, 'POST', '/api/v1/auth/login', {
              body: { login: user.user.username, password: user.password },
            })
          ).body as { accessToken: string; refreshToken: string };
        const second = await login();
        const sse = await stream({ token: second.accessToken });
        await call(t.app, 'POST', '/api/v1/auth/logout', { body: { refreshToken: second.refreshToken } });
        const close = await sse.next((e) => e.event === 'close');
        expect(JSON.parse(close.data)).toEqual({ reason: 'session_revoked' });
        await sse.ended;

        const third = await login();
        const other = await stream({ token: third.accessToken });
        const changed = await call(t.app, 'POST', '/api/v1/me/password', {
          token: user.accessToken,
          body: { currentPassword: user.password, newPassword: 'a brand new passphrase' },
        });
        expect(changed.status).toBe(204);
        expect(JSON.parse((await other.next((e) => e.event === 'close')).data).reason).toBe(
          'session_revoked',
        );
        await other.ended;
        // A revoked token cannot open a new one either.
        expect((await stream({ token: third.accessToken })).status).toBe(401);
      });

      it('closes when its access token expires, so the client reconnects with a fresh one', async () => {
        const [me] = await users(1);
        const { id: sessionId } = await t.infra.store.db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', me!.id)
          .executeTakeFirstOrThrow();
        // Issued 14 min 58 s ago: two seconds left of its fifteen minutes.
        const aged = new AccessTokens(t.infra.jwtSecret, () => Date.now() - 898_000);
        const token = await aged.issue({ userId: me!.id, sessionId });
        const sse = await stream({ token });
        const close = await sse.next((e) => e.event === 'close', 10_000);
        expect(JSON.parse(close.data)).toEqual({ reason: 'token_expired' });
        await sse.ended;
      });

      it(`allows ${MAX_STREAMS_PER_USER} streams per user and process, then answers 429`, async () => {
        const [me] = await users(1);
        const open: SseStream[] = [];
        try {
          for (let i = 0; i < MAX_STREAMS_PER_USER; i++) open.push(await stream(me!));
          const refused = await stream(me!);
          expect([refused.status, refused.body.error.code]).toEqual([429, 'too_many_streams']);
          expect(refused.headers['retry-after']).toBe('30');
          open.pop()!.close();
          await eventually(async () => {
            const again = await stream(me!);
            open.push(again);
            expect(again.status).toBe(200);
          });
        } finally {
          for (const s of open) s.close();
        }
      });

      // Last: it closes the app.
      it('ends open streams on shutdown instead of holding the server open', async () => {
        const [me] = await users(1);
        const sse = await stream(me!);
        closed = true;
        await t.close();
        expect(JSON.parse((await sse.next((e) => e.event === 'close')).data)).toEqual({ reason: 'shutdown' });
        await sse.ended;
      });
    });
  });
}

const silentLog = {
  warn: () => {},
  info: () => {},
  debug: () => {},
  error: () => {},
} as unknown as Parameters<typeof createNotificationsJob>[0]['log'];

const delivery = (topic: string) => ({
  id: 'redelivery',
  queue: 'notifications.create',
  topic,
  attempt: 2,
  signal: new AbortController().signal,
});
