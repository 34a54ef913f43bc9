import { FollowStatus, LookupQuery, PageQuery, User, UserIdParams, UsersPage } from '@glimpse/contract';
import { Type } from 'typebox';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { GraphService } from './graph.service.js';

export const NoContent = Type.Null({ description: 'Done' });

/**
 * People and the social graph (API.md). Public routes answer anonymous callers too; my own
 * inboxes (follow requests, blocks) are in inbox.routes.ts.
 */
export function graphRoutes(app: App, { graph }: { graph: GraphService }) {
  const tags = ['people'];
  const viewerOf = (request: { viewer: { userId: string } | null }) => request.viewer?.userId ?? null;

  app.get(
    '/users/lookup',
    {
      schema: {
        tags,
        summary: 'Find an account by username',
        querystring: LookupQuery,
        response: { 200: User, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => graph.lookup(viewerOf(request), request.query.username),
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'An account',
        params: UserIdParams,
        response: { 200: User, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => graph.profile(viewerOf(request), request.params.id),
  );

  for (const direction of ['followers', 'following'] as const) {
    app.get(
      `/users/:id/${direction}`,
      {
        schema: {
          tags,
          summary: direction === 'followers' ? 'Who follows an account' : 'Whom an account follows',
          params: UserIdParams,
          querystring: PageQuery,
          response: { 200: UsersPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) =>
        graph.list(viewerOf(request), request.params.id, direction, {
          limit: request.query.limit ?? 20,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    );
  }

  app.post(
    '/users/:id/follow',
    {
      schema: {
        tags,
        summary: 'Follow (or ask to follow a private account)',
        security: bearerAuth,
        params: UserIdParams,
        response: { 200: FollowStatus, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => graph.follow(requireViewer(request).userId, request.params.id),
  );

  app.delete(
    '/users/:id/follow',
    {
      schema: {
        tags,
        summary: 'Unfollow, or withdraw a follow request',
        security: bearerAuth,
        params: UserIdParams,
        response: { 200: FollowStatus, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => graph.unfollow(requireViewer(request).userId, request.params.id),
  );

  for (const [path, on, off] of [
    ['block', (v: string, t: string) => graph.block(v, t), (v: string, t: string) => graph.unblock(v, t)],
    [
      'mute',
      (v: string, t: string) => graph.mute(v, t, true),
      (v: string, t: string) => graph.mute(v, t, false),
    ],
  ] as const) {
    for (const [method, run] of [
      ['post', on],
      ['delete', off],
    ] as const) {
      app[method](
        `/users/:id/${path}`,
        {
          schema: {
            tags,
            summary: `${method === 'post' ? '' : 'Un'}${path} an account`,
            security: bearerAuth,
            params: UserIdParams,
            response: { 204: NoContent, ...errorResponses(400, 401, 404) },
          },
        },
        async (request, reply) => {
          await run(requireViewer(request).userId, request.params.id);
          return reply.code(204).send(null);
        },
      );
    }
  }
}
