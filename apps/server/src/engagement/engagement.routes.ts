import { LikeState, PageQuery, PostIdParams, PostsPage, SaveState, UsersPage } from '@glimpse/contract';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { Engagement } from './engagement.js';

/** The page options of a `PageQuery`, with API.md's default size. */
export const pageOf = (query: { limit?: number; cursor?: string }) => ({
  limit: query.limit ?? 20,
  ...(query.cursor ? { cursor: query.cursor } : {}),
});

/** Likes and saves (API.md, "Engagement, discovery, notifications"). Comments: comments.routes.ts. */
export function engagementRoutes(app: App, { engagement }: { engagement: Engagement }) {
  const tags = ['engagement'];
  const { likes, saves } = engagement;

  for (const [method, summary] of [
    ['post', 'Like a post (idempotent)'],
    ['delete', 'Take a like back (idempotent)'],
  ] as const) {
    app[method](
      '/posts/:id/like',
      {
        schema: {
          tags,
          summary,
          security: bearerAuth,
          params: PostIdParams,
          response: { 200: LikeState, ...errorResponses(400, 401, 404, 429) },
        },
      },
      async (request) => {
        const viewer = requireViewer(request).userId;
        return method === 'post'
          ? likes.like(viewer, request.params.id)
          : likes.unlike(viewer, request.params.id);
      },
    );
  }

  app.get(
    '/posts/:id/likes',
    {
      schema: {
        tags,
        summary: 'Who liked a post, newest like first',
        security: bearerAuth,
        params: PostIdParams,
        querystring: PageQuery,
        response: { 200: UsersPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => likes.likers(requireViewer(request).userId, request.params.id, pageOf(request.query)),
  );

  for (const [method, summary] of [
    ['post', 'Save a post to my private list (idempotent)'],
    ['delete', 'Remove a post from my saved list (idempotent)'],
  ] as const) {
    app[method](
      '/posts/:id/save',
      {
        schema: {
          tags,
          summary,
          security: bearerAuth,
          params: PostIdParams,
          response: { 200: SaveState, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const viewer = requireViewer(request).userId;
        return method === 'post'
          ? saves.save(viewer, request.params.id)
          : saves.unsave(viewer, request.params.id);
      },
    );
  }

  app.get(
    '/me/saved',
    {
      schema: {
        tags,
        summary: 'My saved posts, newest save first',
        security: bearerAuth,
        querystring: PageQuery,
        response: { 200: PostsPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => saves.saved(requireViewer(request).userId, pageOf(request.query)),
  );
}
