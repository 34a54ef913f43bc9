import {
  HashtagNameParams,
  PageQuery,
  PostsPage,
  SearchPage,
  SearchQuery,
  TrendingPage,
  TrendingQuery,
} from '@glimpse/contract';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import { trimStrings } from '../http/validation.js';
import type { DiscoveryService } from './search.service.js';

/** Discovery (API.md, "Engagement, discovery, notifications"): all public, all read-only. */
export function searchRoutes(app: App, { discovery }: { discovery: DiscoveryService }) {
  const tags = ['discovery'];
  const viewerOf = (request: { viewer: { userId: string } | null }) => request.viewer?.userId ?? null;
  const page = (query: { limit?: number; cursor?: string }) => ({
    limit: query.limit ?? 20,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });

  app.get(
    '/search',
    {
      schema: {
        tags,
        summary: 'Search accounts (prefix and fuzzy), hashtags (prefix) or post captions (full text)',
        querystring: SearchQuery,
        response: { 200: SearchPage, ...errorResponses(400, 401) },
      },
      // Query strings are not trimmed by the body hook; `q` is measured after trimming too.
      preValidation: async (request: FastifyRequest) => {
        request.query = trimStrings(SearchQuery as never, request.query);
      },
    },
    async (request) => discovery.search(viewerOf(request), request.query),
  );

  app.get(
    '/hashtags/trending',
    {
      schema: {
        tags,
        summary: 'Hashtags rising over the last day, compared with the week before',
        querystring: TrendingQuery,
        response: { 200: TrendingPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => discovery.trending(request.query.limit ?? 10),
  );

  app.get(
    '/hashtags/:name/posts',
    {
      schema: {
        tags,
        summary: 'Published posts with a hashtag, newest first (an unused tag has none)',
        params: HashtagNameParams,
        querystring: PageQuery,
        response: { 200: PostsPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => discovery.hashtagPosts(viewerOf(request), request.params.name, page(request.query)),
  );

  app.get(
    '/explore',
    {
      schema: {
        tags,
        summary: 'Popular recent public posts, ranked every few minutes',
        querystring: PageQuery,
        response: { 200: PostsPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => discovery.explore(viewerOf(request), page(request.query)),
  );
}
