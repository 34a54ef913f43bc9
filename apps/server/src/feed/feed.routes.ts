import { PageQuery, PostsPage } from '@glimpse/contract';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { FeedService } from './feed.service.js';

/** The home feed (API.md, "The home feed"). */
export function feedRoutes(app: App, { feed }: { feed: FeedService }) {
  app.get(
    '/feed',
    {
      schema: {
        tags: ['feed'],
        summary: 'Published posts by me and the accounts I follow, newest first',
        security: bearerAuth,
        querystring: PageQuery,
        response: { 200: PostsPage, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      feed.page(requireViewer(request).userId, {
        limit: request.query.limit ?? 20,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );
}
