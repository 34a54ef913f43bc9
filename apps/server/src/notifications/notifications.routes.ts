import { MarkReadBody, NotificationsPage, NotificationStreamQuery, PageQuery } from '@glimpse/contract';
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { SessionService } from '../accounts/sessions.service.js';
import { acceptQueryToken, accessTokenOf, bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import { isId } from '../lib/ids.js';
import type { NotificationsService } from './notifications.service.js';
import type { NotificationStreams } from './stream.js';

export interface NotificationServices {
  readonly service: NotificationsService;
  readonly streams: NotificationStreams;
}

/** Notifications (API.md, "Engagement, discovery, notifications"; docs/notifications.md). */
export function notificationsRoutes(
  app: App,
  { notifications, sessions }: { notifications: NotificationServices; sessions: SessionService },
) {
  const tags = ['notifications'];
  // Open streams would keep server.close() waiting for ever: end them first.
  app.addHook('preClose', async () => notifications.streams.closeAll());

  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: 'My notifications, newest first, with the unread count',
        security: bearerAuth,
        querystring: PageQuery,
        response: { 200: NotificationsPage, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      notifications.service.list(requireViewer(request).userId, {
        limit: request.query.limit ?? 20,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );

  app.post(
    '/notifications/read',
    {
      schema: {
        tags,
        summary: 'Mark my notifications read up to an id (the marker only moves forward)',
        security: bearerAuth,
        body: MarkReadBody,
        response: { 204: Type.Null({ description: 'Marked' }), ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      await notifications.service.markRead(requireViewer(request).userId, request.body.upTo);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/notifications/stream',
    {
      schema: {
        tags,
        summary: 'New notifications as Server-Sent Events',
        description:
          'One `notification` event (id = the notification id, data = the Notification) per new ' +
          'notification; a comment line as heartbeat; a `close` event with a reason before the ' +
          'server ends the stream. Browsers, whose EventSource cannot send headers, may pass the ' +
          'access token as `access_token`. `Last-Event-ID` replays what was missed.',
        security: bearerAuth,
        querystring: NotificationStreamQuery,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 429),
        },
      },
      onRequest: acceptQueryToken(sessions),
    },
    async (request, reply) => {
      const { userId } = requireViewer(request);
      const token = accessTokenOf(request)!;
      const raw = reply.raw;
      const stream = await notifications.streams.open(
        { userId, token, expiresAt: expiryOf(token) },
        {
          write: (chunk) => void raw.write(chunk),
          end: () => raw.end(),
          get buffered() {
            return raw.writableLength;
          },
        },
      );
      reply.hijack();
      raw.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        // no-transform: a compressing proxy would buffer the stream; X-Accel-Buffering: nginx's.
        'cache-control': 'no-store, no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      request.raw.socket.setNoDelay(true);
      raw.on('close', () => stream.close('client_gone'));
      // A write racing the client's disconnect errors here; unheard, it would crash the process.
      raw.on('error', () => stream.close('client_gone'));
      if (raw.destroyed) stream.close('client_gone');
      stream.start(lastEventId(request));
    },
  );
}

/** A garbled Last-Event-ID is ignored rather than refused: a refusal would end EventSource's retries. */
function lastEventId(request: FastifyRequest): string | undefined {
  const value = request.headers['last-event-id'];
  return typeof value === 'string' && isId(value) ? value : undefined;
}

/** The token was verified by authentication already; only its expiry is read here. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp?: unknown;
  };
  return typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now();
}
