import { BlocksPage, PageQuery, UserIdParams, UsersPage } from '@glimpse/contract';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import { NoContent } from './graph.routes.js';
import type { GraphService } from './graph.service.js';

/** What only I see of my graph: the follow requests waiting for me, and whom I blocked. */
export function inboxRoutes(app: App, { graph }: { graph: GraphService }) {
  const tags = ['people'];

  app.get(
    '/me/follow-requests',
    {
      schema: {
        tags,
        summary: 'Who asks to follow me',
        security: bearerAuth,
        querystring: PageQuery,
        response: { 200: UsersPage, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      graph.requests(requireViewer(request).userId, {
        limit: request.query.limit ?? 20,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );

  app.get(
    '/me/blocks',
    {
      schema: {
        tags,
        summary: 'The accounts I blocked (id and username only), to unblock them',
        security: bearerAuth,
        querystring: PageQuery,
        response: { 200: BlocksPage, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      graph.blocked(requireViewer(request).userId, {
        limit: request.query.limit ?? 20,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );

  for (const action of ['approve', 'reject'] as const) {
    app.post(
      `/me/follow-requests/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action === 'approve' ? 'Approve' : 'Reject'} a follow request`,
          security: bearerAuth,
          params: UserIdParams,
          response: { 204: NoContent, ...errorResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const owner = requireViewer(request).userId;
        await (action === 'approve'
          ? graph.approve(owner, request.params.id)
          : graph.reject(owner, request.params.id));
        return reply.code(204).send(null);
      },
    );
  }
}
