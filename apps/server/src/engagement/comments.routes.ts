import {
  Comment,
  CommentIdParams,
  CommentsPage,
  CreateCommentBody,
  PageQuery,
  PostIdParams,
} from '@glimpse/contract';
import { Type } from 'typebox';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { Engagement } from './engagement.js';
import { pageOf } from './engagement.routes.js';

/** Comments (API.md, "Engagement, discovery, notifications"). */
export function commentsRoutes(app: App, { engagement }: { engagement: Engagement }) {
  const tags = ['engagement'];
  const { comments } = engagement;

  app.post(
    '/posts/:id/comments',
    {
      schema: {
        tags,
        summary: 'Comment on a post',
        security: bearerAuth,
        params: PostIdParams,
        body: CreateCommentBody,
        response: { 201: Comment, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await comments.create(requireViewer(request).userId, request.params.id, request.body.body)),
  );

  app.get(
    '/posts/:id/comments',
    {
      schema: {
        tags,
        summary: "A post's comments, oldest first",
        params: PostIdParams,
        querystring: PageQuery,
        response: { 200: CommentsPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      comments.list(request.viewer?.userId ?? null, request.params.id, pageOf(request.query)),
  );

  app.delete(
    '/comments/:id',
    {
      schema: {
        tags,
        summary: "Delete a comment (the comment's author or the post's author)",
        security: bearerAuth,
        params: CommentIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await comments.delete(requireViewer(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
