import {
  CreatePostBody,
  PageQuery,
  Post,
  PostIdParams,
  PostsPage,
  UpdatePostBody,
  UserIdParams,
} from '@glimpse/contract';
import { Type } from 'typebox';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import { trimStrings } from '../http/validation.js';
import type { App } from '../http/types.js';
import type { MediaService } from '../media/media.service.js';
import { multipartToJsonBody } from './multipart.js';
import type { PostsService } from './posts.service.js';

/** Posts (API.md, "Posts"). */
export function postsRoutes(app: App, { posts, media }: { posts: PostsService; media: MediaService }) {
  const tags = ['posts'];
  const viewerOf = (request: { viewer: { userId: string } | null }) => request.viewer?.userId ?? null;

  app.post(
    '/posts',
    {
      schema: {
        tags,
        summary: 'Post 1-10 uploaded photos (published when all are ready)',
        security: bearerAuth,
        body: CreatePostBody,
        response: { 201: Post, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
      // The multipart form streams its photos through the media flow first, then becomes the
      // JSON body this route validates and handles.
      preValidation: async (request) => {
        if (request.isMultipart()) {
          const body = await multipartToJsonBody(request, media, requireViewer(request).userId);
          request.body = trimStrings(CreatePostBody as never, body) as typeof request.body;
        }
      },
    },
    async (request, reply) =>
      reply.code(201).send(await posts.create(requireViewer(request).userId, request.body)),
  );

  app.get(
    '/posts/:id',
    {
      schema: {
        tags,
        summary: 'A post',
        params: PostIdParams,
        response: { 200: Post, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => posts.get(viewerOf(request), request.params.id),
  );

  app.patch(
    '/posts/:id',
    {
      schema: {
        tags,
        summary: 'Edit the caption or location (author only)',
        security: bearerAuth,
        params: PostIdParams,
        body: UpdatePostBody,
        response: { 200: Post, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => posts.update(requireViewer(request).userId, request.params.id, request.body),
  );

  app.delete(
    '/posts/:id',
    {
      schema: {
        tags,
        summary: 'Delete a post (author only); it leaves every feed, profile and search at once',
        security: bearerAuth,
        params: PostIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await posts.delete(requireViewer(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:id/posts',
    {
      schema: {
        tags,
        summary: "An account's posts, newest first",
        params: UserIdParams,
        querystring: PageQuery,
        response: { 200: PostsPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      posts.byAuthor(viewerOf(request), request.params.id, {
        limit: request.query.limit ?? 20,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );
}
